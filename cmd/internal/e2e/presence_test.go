package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// jobWhere waits until printerd's one job satisfies ok, and returns it.
// The deadline only stops a hung test.
func (s *System) jobWhere(tb testing.TB, what string, ok func(printerd.Job) bool) printerd.Job {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		jobs, err := s.Printers.Jobs(context.Background(), "")
		mustOK(tb, err)
		if len(jobs) == 1 && ok(jobs[0]) {
			return jobs[0]
		}
		if time.Now().After(deadline) {
			tb.Fatalf("printerd's job never %s: %+v", what, jobs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// struck: the fault has done its work: the job ended, is held, or waits
// in the queue for a stopped printer (a reason set).
func struck(j printerd.Job) bool {
	return j.State != printerd.JobDispatching && (j.State != printerd.JobQueued || j.Reason != "")
}

// still: neither queued nor at a printer.
func still(j printerd.Job) bool {
	return j.State != printerd.JobQueued && j.State != printerd.JobDispatching
}

// TestNoCardForAnAbsentCitizen drives every printer fault printerd knows
// (each kind at each point of a print where it exists), has the citizen
// leave once the fault has struck, then clears the faults, resumes the
// printer and releases a held job: no card may come out after the citizen
// left, unless a supervisor hands it over; the ledger balances; the token
// is burned exactly when the job printed.
func TestNoCardForAnAbsentCitizen(t *testing.T) {
	var cases []printerd.Fault
	for _, k := range printerd.FaultKinds {
		for _, at := range printerd.FaultPoints {
			f := printerd.Fault{Kind: k, At: at, Count: 3}
			if _, err := f.Effect(); err == nil {
				cases = append(cases, f)
			}
		}
	}
	for _, f := range cases {
		t.Run(f.String(), func(t *testing.T) {
			ctx := context.Background()
			sys := MustStart(t)
			a := sys.MustApprove(t, "ktp-el")
			mustOK(t, sys.Printers.InjectFault(ctx, "card-1", f))
			c := sys.NewCitizen(t)
			v := c.previewAndPrint(t, "/api/login/ticket", map[string]string{"ticket": a.Ticket})
			rid := v.Documents[0].RequestID
			job := sys.jobWhere(t, "met the fault", struck)
			if st := c.call("POST", "/api/session/logout", nil, nil); st >= 400 {
				t.Fatalf("logout: %d", st)
			}
			cards := sys.cards(t) // what came out while the citizen was there

			// The printer is fixed after the citizen left.
			mustOK(t, sys.Printers.ClearFaults(ctx, "card-1"))
			_ = sys.Printers.ResumePrinter(ctx, "card-1", "sari")
			if job = sys.jobWhere(t, "stood still", still); job.State == printerd.JobHeld && job.Reason != printerd.ReasonCitizenAbsent {
				// Releasing a job held for a printer reason is no hand-over.
				_, err := sys.Printers.Release(ctx, job.ID, "sari")
				mustOK(t, err)
				job = sys.jobWhere(t, "stood still", still)
			}
			if n := sys.cards(t); n != cards || job.State == printerd.JobPrinted && cards == 0 {
				t.Fatalf("a card came out after the citizen left: job %s %s, %d cards then %d", job.State, job.Reason, cards, n)
			}
			if job.State == printerd.JobHeld {
				if job.Reason != printerd.ReasonCitizenAbsent {
					t.Fatalf("job held %s after the printer was fixed", job.Reason)
				}
				// Handed over in person: it prints now, once.
				_, err := sys.Printers.Release(ctx, job.ID, "sari")
				mustOK(t, err)
				if job = sys.jobWhere(t, "printed", still); job.State != printerd.JobPrinted || sys.cards(t) != cards+1 {
					t.Fatalf("handed over: job %s %s, %d cards", job.State, job.Reason, sys.cards(t))
				}
			}
			// The token is burned exactly when the job printed.
			if job.State == printerd.JobPrinted {
				r := sys.waitUpstream(t, a.ApprovalID, rid, "printed")
				if _, burned := sys.upstreamRequest(t, a.ApprovalID, rid); !burned || r.Confirmations != 1 {
					t.Errorf("upstream %+v burned %v after the card printed", r, burned)
				}
			} else if _, burned := sys.upstreamRequest(t, a.ApprovalID, rid); burned {
				t.Errorf("token burned for a job %s", job.State)
			}
			ledger, err := sys.Printers.Ledger(ctx)
			mustOK(t, err)
			if l := ledger[0]; l.Remaining < 0 || (job.State == printerd.JobPrinted) != (l.Printed == 1) {
				t.Errorf("ledger %+v for a job %s", l, job.State)
			}
		})
	}
	t.Logf("%d fault cases (kind × point where the fault exists)", len(cases))
}
