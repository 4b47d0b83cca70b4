package registrysim

import (
	"testing"

	"github.com/anjungan/anjungan/station"
)

// TestEverySpecHasAGenerator: the simulator serves every registered
// document type, and nothing else.
func TestEverySpecHasAGenerator(t *testing.T) {
	for _, s := range station.Specs() {
		if generators[s.Type] == nil {
			t.Errorf("%s: no generator in registry-sim", s.Type)
		}
	}
	for d := range generators {
		if !d.Valid() {
			t.Errorf("generator for %s, which has no spec", d)
		}
	}
}
