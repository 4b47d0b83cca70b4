package fleet_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/fleet"
)

// Each fixture in testdata/witness is parsed as its name says: valid-*
// parse and re-encode to the same bytes, the others are refused with
// witness_request_invalid.
func TestParseWitnessRequestFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/witness/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatal("no fixtures", err)
	}
	for _, p := range files {
		name := strings.TrimSuffix(filepath.Base(p), ".txt")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			r, err := fleet.ParseWitnessRequest(b)
			if strings.HasPrefix(name, "valid-") {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(r.Encode(), b) {
					t.Fatalf("re-encoded %q, read %q", r.Encode(), b)
				}
				return
			}
			if !errors.Is(err, fleet.ErrWitnessRequestInvalid) {
				t.Fatalf("got %v, want witness_request_invalid", err)
			}
		})
	}
}

func FuzzParseWitnessRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/witness/*.txt")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := fleet.ParseWitnessRequest(body)
		if err != nil {
			if !errors.Is(err, fleet.ErrWitnessRequestInvalid) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if r.Old < 0 || len(r.Proof) > fleet.MaxProofHashes || len(r.Checkpoint) == 0 {
			t.Fatalf("accepted %+v", r)
		}
		// What is accepted is canonical: it encodes back to the same bytes.
		if !bytes.Equal(r.Encode(), body) {
			t.Fatalf("re-encoded %q, read %q", r.Encode(), body)
		}
	})
}
