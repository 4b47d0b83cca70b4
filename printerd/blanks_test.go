package printerd_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/simcard"
)

func MustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// cardsOut lists the cards the simulator printed (one PDF per job).
func cardsOut(tb testing.TB, dir string) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.pdf"))
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

func mustLedger(tb testing.TB, d *printerd.Dispatcher) printerd.LedgerEntry {
	tb.Helper()
	es, err := d.Ledger(context.Background())
	if err != nil || len(es) != 1 {
		tb.Fatalf("Ledger = %+v, %v", es, err)
	}
	return es[0]
}

// Availability is enforced, not only shown: with no blank card in the
// ledger (nothing ever loaded) a card job is held with reason no-blanks
// before it is claimed, so the printer — which has cards in its hopper —
// prints nothing and the ledger never goes below zero. A supervisor loads
// one card and releases the job: it prints. The next job is held again.
func TestDispatcherHoldsWithoutBlanks(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	dev, err := simcard.Open(printerd.DeviceConfig{URI: out, Options: map[string]string{"blanks": "10", "raster": "off"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	j := MustOpenJournal(t, t.TempDir(), nil)
	d := MustDispatcherNoBlanks(t, printerd.DispatcherConfig{Journal: j,
		Printers: []printerd.Printer{{Name: "card-1", Driver: simcard.Name, Media: printerd.MediaCard, Device: dev}}})

	first := MustReach(t, d, MustSubmit(t, d, "first").ID, inState(printerd.JobHeld))
	if first.Reason != printerd.ReasonNoBlanks || first.Attempts != 0 || first.Printer != "card-1" {
		t.Errorf("held job = %+v, want reason no-blanks, no attempt, on card-1", first)
	}
	if files := cardsOut(t, out); len(files) != 0 {
		t.Errorf("printed %v with no blank card in the ledger", files)
	}
	if e := mustLedger(t, d); e.Remaining != 0 || e.Printed != 0 || slices.Contains(e.Alerts, printerd.AlertOverdraw) {
		t.Errorf("ledger = %+v, want 0 left, none printed, not overdrawn", e)
	}
	evs, err := j.Events(ctx, first.ID)
	if err != nil || len(evs) != 2 || evs[1].From != printerd.JobQueued || evs[1].To != printerd.JobHeld {
		t.Errorf("events %+v, %v; want submitted, then queued → held (never dispatching)", evs, err)
	}

	// Loading does not release: a supervisor does, once the cards are in.
	if _, err := d.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 1, Actor: "sari"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Job(ctx, first.ID); got.State != printerd.JobHeld {
		t.Errorf("after a load the job is %s, want still held", got.State)
	}
	if _, err := d.Release(ctx, first.ID, "sari"); err != nil {
		t.Fatal(err)
	}
	MustReach(t, d, first.ID, inState(printerd.JobPrinted))

	second := MustReach(t, d, MustSubmit(t, d, "second").ID, inState(printerd.JobHeld))
	if second.Reason != printerd.ReasonNoBlanks {
		t.Errorf("second job reason %q, want no-blanks", second.Reason)
	}
	if files := cardsOut(t, out); len(files) != 1 || filepath.Base(files[0]) != string(first.ID)+".pdf" {
		t.Errorf("printed %v, want only %s", files, first.ID)
	}
	if e := mustLedger(t, d); e.Loaded != 1 || e.Printed != 1 || e.Remaining != 0 {
		t.Errorf("ledger = %+v, want 1 loaded, 1 printed, 0 left", e)
	}
	av, err := d.Availability(ctx)
	if err != nil || len(av) == 0 || av[0].Media != printerd.MediaCard || av[0].Available || av[0].Reason != printerd.ReasonNoBlanks {
		t.Errorf("Availability = %+v, %v; want cards unavailable, no-blanks", av, err)
	}
}

// gated prints only once its gate is open.
type gated struct {
	scripted
	gate chan struct{}
}

func (g *gated) Print(ctx context.Context, job printerd.PrintJob) (printerd.Printed, error) {
	select {
	case <-g.gate:
	case <-ctx.Done(): // the test failed and closes the dispatcher
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "canceled", Err: ctx.Err()}
	}
	return g.scripted.Print(ctx, job)
}

// With two card printers, one without blanks in the ledger leaves the job
// to the other rather than holding it, even while the other is busy.
func TestDispatcherLeavesJobToPrinterWithBlanks(t *testing.T) {
	empty, loaded := &scripted{}, &gated{gate: make(chan struct{})}
	j := MustOpenJournal(t, t.TempDir(), nil)
	if _, err := j.RecordLoad(context.Background(), printerd.Load{Printer: "card-2", Count: 5, Actor: "sari"}); err != nil {
		t.Fatal(err)
	}
	d := MustDispatcherNoBlanks(t, printerd.DispatcherConfig{Journal: j, Printers: []printerd.Printer{
		{Name: "card-1", Media: printerd.MediaCard, Device: empty},
		{Name: "card-2", Media: printerd.MediaCard, Device: loaded},
	}})
	// card-2 takes one job and stays busy with it; card-1, polling every
	// 5 ms, sees the other queued all along.
	first := MustSubmit(t, d, "a")
	if got := MustReach(t, d, first.ID, func(j printerd.Job) bool { return j.State != printerd.JobQueued }); got.State != printerd.JobDispatching || got.Printer != "card-2" {
		t.Fatalf("job a is %s (%s) on %s, want dispatching on card-2", got.State, got.Reason, got.Printer)
	}
	second := MustSubmit(t, d, "b")
	time.Sleep(50 * time.Millisecond)
	if got, _ := d.Job(context.Background(), second.ID); got.State != printerd.JobQueued {
		t.Errorf("while card-2 is busy, job b is %s (%s), want queued for card-2", got.State, got.Reason)
	}
	close(loaded.gate)
	for _, job := range []printerd.Job{first, second} {
		job = MustReach(t, d, job.ID, func(j printerd.Job) bool { return j.State.Terminal() || j.State == printerd.JobHeld })
		if job.State != printerd.JobPrinted || job.Printer != "card-2" {
			t.Errorf("job %s: %s on %s, want printed on card-2", job.IdempotencyKey, job.State, job.Printer)
		}
	}
	if n := len(empty.calls()); n != 0 {
		t.Errorf("card-1, with no blanks recorded, printed %d cards", n)
	}
}
