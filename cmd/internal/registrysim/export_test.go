package registrysim

import (
	"net/http"
	"testing"
	"time"
)

// Helpers for the external contract tests (package registrysim_test).

// TestNow is the clock of simulators made by MustSim.
var TestNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Sim is a running registry-sim.
type Sim = sim

// MustSim runs registry-sim over mTLS with the keys MustKeys wrote into
// dir and the development PKI in dir/certs.
func MustSim(tb testing.TB, dir string) *Sim {
	tb.Helper()
	return MustStartTLS(tb, dir, &clock{now: TestNow})
}

// Client is an http.Client holding the station's client certificate.
func (s *sim) Client() *http.Client { return s.client }

// Approve creates an approval through the admin API.
func (s *sim) Approve(tb testing.TB, body map[string]any) (id, nik, pin, ticketText string) {
	tb.Helper()
	a := s.MustApprove(tb, body)
	return a.ID, a.NIK, a.PIN, a.Ticket
}

// Burned reports whether the approval's one-time token is burned.
func (s *sim) Burned(tb testing.TB, id string) bool {
	tb.Helper()
	st, out := s.call(tb, "GET", "/admin/approvals/"+id, nil)
	if st != 200 {
		tb.Fatalf("approval %s: %d %v", id, st, out)
	}
	return out["token_burned"] == true
}

// Dir is the folder holding the sim's keys/, certs/ and data/.
func (s *sim) Dir() string { return s.dir }

// Confirmations returns how many printed confirmations the sim recorded
// for each request of an approval.
func (s *sim) Confirmations(tb testing.TB, id string) map[string]int {
	tb.Helper()
	st, out := s.call(tb, "GET", "/admin/approvals/"+id, nil)
	if st != 200 {
		tb.Fatalf("approval %s: %d %v", id, st, out)
	}
	n := map[string]int{}
	reqs, _ := out["requests"].([]any)
	for _, r := range reqs {
		m, _ := r.(map[string]any)
		id, _ := m["request_id"].(string)
		c, _ := m["confirmations"].(float64)
		n[id] = int(c)
	}
	return n
}
