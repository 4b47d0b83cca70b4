package registrysim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// FaultKind is one way the simulated upstream misbehaves.
type FaultKind string

// Fault kinds. Except for latency and the document faults, a fault answers
// in place of the registry's logic: the request changes no state, so no
// token is ever burned by a faulty answer.
const (
	FaultLatency         FaultKind = "latency"          // wait Delay, then answer normally
	FaultStatus          FaultKind = "status"           // answer Status (default 503) with a JSON error
	FaultTimeout         FaultKind = "timeout"          // never answer; hang until the client gives up
	FaultTruncated       FaultKind = "truncated"        // promise a body, send half of it, drop the connection
	FaultOversized       FaultKind = "oversized"        // a well-formed JSON body of 3 MiB
	FaultWrongType       FaultKind = "wrong_type"       // 200 with an HTML page
	FaultMalformed       FaultKind = "malformed_json"   // 200, application/json, not JSON
	FaultSubjectMismatch FaultKind = "subject_mismatch" // document route: data of another resident
	// Document route: the QR does not vouch for the data (sealDocument).
	FaultDocumentAltered      FaultKind = "document_altered"        // a field changed after signing
	FaultDocumentClaim        FaultKind = "document_claim_mismatch" // the signed name claim is not the document's
	FaultDocumentBadSignature FaultKind = "document_bad_signature"  // the signature's last byte flipped
	FaultDocumentUnknownKey   FaultKind = "document_unknown_key"    // signed by a key the kiosk does not know
)

// documentFaults are the kinds that apply to the document route only.
var documentFaults = []FaultKind{FaultSubjectMismatch, FaultDocumentAltered, FaultDocumentClaim, FaultDocumentBadSignature, FaultDocumentUnknownKey}

var faultKinds = []FaultKind{FaultLatency, FaultStatus, FaultTimeout, FaultTruncated, FaultOversized,
	FaultWrongType, FaultMalformed, FaultSubjectMismatch, FaultDocumentAltered, FaultDocumentClaim,
	FaultDocumentBadSignature, FaultDocumentUnknownKey}

// Routes of the upstream contract a fault can target.
const (
	RouteAuthorize    = "authorize"    // POST /v1/authorizations
	RouteDocument     = "document"     // GET …/requests/{rid}/document
	RouteConfirmation = "confirmation" // POST …/requests/{rid}/confirmation
	RouteReport       = "report"       // POST …/requests/{rid}/report
	RouteRelease      = "release"      // POST …/requests/{rid}/release
	RouteHold         = "hold"         // POST …/requests/{rid}/hold
)

var faultRoutes = []string{RouteAuthorize, RouteDocument, RouteHold, RouteConfirmation, RouteReport, RouteRelease}

// Fault makes one route misbehave for a number of calls.
type Fault struct {
	Route  string        `json:"route"`
	Kind   FaultKind     `json:"kind"`
	Calls  int           `json:"calls"`            // how many calls; 0 means every call until cleared
	Status int           `json:"status,omitempty"` // FaultStatus: 500-599, default 503
	Delay  time.Duration `json:"-"`                // FaultLatency
}

// faultJSON is Fault on the admin API, with the delay in milliseconds.
type faultJSON struct {
	Route   string    `json:"route"`
	Kind    FaultKind `json:"kind"`
	Calls   int       `json:"calls"`
	Status  int       `json:"status,omitempty"`
	DelayMS int64     `json:"delay_ms,omitempty"`
}

func (f Fault) wire() faultJSON {
	return faultJSON{Route: f.Route, Kind: f.Kind, Calls: f.Calls, Status: f.Status, DelayMS: f.Delay.Milliseconds()}
}

func (f Fault) check() error {
	switch {
	case !has(faultRoutes, f.Route):
		return fmt.Errorf("route %q: want one of %s", f.Route, strings.Join(faultRoutes, ", "))
	case !has(faultKinds, f.Kind):
		return fmt.Errorf("kind %q: want one of %v", f.Kind, faultKinds)
	case f.Calls < 0:
		return fmt.Errorf("calls must not be negative")
	case f.Kind == FaultStatus && f.Status != 0 && (f.Status < 500 || f.Status > 599):
		return fmt.Errorf("status %d: want 500-599", f.Status)
	case f.Kind == FaultLatency && (f.Delay <= 0 || f.Delay > 5*time.Minute):
		return fmt.Errorf("latency needs a delay between 1 ms and 5 minutes")
	case has(documentFaults, f.Kind) && f.Route != RouteDocument:
		return fmt.Errorf("%s applies to the document route only", f.Kind)
	}
	return nil
}

