package printerd

import (
	"crypto/rand"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestVerifierKey derives the verifier key of many generated keys (their
// base64 often holds "+", the field separator) and compares it with the
// one note.GenerateKey made.
func TestVerifierKey(t *testing.T) {
	for range 200 {
		skey, vkey, err := note.GenerateKey(rand.Reader, "anjungan.kiosk-01/printerd/audit")
		if err != nil {
			t.Fatal(err)
		}
		got, err := verifierKey(skey)
		if err != nil || got != vkey {
			t.Fatalf("verifierKey(%s) = %q, %v; want %q", skey, got, err, vkey)
		}
	}
	for _, bad := range []string{"", "PRIVATE+KEY+x", "PUBLIC+KEY+x+00000000+AQ==", "PRIVATE+KEY+x+00000000+AQ=="} {
		if _, err := verifierKey(bad); err == nil {
			t.Errorf("verifierKey(%q) succeeded", bad)
		}
	}
}
