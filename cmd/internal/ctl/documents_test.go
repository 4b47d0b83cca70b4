package ctl

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/ticket"
)

// runCommand parses args with parse and runs the result, returning what
// it printed.
func runCommand(t *testing.T, parse func(*Main, *flag.FlagSet, []string) (func(context.Context) error, error), args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr = &out, io.Discard
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run, err := parse(m, fs, args)
	if err != nil {
		return "", err
	}
	err = run(context.Background())
	return out.String(), err
}

func TestRenderSample(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "kk.pdf")
	sample := filepath.Join("..", "..", "..", "station", "render", "testdata", "kk.json")
	got, err := runCommand(t, parseRender, "-in", sample, "-key", filepath.Join(dir, "absent.key"), "-out", out)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("no PDF written: %v", err)
	}
	if !strings.Contains(got, "Kartu Keluarga, 2 page(s), sha256 ") {
		t.Errorf("output %q", got)
	}
	if _, err := runCommand(t, parseRender, "-doc", "passport"); err == nil {
		t.Error("unknown document type accepted")
	}
}

func TestVerifyQR(t *testing.T) {
	keys := t.TempDir()
	if err := ticket.WriteKeyPair(keys, "document", bytes.NewReader(bytes.Repeat([]byte{7}, 64))); err != nil {
		t.Fatal(err)
	}
	key, err := ticket.LoadPrivateKey(filepath.Join(keys, "document.key"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := docqr.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	text, err := s.Sign(station.Document{Type: station.KIA, Fields: map[string]string{
		"nik": "5171045206220003", "nama": "NI KADEK AYU", "tanggal_terbit": "15-01-2025"}})
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(keys, "document.pub")
	got, err := runCommand(t, parseVerifyQR, "-pub", pub, text)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"valid: signed by key " + s.KeyID(), "document: KIA", "number: 5171********0003", "name: NI KADEK AYU"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if _, err := runCommand(t, parseVerifyQR, "-pub", pub, text[:len(text)-3]+"000"); !errors.Is(err, docqr.ErrInvalid) {
		t.Errorf("tampered text: err = %v, want %s", err, docqr.ErrInvalid.Code)
	}
	if _, err := runCommand(t, parseVerifyQR, "-pub", pub); err == nil {
		t.Error("no text accepted")
	}
}

// MustRegistrySim starts a real registry-sim on 127.0.0.1:0 over plain
// HTTP, with keys from `anjunganctl keys init`, and returns its URL.
func MustRegistrySim(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	keys := NewMain()
	keys.Stdout, keys.Stderr = io.Discard, io.Discard
	if err := keys.ParseFlags([]string{"keys", "init", "-var", dir}); err != nil {
		tb.Fatal(err)
	}
	if err := keys.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	rs := registrysim.NewMain()
	rs.Stderr = io.Discard
	if err := rs.ParseFlags([]string{"-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "registry-sim"),
		"-ticket-key", filepath.Join(dir, "keys", "ticket.key"), "-binding-key", filepath.Join(dir, "keys", "binding.key"),
		"-document-key", filepath.Join(dir, "keys", "upstream-document.key"),
		"-people", "60"}); err != nil {
		tb.Fatal(err)
	}
	if err := rs.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rs.Close() })
	return rs.URL()
}

// TestRenderByNIK renders the documents of residents registry-sim knows,
// found through approvals for anyone eligible, and checks that each PDF
// is the document of the NIK asked for; unknown and ineligible NIKs are
// refused with errors that say so.
func TestRenderByNIK(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			t.Fatal("pdftotext not on PATH and ANJUNGAN_REQUIRE_PEERS=1 (apt-get install poppler-utils)")
		}
		t.Skip("pdftotext not on PATH: skipping (apt-get install poppler-utils)")
	}
	url := MustRegistrySim(t)
	ctx := context.Background()
	up := &upstream{url: url}
	// Residents to ask for, from approvals for anyone eligible: an adult
	// (the applicant of a KTP-el) and a child with the parent who
	// requested the child's KIA.
	hc, _ := up.client()
	as, err := CreateApprovals(ctx, hc, url, [][]string{{"ktp-el"}, {"kia"}})
	if err != nil {
		t.Fatal(err)
	}
	kia, err := fetchApproved(ctx, hc, url, as[1], station.KIA)
	if err != nil {
		t.Fatal(err)
	}
	adult, parent, child := as[0].NIK, as[1].NIK, kia.Fields["nik"]
	unknown := adult[:12] + "9999"

	dir := t.TempDir()
	key := filepath.Join(dir, "absent.key")
	for _, tc := range []struct {
		name string
		args []string
		want string // in the PDF's text, or in the error
		fail bool
	}{
		{"ktp-el", []string{"-doc", "ktp", "-nik", adult}, adult, false},
		{"kk", []string{"-doc", "kk", "-nik", adult}, adult, false},
		{"kia", []string{"-doc", "kia", "-nik", child, "-parent", parent}, child, false},
		{"unknown NIK", []string{"-doc", "ktp-el", "-nik", unknown}, "registry-sim has no resident with NIK " + unknown[:4] + "********9999", true},
		{"child's KTP-el", []string{"-doc", "ktp-el", "-nik", child}, "registry-sim cannot make a KTP-el for NIK", true},
		{"KIA of an adult", []string{"-doc", "kia", "-nik", adult}, "registry-sim cannot make a KIA", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".pdf")
			args := append([]string{"-registry", url, "-key", key, "-out", out}, tc.args...)
			_, err := runCommand(t, parseRender, args...)
			if tc.fail {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want one containing %q", err, tc.want)
				}
				if strings.Contains(err.Error(), tc.args[3]) {
					t.Errorf("the error shows the NIK in full: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			text, err := exec.Command(pdftotext, "-raw", out, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(text), tc.want) {
				t.Errorf("the PDF does not show NIK %s:\n%s", tc.want, text)
			}
		})
	}
}

func TestParseRenderNIK(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"malformed NIK", []string{"-nik", "12345"}},
		{"parent without a child", []string{"-doc", "kia", "-parent", "3171010101900001"}},
		{"parent of a KTP-el", []string{"-doc", "ktp-el", "-nik", "3171010101900001", "-parent", "3171010101900002"}},
		{"NIK and a sample", []string{"-nik", "3171010101900001", "-in", "x.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			if _, err := parseRender(NewMain(), fs, tc.args); err == nil {
				t.Errorf("%v accepted", tc.args)
			}
		})
	}
}
