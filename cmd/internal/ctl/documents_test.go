package ctl

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	if !strings.Contains(got, "Kartu Keluarga, 1 page(s), sha256 ") {
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
