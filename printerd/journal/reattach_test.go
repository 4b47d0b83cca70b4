package journal_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

// TestReattach: a job held because its citizen left is bound to the
// citizen's new visit and queued again in one step: the same job, printed
// once; only a job held citizen_absent, and only for a live visit.
func TestReattach(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	j, err := journal.Open(t.TempDir(), c.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	MustLoad(t, j, 10)

	mustOK(t, j.RenewPresence(ctx, "first", c.Now().Add(time.Minute)))
	job := MustSubmit(t, j, withPresence(t, "k-absent", "first"))
	if _, err := j.EndPresence(ctx, "first"); err != nil {
		t.Fatal(err)
	}
	// The new visit is not announced yet: refused, still held.
	if _, _, err := j.Reattach(ctx, job.ID, "second"); !errors.Is(err, printerd.ErrInvalidRequest) {
		t.Fatalf("Reattach to a visit not live = %v, want ErrInvalidRequest", err)
	}
	if got, _ := j.Get(ctx, job.ID); got.State != printerd.JobHeld || got.Reason != printerd.ReasonCitizenAbsent {
		t.Fatalf("after a refused reattach: %s (%s)", got.State, got.Reason)
	}
	mustOK(t, j.RenewPresence(ctx, "second", c.Now().Add(time.Minute)))
	got, changed, err := j.Reattach(ctx, job.ID, "second")
	if err != nil || !changed || got.ID != job.ID || got.State != printerd.JobQueued || got.Reason != printerd.ReasonReattached || got.Presence != "second" {
		t.Fatalf("Reattach = %+v, %v, %v", got, changed, err)
	}
	// A retry of the same reattachment changes nothing.
	if again, changed, err := j.Reattach(ctx, job.ID, "second"); err != nil || changed || again.State != printerd.JobQueued {
		t.Fatalf("Reattach again = %s, %v, %v", again.State, changed, err)
	}
	// It prints under the new visit.
	claimed := mustClaim(t, j)
	if claimed.ID != job.ID || claimed.State != printerd.JobDispatching {
		t.Fatalf("claimed %s %s, want %s dispatching", claimed.ID, claimed.State, job.ID)
	}
	if _, err := j.Finish(ctx, job.ID, printerd.Result{State: printerd.JobPrinted, Printer: "card-1", CardSerial: "S-1"}); err != nil {
		t.Fatal(err)
	}
	// Printed: never again, under any visit.
	mustOK(t, j.RenewPresence(ctx, "third", c.Now().Add(time.Minute)))
	if _, _, err := j.Reattach(ctx, job.ID, "third"); !errors.Is(err, printerd.ErrJobState) {
		t.Fatalf("Reattach of a printed job = %v, want ErrJobState", err)
	}
	if _, ok, _ := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); ok {
		t.Fatal("a second claim after the reattached job printed")
	}
	evs, err := j.Events(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var reattached int
	for _, e := range evs {
		if e.From == printerd.JobHeld && e.To == printerd.JobQueued && e.Reason == printerd.ReasonReattached {
			reattached++
		}
	}
	if reattached != 1 {
		t.Fatalf("%d reattach events, want 1: %+v", reattached, evs)
	}

	// A job without a presence (handed over, an operator's print) is no
	// citizen's to take back.
	op := MustSubmit(t, j, cardRequest(t, "k-operator"))
	if _, _, err := j.Reattach(ctx, op.ID, "third"); !errors.Is(err, printerd.ErrJobState) {
		t.Fatalf("Reattach of a queued operator job = %v, want ErrJobState", err)
	}
}
