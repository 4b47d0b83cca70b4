package printerd

import (
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// FuzzParsePrinter feeds -printer values to the parser: it must never
// panic, and what it accepts has a name, a driver and no reserved key
// among the options.
func FuzzParsePrinter(f *testing.F) {
	f.Add("name=card-1,driver=sim,uri=var/out/card,media=om_card_54x86mm,blanks=100")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePrinter(s)
		if err != nil {
			return
		}
		if p.Name == "" || p.Driver == "" || (p.Media != "" && !p.Media.Valid()) {
			t.Fatalf("accepted %q as %+v", s, p)
		}
		for _, k := range []string{"name", "driver", "uri"} {
			if _, ok := p.Options[k]; ok {
				t.Fatalf("option %s leaked from %q", k, s)
			}
		}
	})
}

// FuzzVerifierKey feeds key files' text to the verifier key derivation:
// it must never panic, and a key it derives is one note accepts.
func FuzzVerifierKey(f *testing.F) {
	f.Add("PRIVATE+KEY+anjungan.test/printerd/audit+9b3c1a2e+AXnBo0yKkMGGeM5z9VOb0RhNhGXwUSjOe8+AtP7GHi/Y")
	f.Fuzz(func(t *testing.T, s string) {
		vkey, err := verifierKey(s)
		if err != nil {
			return
		}
		if _, err := note.NewVerifier(vkey); err != nil {
			t.Fatalf("derived %q from %q: %v", vkey, s, err)
		}
	})
}