func has[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// faults are the faults in force, in the order they were injected. They
// live in memory only: a restart clears them.
type faults struct {
	mu   sync.Mutex
	list []Fault
	stop chan struct{} // closed when the server stops; releases hung calls
}

func newFaults() *faults { return &faults{stop: make(chan struct{})} }

func (fs *faults) add(f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list = append(fs.list, f)
}

func (fs *faults) clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list = nil
}

func (fs *faults) snapshot() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]Fault(nil), fs.list...)
}

// take returns the first fault for route and counts the call against it.
func (fs *faults) take(route string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.list {
		if f.Route != route {
			continue
		}
		if f.Calls > 0 {
			fs.list[i].Calls--
			if fs.list[i].Calls == 0 {
				fs.list = append(fs.list[:i:i], fs.list[i+1:]...)
			}
		}
		return f, true
	}
	return Fault{}, false
}

// InjectFault makes registry-sim misbehave as f says (see FaultKind). It
// is the in-process twin of POST /admin/faults, for end-to-end tests.
func (m *Main) InjectFault(f Fault) error {
	if err := f.check(); err != nil {
		return err
	}
	if m.srv == nil {
		return fmt.Errorf("registry-sim is not running")
	}
	m.srv.faults.add(f)
	return nil
}

// ClearFaults removes every fault: DELETE /admin/faults.
func (m *Main) ClearFaults() {
	if m.srv != nil {
		m.srv.faults.clear()
	}
}

// Faults returns the faults in force, with the calls each has left.
func (m *Main) Faults() []Fault {
	if m.srv == nil {
		return nil
	}
	return m.srv.faults.snapshot()
}

// withFault runs h unless a fault for route says otherwise.
func (s *server) withFault(route string, h func(w http.ResponseWriter, r *http.Request) error) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, ok := s.faults.take(route)
		if !ok {
			return h(w, r)
		}
		s.log.Info().Str("route", route).Str("fault", string(f.Kind)).Msg("injecting fault")
		switch f.Kind {
		case FaultLatency:
			t := time.NewTimer(f.Delay)
			defer t.Stop()
			select {
			case <-t.C:
				return h(w, r)
			case <-r.Context().Done():
			case <-s.faults.stop:
			}
			panic(http.ErrAbortHandler) // drop the connection; never a default answer
		case FaultStatus:
			status := f.Status
			if status == 0 {
				status = http.StatusServiceUnavailable
			}
			return writeJSON(w, status, map[string]any{"error": map[string]string{
				"code": string(fault.Internal.Code), "message_id": fault.Internal.ID, "message_en": fault.Internal.EN}})
		case FaultTimeout:
			select {
			case <-r.Context().Done():
			case <-s.faults.stop:
			}
			panic(http.ErrAbortHandler)
		case FaultTruncated:
			body := `{"authorization_id":"aut_0000","nik":"31710912`
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(2*len(body)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(body))
			return nil // the server drops a connection whose body fell short
		case FaultOversized:
			return writeJSON(w, http.StatusOK, map[string]string{"padding": strings.Repeat("A", 3<<20)})
		case FaultWrongType:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("<!doctype html><title>Gateway</title><p>Sedang pemeliharaan.</p>\n"))
			return nil
		case FaultMalformed:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"request_id": "req_1", "fields": {"nik": 3171`))
			return nil
		case FaultSubjectMismatch, FaultDocumentAltered, FaultDocumentClaim, FaultDocumentBadSignature, FaultDocumentUnknownKey:
			return s.documentOf(w, r, f.Kind)
		}
		return fault.Internal.Withf("fault kind %q", f.Kind)
	}
}

func (s *server) addFault(w http.ResponseWriter, r *http.Request) error {
	var in faultJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	f := Fault{Route: in.Route, Kind: in.Kind, Calls: in.Calls, Status: in.Status, Delay: time.Duration(in.DelayMS) * time.Millisecond}
	if err := f.check(); err != nil {
		return errBadRequest.With(err)
	}
	s.faults.add(f)
	return writeJSON(w, http.StatusCreated, f.wire())
}

func (s *server) listFaults(w http.ResponseWriter, _ *http.Request) error {
	out := []faultJSON{}
	for _, f := range s.faults.snapshot() {
		out = append(out, f.wire())
	}
	return writeJSON(w, http.StatusOK, map[string]any{"faults": out})
}

func (s *server) clearFaults(w http.ResponseWriter, _ *http.Request) error {
	n := len(s.faults.snapshot())
	s.faults.clear()
	return writeJSON(w, http.StatusOK, map[string]any{"cleared": n})
}

// stranger is a resident from another family than p's, adult when adult
// is set: whose data a subject_mismatch fault serves.
func (s *server) stranger(p *person, adult bool) *person {
	for _, q := range s.pop.People {
		if q.Family != p.Family && (!adult || q.adult(s.now())) {
			return q
		}
	}
	return nil
}
