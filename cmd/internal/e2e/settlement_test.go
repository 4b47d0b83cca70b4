package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// upstreamRequest is one request of an approval as registry-sim's admin
// view shows it.
type upstreamRequest struct {
	RequestID     string `json:"request_id"`
	Status        string `json:"status"`
	Confirmations int    `json:"confirmations"`
}

func (s *System) upstreamRequest(tb testing.TB, approval, rid string) (upstreamRequest, bool) {
	tb.Helper()
	res, err := s.Upstream.Get(s.Registry.URL() + "/admin/approvals/" + approval)
	mustOK(tb, err)
	defer res.Body.Close()
	var a struct {
		TokenBurned bool              `json:"token_burned"`
		Requests    []upstreamRequest `json:"requests"`
	}
	mustOK(tb, json.NewDecoder(res.Body).Decode(&a))
	for _, r := range a.Requests {
		if r.RequestID == rid {
			return r, a.TokenBurned
		}
	}
	tb.Fatalf("request %s not in approval %s", rid, approval)
	return upstreamRequest{}, false
}

// waitUpstream polls registry-sim until the request has status want. The
// deadline only stops a hung test.
func (s *System) waitUpstream(tb testing.TB, approval, rid, want string) upstreamRequest {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		r, _ := s.upstreamRequest(tb, approval, rid)
		if r.Status == want {
			return r
		}
		if time.Now().After(deadline) {
			tb.Fatalf("upstream request %s is %s, never %s", rid, r.Status, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mustOnlyJob returns printerd's one job.
func (s *System) mustOnlyJob(tb testing.TB, state printerd.JobState) printerd.Job {
	tb.Helper()
	jobs, err := s.Printers.Jobs(context.Background(), state)
	mustOK(tb, err)
	if len(jobs) != 1 {
		tb.Fatalf("%d jobs %s, want 1: %+v", len(jobs), state, jobs)
	}
	return jobs[0]
}

// TestSupervisorDecisionsReachTheUpstream: every way a supervisor ends a
// print that did not end by itself reaches the upstream, through the real
// station, printerd and registry-sim: in doubt → printed (through the
// console) and reprint → printed are confirmed and burn the token; void
// and a held job canceled are reported failed, keep the token and give
// the request back. Before the decision, no other kiosk may print it.
func TestSupervisorDecisionsReachTheUpstream(t *testing.T) {
	inDoubt := printerd.Fault{Kind: printerd.FaultOffline, At: printerd.FaultAfterPrint}
	held := printerd.Fault{Kind: printerd.FaultFeederEmpty, At: printerd.FaultBeforePrint}
	tests := []struct {
		name     string
		fault    printerd.Fault
		state    string // the print's state at the kiosk before the decision
		decide   func(t *testing.T, sys *System, job printerd.Job)
		want     string // the request's status upstream after it
		printed  bool
		upstream string // the request's status upstream before it
	}{
		{"in doubt, printed", inDoubt, "in_doubt", func(t *testing.T, sys *System, job printerd.Job) {
			sv := sys.MustSupervisor(t, "sari")
			page := sv.page("/jobs/" + string(job.ID))
			res, _ := sv.send("POST", "/jobs/"+string(job.ID)+"/resolve", url.Values{"csrf": {sv.field(page, "csrf")},
				"action": {"printed"}, "card_serial": {job.CardSerial}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("resolve in the console: %s", res.Status)
			}
		}, "printed", true, "in_doubt"},
		{"in doubt, reprint", inDoubt, "in_doubt", func(t *testing.T, sys *System, job printerd.Job) {
			mustOK(t, sys.Printers.ClearFaults(context.Background(), "card-1"))
			mustOK(t, sys.Printers.ResumePrinter(context.Background(), "card-1", "sari"))
			_, err := sys.Printers.Resolve(context.Background(), job.ID, printerd.Resolution{Action: printerd.ActionReprint,
				ReasonCode: printerd.ReasonCodeBlankOutput, Actor: "sari"})
			mustOK(t, err)
		}, "printed", true, "in_doubt"},
		{"in doubt, void", inDoubt, "in_doubt", func(t *testing.T, sys *System, job printerd.Job) {
			_, err := sys.Printers.Resolve(context.Background(), job.ID, printerd.Resolution{Action: printerd.ActionVoid,
				CardSerial: "VOID-1", ReasonCode: printerd.ReasonCodeCardDamaged, Actor: "sari"})
			mustOK(t, err)
		}, "approved", false, "in_doubt"},
		{"held, canceled", held, "held", func(t *testing.T, sys *System, job printerd.Job) {
			_, err := sys.Printers.Cancel(context.Background(), job.ID)
			mustOK(t, err)
		}, "approved", false, "printing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := MustStart(t)
			ctx := context.Background()
			a := sys.MustApprove(t, "ktp-el")
			mustOK(t, sys.Printers.InjectFault(ctx, "card-1", tt.fault))
			c := sys.NewCitizen(t)
			v := c.previewAndPrint(t, "/api/login/ticket", map[string]string{"ticket": a.Ticket})
			rid := v.Documents[0].RequestID
			c.waitPrintState(rid, tt.state)
			sys.waitUpstream(t, a.ApprovalID, rid, tt.upstream)

			// Meanwhile the request cannot be printed at another kiosk.
			other := NewCitizenAt(t, sys.Station.KioskURL())
			var ov sessionView
			switch st := other.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &ov); {
			case st == http.StatusCreated:
				var p struct {
					Error *apiError `json:"error"`
				}
				if st := other.call("POST", "/api/prepare", map[string]string{"request_id": rid}, &p); st < 400 {
					t.Fatalf("another session prepared a request whose print is unsettled: %d", st)
				}
			case ov.Error == nil || ov.Error.Code != "nothing_to_print":
				t.Fatalf("second login: %d %+v, want nothing_to_print", st, ov.Error)
			}

			job := sys.mustOnlyJob(t, printerd.JobState(tt.state))
			tt.decide(t, sys, job)
			r := sys.waitUpstream(t, a.ApprovalID, rid, tt.want)
			_, burned := sys.upstreamRequest(t, a.ApprovalID, rid)
			if burned != tt.printed {
				t.Errorf("token burned = %v, want %v", burned, tt.printed)
			}
			if want := map[bool]int{true: 1, false: 0}[tt.printed]; r.Confirmations != want {
				t.Errorf("%d confirmations upstream, want %d", r.Confirmations, want)
			}
			// Nothing is left owed.
			deadline := time.Now().Add(30 * time.Second)
			for {
				open, err := sys.Station.Settlements().Open(ctx)
				mustOK(t, err)
				if len(open) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("settlements still open: %+v", open)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
