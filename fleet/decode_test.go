package fleet_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/fleet"
)

// Each fixture in testdata/batch is named by what is wrong with it; the
// valid ones decode.
func TestDecodeBatchFixtures(t *testing.T) {
	want := map[string]*fleet.Error{
		"valid.json":               nil,
		"valid-printerd.json":      nil,
		"nik-in-field.json":        fleet.ErrPersonalData,
		"nik-escaped.json":         fleet.ErrPersonalData,
		"unknown-data-field.json":  fleet.ErrEventInvalid,
		"unknown-batch-field.json": fleet.ErrBatchInvalid,
		"seq-not-consecutive.json": fleet.ErrBatchInvalid,
		"seq-zero.json":            fleet.ErrBatchInvalid,
		"stream-unknown.json":      fleet.ErrBatchInvalid,
		"kind-unknown.json":        fleet.ErrEventInvalid,
		"time-missing.json":        fleet.ErrEventInvalid,
		"trailing-data.json":       fleet.ErrBatchInvalid,
		"truncated.json":           fleet.ErrBatchInvalid,
		"data-field-missing.json":  fleet.ErrEventInvalid,
	}
	files, _ := filepath.Glob("testdata/batch/*.json")
	if len(files) != len(want) {
		t.Fatalf("%d fixtures, %d expectations", len(files), len(want))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fleet.DecodeBatch(b)
		w := want[filepath.Base(f)]
		switch {
		case w == nil && err != nil:
			t.Errorf("%s: %v", f, err)
		case w != nil && !errors.Is(err, w):
			t.Errorf("%s: %v, want %s", f, err, w.Code)
		}
	}
	if _, err := fleet.DecodeBatch([]byte(strings.Repeat(" ", fleet.MaxBatchBytes+1))); !errors.Is(err, fleet.ErrBatchTooLarge) {
		t.Errorf("too large: %v", err)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	files, _ := filepath.Glob("testdata/batch/*.json")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := fleet.DecodeBatch(body)
		if err != nil {
			var fe *fleet.Error
			if !errors.As(err, &fe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, e := range b.Events {
			if strings.ContainsAny(string(e.Data), "\n") || len(e.Data) > fleet.MaxEventData*2 {
				t.Fatalf("data not re-encoded: %q", e.Data)
			}
			if _, err := e.Decode(); err != nil {
				t.Fatalf("accepted event does not decode: %v", err)
			}
		}
	})
}
