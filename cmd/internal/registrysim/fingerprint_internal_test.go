package registrysim

import (
	"net/http"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station"
)

// Residents are the NIKs of the sim's population.
func (s *sim) Residents(tb testing.TB) []station.NIK {
	tb.Helper()
	var out []station.NIK
	for _, p := range s.popForTest(tb).People {
		out = append(out, p.NIK)
	}
	return out
}

// Advance moves the sim's clock (for the external contract tests).
func (s *sim) Advance(d time.Duration) { s.clock.Advance(d) }

// TestFingerprintLoginRefuses covers the card_fingerprint answers the
// station's client never provokes: requests a correct station does not
// send, and a client without a certificate.
func TestFingerprintLoginRefuses(t *testing.T) {
	plain := newSim(t)
	a := plain.MustApprove(t, map[string]any{"documents": []string{"ktp-el"}})
	dir := t.TempDir()
	MustKeys(t, dir)
	tls := MustStartTLS(t, dir, &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	b := tls.MustApprove(t, map[string]any{"documents": []string{"ktp-el"}})

	for _, tt := range []struct {
		name   string
		sim    *sim
		body   map[string]any
		status int
		code   string
	}{
		{"no client certificate", plain, map[string]any{"method": "card_fingerprint", "nik": a.NIK, "matcher": "simulated-v1"},
			http.StatusForbidden, "client_not_trusted"},
		{"with a PIN", tls, map[string]any{"method": "card_fingerprint", "nik": b.NIK, "matcher": "simulated-v1", "pin": b.PIN},
			http.StatusBadRequest, "bad_request"},
		{"no matcher", tls, map[string]any{"method": "card_fingerprint", "nik": b.NIK},
			http.StatusBadRequest, "bad_request"},
		{"malformed matcher", tls, map[string]any{"method": "card_fingerprint", "nik": b.NIK, "matcher": "sim ulated"},
			http.StatusBadRequest, "bad_request"},
		{"malformed NIK", tls, map[string]any{"method": "card_fingerprint", "nik": "3171", "matcher": "simulated-v1"},
			http.StatusBadRequest, "bad_request"},
		{"a matcher with a PIN login", tls, map[string]any{"method": "pin", "nik": b.NIK, "pin": b.PIN, "matcher": "simulated-v1"},
			http.StatusBadRequest, "bad_request"},
	} {
		st, out := tt.sim.call(t, "POST", "/v1/authorizations", tt.body)
		if st != tt.status || errorCode(out) != tt.code {
			t.Errorf("%s: %d %v, want %d %s", tt.name, st, out, tt.status, tt.code)
		}
	}
}
