package journal_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// withPresence is a card request of the visit p.
func withPresence(tb testing.TB, key, p string) printerd.SubmitRequest {
	r := cardRequest(tb, key)
	r.Presence = p
	return r
}

// mustClaim claims the next card job and returns it.
func mustClaim(tb testing.TB, j *journal.Journal) printerd.Job {
	tb.Helper()
	job, ok, err := j.ClaimNext(context.Background(), printerd.MediaCard, "card-1")
	if err != nil || !ok {
		tb.Fatalf("ClaimNext = %v, %v", ok, err)
	}
	return job
}

// TestClaimWaitsForPresence: a job is claimed for a printer only while
// its citizen's visit is live; otherwise it is held citizen_absent, and
// only a supervisor's hand-over prints it after.
func TestClaimWaitsForPresence(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	j, err := journal.Open(t.TempDir(), c.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	MustLoad(t, j, 10)

	// A visit never announced, a live one, one run out, one ended.
	mustOK(t, j.RenewPresence(ctx, "live", c.Now().Add(time.Minute)))
	mustOK(t, j.RenewPresence(ctx, "lapsed", c.Now().Add(time.Second)))
	mustOK(t, j.RenewPresence(ctx, "ended", c.Now().Add(time.Minute)))
	tests := []struct {
		presence string
		want     printerd.JobState
	}{
		{"", printerd.JobDispatching}, // no citizen: an operator's print
		{"unknown", printerd.JobHeld},
		{"live", printerd.JobDispatching},
		{"lapsed", printerd.JobHeld},
		{"ended", printerd.JobHeld},
	}
	c.advance(2 * time.Second)
	for _, tt := range tests {
		job := MustSubmit(t, j, withPresence(t, "k-"+tt.presence, tt.presence))
		if tt.presence == "ended" {
			// Ended while queued: held at once, not at the claim.
			held, err := j.EndPresence(ctx, "ended")
			if err != nil || len(held) != 1 || held[0].ID != job.ID || held[0].State != printerd.JobHeld || held[0].Reason != printerd.ReasonCitizenAbsent {
				t.Fatalf("EndPresence = %+v, %v", held, err)
			}
			continue
		}
		got := mustClaim(t, j)
		if got.ID != job.ID || got.State != tt.want || tt.want == printerd.JobHeld && got.Reason != printerd.ReasonCitizenAbsent {
			t.Errorf("presence %q: claimed %s %s (%s), want %s", tt.presence, got.ID, got.State, got.Reason, tt.want)
		}
		if got.State == printerd.JobDispatching {
			if _, err := j.Finish(ctx, got.ID, printerd.Result{State: printerd.JobPrinted, Printer: "card-1", CardSerial: "S-" + tt.presence}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An ended visit cannot be renewed back to life.
	if err := j.RenewPresence(ctx, "ended", c.Now().Add(time.Hour)); !errors.Is(err, printerd.ErrInvalidRequest) {
		t.Errorf("renewing an ended visit = %v, want request_invalid", err)
	}
	// The hand-over: released by a supervisor, it prints without the visit.
	jobs, err := j.List(ctx, printerd.JobFilter{State: printerd.JobHeld})
	mustOK(t, err)
	if len(jobs) != 3 {
		t.Fatalf("%d held jobs, want 3", len(jobs))
	}
	for _, h := range jobs {
		r, err := j.Release(ctx, h.ID, "sari")
		if err != nil || r.State != printerd.JobQueued || r.Presence != "" || r.Reason != printerd.ReasonHandedOver {
			t.Fatalf("Release(%s) = %+v, %v; want queued, handed over", h.ID, r, err)
		}
		if got := mustClaim(t, j); got.State != printerd.JobDispatching {
			t.Errorf("handed-over job claimed as %s (%s)", got.State, got.Reason)
		}
	}
}
