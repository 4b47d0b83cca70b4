package docqr

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veraison/go-cose"

	"github.com/anjungan/anjungan/station/ticket"
)

var update = flag.Bool("update", false, "rewrite the QR fixtures in testdata/")

// issuedFixtures are QR texts signed with the test key whose issue date
// is not DD-MM-YYYY, one per failure mode: testdata/invalid/<name>.txt.
// The signature is good, so only the claim check can refuse them.
var issuedFixtures = []struct{ name, issued string }{
	{"issued-iso-date", "2024-08-12"},
	{"issued-one-digit-day", "1-08-2024"},
	{"issued-slashes", "12/08/2024"},
	{"issued-impossible-date", "31-02-2024"},
	{"issued-two-digit-year", "12-08-24"},
	{"issued-trailing-text", "12-08-2024 10:00"},
}

func issuedText(tb testing.TB, issued string) string {
	tb.Helper()
	kid, _ := hex.DecodeString(ticket.KeyID(key.Public().(ed25519.PublicKey)))
	p, err := detEnc.Marshal(map[int]any{1: "ktp-el", 2: "3174011708850003", 3: "X", 4: issued, 5: make([]byte, 32)})
	if err != nil {
		tb.Fatal(err)
	}
	return mustSign(tb, key, cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA, cose.HeaderLabelKeyID: kid}, p)
}

// TestVerifyRefusesIssueDates: a signed QR whose issue date is not
// DD-MM-YYYY is refused with document_qr_invalid, and the issuer cannot
// sign one either. go test -run TestVerifyRefusesIssueDates -update
// rewrites the fixtures and the fuzz seeds.
func TestVerifyRefusesIssueDates(t *testing.T) {
	for _, f := range issuedFixtures {
		t.Run(f.name, func(t *testing.T) {
			path := filepath.Join("testdata", "invalid", f.name+".txt")
			if *update {
				text := issuedText(t, f.issued)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(text+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				seed := fmt.Sprintf("go test fuzz v1\nstring(%q)\n", text)
				if err := os.WriteFile(filepath.Join("testdata", "fuzz", "FuzzVerify", f.name), []byte(seed), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.TrimSpace(string(b))
			_, err = verifierFor(key).Verify(text)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "issue date") {
				t.Fatalf("Verify = %v, want %s for the issue date", err, ErrInvalid.Code)
			}
			if strings.Contains(err.Error(), f.issued) {
				t.Errorf("the cause quotes the value: %v", err)
			}
			d := ktp()
			d.Fields["tanggal_terbit"] = f.issued
			if _, err := MustSigner(t, key).Sign(d); !errors.Is(err, ErrSign) {
				t.Errorf("Sign with tanggal_terbit %q = %v, want %s", f.issued, err, ErrSign.Code)
			}
		})
	}
	// The fixtures' only fault is the date: the same claims with a good
	// one verify.
	if _, err := verifierFor(key).Verify(issuedText(t, "29-02-2024")); err != nil {
		t.Fatalf("a valid issue date is refused: %v", err)
	}
}
