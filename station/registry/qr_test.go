package registry

import (
	"crypto/ed25519"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/ticket"
)

var update = flag.Bool("update", false, "re-sign the qr of every fixture in testdata/documents and the fuzz seeds")

// fixtureUpstreamKey is the upstream's document key in the fixtures: each
// -valid fixture carries the QR it made for that document.
var fixtureUpstreamKey = ed25519.NewKeyFromSeed([]byte("anjungan-registry-fixture-key-32"))

func fixtureVerifier() *docqr.Verifier {
	pub := fixtureUpstreamKey.Public().(ed25519.PublicKey)
	return &docqr.Verifier{Keys: ticket.KeySet{ticket.KeyID(pub): pub}}
}

var qrValue = regexp.MustCompile(`"qr": ?"(DQ1:[^"]*)"`)

// TestFixtureQRs: every -valid fixture, as decoded, carries the upstream's
// QR that verifies against its data (docqr.VerifyDocument), as the kiosk
// checks it; the other fixtures carry a QR so that they fail only for
// what their name says. -update signs them again.
func TestFixtureQRs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "documents", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecodeDocument", "*"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := docqr.NewSigner(fixtureUpstreamKey)
	if err != nil {
		t.Fatal(err)
	}
	valid := map[string]string{} // document type → its valid fixture's QR
	for _, f := range append(files, seeds...) {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if !strings.HasSuffix(name, "-valid") {
			continue
		}
		typ := fixtureType(name)
		b := readFixture(t, f)
		if *update {
			d, err := decodeDocument(b, fixtureSubject, station.PrintRequest{ID: "req_1", Document: typ})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			qr, err := signer.Sign(d)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			b = setQR(t, f, b, qr)
		}
		d, err := decodeDocument(b, fixtureSubject, station.PrintRequest{ID: "req_1", Document: typ})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := fixtureVerifier().VerifyDocument(d); err != nil {
			t.Errorf("%s: the upstream's QR does not verify: %v (go test -run TestFixtureQRs -update)", f, err)
		}
		valid[string(typ)] = d.QR
	}
	for _, f := range append(files, seeds...) {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		b := readFixture(t, f)
		if strings.HasSuffix(name, "-valid") || strings.HasPrefix(name, "ktp-el-qr-") || !qrValue.Match(b) {
			continue // signed above; a qr fault of its own; no qr
		}
		if *update {
			typ := fixtureType(name)
			if typ == "" {
				typ = station.KTPEl
			}
			setQR(t, f, b, valid[string(typ)])
		}
	}
}

// readFixture returns the JSON of a fixture or of a fuzz seed (whose
// first value is the answer, a Go string literal).
func readFixture(tb testing.TB, f string) []byte {
	tb.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		tb.Fatal(err)
	}
	if !isSeed(f) {
		return b
	}
	lines := strings.Split(string(b), "\n")
	lit, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		tb.Fatalf("%s: %v", f, err)
	}
	return []byte(lit)
}

func isSeed(f string) bool {
	return strings.Contains(f, string(filepath.Separator)+"fuzz"+string(filepath.Separator))
}

// setQR writes f with its qr value replaced by qr, and returns the JSON.
func setQR(tb testing.TB, f string, b []byte, qr string) []byte {
	tb.Helper()
	m := qrValue.FindSubmatchIndex(b)
	if m == nil {
		tb.Fatalf("%s: no qr to replace", f)
	}
	out := append(append(append([]byte{}, b[:m[2]]...), qr...), b[m[3]:]...)
	file := out
	if isSeed(f) {
		old, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		lines := strings.Split(string(old), "\n")
		lines[1] = "[]byte(" + strconv.Quote(string(out)) + ")"
		file = []byte(strings.Join(lines, "\n"))
	}
	if err := os.WriteFile(f, file, 0o644); err != nil {
		tb.Fatal(err)
	}
	return out
}
