package audit_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/internal/audit"
)

// A fixed key pair made for these tests only; checkpoints are outside
// data for the verifier.
const (
	fuzzSkey = "PRIVATE+KEY+anjungan.test/audit+e2434ca4+ASUCR9H3/bRPwLFDvgawqX3uijLC5z52FrRFPR0LcnNC"
	fuzzVkey = "anjungan.test/audit+e2434ca4+ATi6nynTKpQFbB4nW0LwK1QHIWxFzFXcs0ysqeCRg4a5"
)

func FuzzOpenCheckpoint(f *testing.F) {
	signer, err := note.NewSigner(fuzzSkey)
	if err != nil {
		f.Fatal(err)
	}
	valid, err := note.Sign(&note.Note{Text: audit.Checkpoint{Origin: "anjungan.test/audit", Size: 7}.Body()}, signer)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := audit.OpenCheckpoint(valid, fuzzVkey); err != nil {
		f.Fatalf("seed checkpoint does not verify: %v", err)
	}
	f.Add(valid)
	for _, name := range []string{"extra-signature.note", "unknown-key-only.note"} {
		b, err := os.ReadFile(filepath.Join("testdata", "checkpoint", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("anjungan.test/audit\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 anjungan.test/audit mpo7m0Zr\n"))
	f.Add([]byte(""))
	f.Add([]byte("\n\n\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := audit.OpenCheckpoint(b, fuzzVkey)
		if err == nil && c.Size < 0 {
			t.Fatalf("negative size accepted: %+v", c)
		}
		if _, err := audit.ParseCheckpoint(string(b)); err == nil {
			return
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-23T08:00:00Z","kind":"job.printed","fields":{"job":"J1"}}`))
	f.Add([]byte(`{"time":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"actor":"sari","fields":{"title":"<KTP> & \u001b 🪪"},"kind":"job.submitted","time":"2026-11-23T08:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := audit.Decode(b)
		if err != nil {
			return
		}
		b1, err := e.Encode()
		if err != nil {
			t.Fatalf("decoded entry does not encode: %v", err)
		}
		// The canonical form is a fixed point: decoding it and encoding
		// again gives the same bytes.
		if len(b1) > audit.MaxEntrySize {
			return
		}
		e2, err := audit.Decode(b1)
		if err != nil {
			t.Fatalf("canonical bytes %q do not decode: %v", b1, err)
		}
		if b2, err := e2.Encode(); err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("canonical form is not stable:\n%q\n%q (%v)", b1, b2, err)
		}
	})
}
