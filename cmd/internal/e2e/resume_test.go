package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	"github.com/anjungan/anjungan/printerd"
)

// TestReturningCitizenResumesHeldPrint: a citizen whose card waited for a
// stopped printer leaves (printerd holds the job citizen_absent, the
// upstream holds the request as printing, the token is kept). The printer
// is fixed; nothing comes out. The citizen comes back with the same
// ticket: the kiosk offers the held print, and resuming it prints that
// same job under the new visit: one job, one card, one confirmation, the
// token burned once.
func TestReturningCitizenResumesHeldPrint(t *testing.T) {
	ctx := context.Background()
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el")
	mustOK(t, sys.Printers.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultCoverOpen, At: printerd.FaultBeforePrint, Count: 1}))
	first := sys.NewCitizen(t)
	v := first.previewAndPrint(t, "/api/login/ticket", map[string]string{"ticket": a.Ticket})
	rid := v.Documents[0].RequestID
	held := sys.jobWhere(t, "met the fault", struck)
	mustStatus(t, first.call("POST", "/api/session/logout", nil, nil), http.StatusNoContent)
	held = sys.jobWhere(t, "held for the absent citizen", func(j printerd.Job) bool {
		return j.State == printerd.JobHeld && j.Reason == printerd.ReasonCitizenAbsent
	})

	mustOK(t, sys.Printers.ClearFaults(ctx, "card-1"))
	_ = sys.Printers.ResumePrinter(ctx, "card-1", "sari")
	if n := sys.cards(t); n != 0 {
		t.Fatalf("%d cards came out for a citizen who had left", n)
	}
	if r, burned := sys.upstreamRequest(t, a.ApprovalID, rid); r.Status != "printing" || burned {
		t.Fatalf("upstream %+v burned %v while the print is held", r, burned)
	}

	// The citizen comes back.
	back := sys.NewCitizen(t)
	var again sessionView
	if st := back.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &again); st != http.StatusCreated {
		t.Fatalf("returning login: %d %+v", st, again.Error)
	}
	d := again.Documents[0]
	if d.RequestID != rid || d.Print == nil || d.Print.State != "resumable" || d.Print.Job != string(held.ID) {
		t.Fatalf("returning citizen sees %+v, want the held job %s resumable", d, held.ID)
	}
	// Two taps: one resume.
	for range 2 {
		var p struct {
			State string    `json:"state"`
			Job   string    `json:"job"`
			Error *apiError `json:"error"`
		}
		if st := back.call("POST", "/api/print", map[string]string{"request_id": rid}, &p); st != http.StatusAccepted || p.Job != string(held.ID) {
			t.Fatalf("resume: %d %+v", st, p)
		}
	}
	back.waitPrintState(rid, "printed")
	job := sys.jobWhere(t, "printed", still) // the one job: jobWhere fails on a second
	if job.ID != held.ID || job.State != printerd.JobPrinted {
		t.Fatalf("job %s %s, want %s printed", job.ID, job.State, held.ID)
	}
	if n := sys.cards(t); n != 1 {
		t.Fatalf("%d cards, want 1", n)
	}
	r := sys.waitUpstream(t, a.ApprovalID, rid, "printed")
	if _, burned := sys.upstreamRequest(t, a.ApprovalID, rid); !burned || r.Confirmations != 1 {
		t.Fatalf("upstream %+v burned %v, want one confirmation and the token burned", r, burned)
	}
	ledger, err := sys.Printers.Ledger(ctx)
	mustOK(t, err)
	if l := ledger[0]; l.Printed != 1 || l.Remaining < 0 {
		t.Fatalf("ledger %+v", l)
	}
}

// TestOwnReservationIsNotAnotherKiosk: a citizen previews a document and
// leaves while the registry refuses the release of its reservation; back
// at the same kiosk, the registry says the request is reserved by another
// authorization. It is this kiosk's own earlier visit, not another kiosk:
// the station gives the reservation back and the citizen prints.
func TestOwnReservationIsNotAnotherKiosk(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "kk")
	first := sys.NewCitizen(t)
	var v sessionView
	if st := first.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &v); st != http.StatusCreated {
		t.Fatalf("login: %d %+v", st, v.Error)
	}
	rid := v.Documents[0].RequestID
	first.mustPreview(rid)
	mustOK(t, sys.Registry.InjectFault(registrysim.Fault{Route: registrysim.RouteRelease, Kind: registrysim.FaultStatus, Status: http.StatusServiceUnavailable}))
	mustStatus(t, first.call("POST", "/api/session/logout", nil, nil), http.StatusNoContent)
	time.Sleep(3 * time.Second) // the release, refused, with the client's retries
	sys.Registry.ClearFaults()

	back := sys.NewCitizen(t)
	if st := back.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &v); st != http.StatusCreated {
		t.Fatalf("returning login: %d %+v", st, v.Error)
	}
	var p struct {
		Pages int       `json:"pages"`
		Error *apiError `json:"error"`
	}
	if st := back.call("POST", "/api/prepare", map[string]string{"request_id": rid}, &p); st != http.StatusOK {
		t.Fatalf("prepare after this kiosk's own reservation: %d %+v (told it is at another kiosk)", st, p.Error)
	}
	if st := back.call("POST", "/api/print", map[string]string{"request_id": rid}, nil); st != http.StatusAccepted {
		t.Fatalf("print: %d", st)
	}
	back.waitPrintState(rid, "printed")
}
