package registrysim

import (
	"net/http"
	"testing"
)

func TestFaultAdminAPI(t *testing.T) {
	s := newSim(t)
	bad := []map[string]any{
		{"route": "nowhere", "kind": "status"},
		{"route": "document", "kind": "explode"},
		{"route": "document", "kind": "status", "status": 404},
		{"route": "document", "kind": "latency"},
		{"route": "document", "kind": "latency", "delay_ms": 600000},
		{"route": "authorize", "kind": "subject_mismatch"},
		{"route": "document", "kind": "status", "calls": -1},
		{"route": "document", "kind": "status", "extra": true},
	}
	for _, in := range bad {
		if st, out := s.call(t, "POST", "/admin/faults", in); st != http.StatusBadRequest || errorCode(out) != "bad_request" {
			t.Errorf("POST %v: %d %v", in, st, out)
		}
	}
	good := []map[string]any{
		{"route": "document", "kind": "latency", "delay_ms": 5, "calls": 1},
		{"route": "confirmation", "kind": "status", "status": 502},
		{"route": "document", "kind": "subject_mismatch", "calls": 3},
	}
	for _, in := range good {
		if st, out := s.call(t, "POST", "/admin/faults", in); st != http.StatusCreated || out["kind"] != in["kind"] {
			t.Errorf("POST %v: %d %v", in, st, out)
		}
	}
	st, out := s.call(t, "GET", "/admin/faults", nil)
	if list, _ := out["faults"].([]any); st != http.StatusOK || len(list) != len(good) {
		t.Fatalf("GET: %d %v", st, out)
	}
	// Admin routes never misbehave, whatever is injected.
	if st, out := s.call(t, "DELETE", "/admin/faults", nil); st != http.StatusOK || out["cleared"] != float64(len(good)) {
		t.Fatalf("DELETE: %d %v", st, out)
	}
	if len(s.Faults()) != 0 {
		t.Fatalf("faults left: %+v", s.Faults())
	}
}

func TestFaultCallsCountDown(t *testing.T) {
	fs := newFaults()
	fs.add(Fault{Route: RouteDocument, Kind: FaultStatus, Calls: 2})
	fs.add(Fault{Route: RouteDocument, Kind: FaultMalformed, Calls: 1})
	fs.add(Fault{Route: RouteReport, Kind: FaultTimeout})
	want := []struct {
		route string
		kind  FaultKind
		ok    bool
	}{
		{RouteDocument, FaultStatus, true},
		{RouteConfirmation, "", false},
		{RouteDocument, FaultStatus, true},
		{RouteDocument, FaultMalformed, true},
		{RouteDocument, "", false},
		{RouteReport, FaultTimeout, true},
		{RouteReport, FaultTimeout, true}, // calls 0: until cleared
	}
	for i, w := range want {
		f, ok := fs.take(w.route)
		if ok != w.ok || f.Kind != w.kind {
			t.Errorf("call %d on %s: %v %v, want %v %v", i, w.route, f.Kind, ok, w.kind, w.ok)
		}
	}
}
