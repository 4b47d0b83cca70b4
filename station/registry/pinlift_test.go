package registry

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// TestDecodePINLift reads testdata/pinlift, named by what is wrong with
// each answer: only {"lifted": bool} is accepted.
func TestDecodePINLift(t *testing.T) {
	for name, want := range map[string]any{
		"lifted.json": true, "nothing-to-lift.json": false,
		"missing-lifted.json": station.ErrUpstreamInvalid, "lifted-not-bool.json": station.ErrUpstreamInvalid,
		"lifted-null.json": station.ErrUpstreamInvalid, "trailing-answer.json": station.ErrUpstreamInvalid,
		"truncated.json": station.ErrUpstreamInvalid, "html-not-json.json": station.ErrUpstreamInvalid,
		"array-not-object.json": station.ErrUpstreamInvalid,
	} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "pinlift", name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodePINLift(b)
			if werr, ok := want.(error); ok {
				if !errors.Is(err, werr) {
					t.Errorf("%v, want %v", err, werr)
				}
				return
			}
			if err != nil || got != want {
				t.Errorf("%v %v, want %v", got, err, want)
			}
		})
	}
}

// FuzzDecodePINLift: any answer is a bool or ErrUpstreamInvalid, never a
// panic.
func FuzzDecodePINLift(f *testing.F) {
	f.Add([]byte(`{"lifted":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := decodePINLift(b); err != nil && fault.CodeOf(err) != station.ErrUpstreamInvalid.Code {
			t.Fatalf("error code %q: %v", fault.CodeOf(err), err)
		}
	})
}
