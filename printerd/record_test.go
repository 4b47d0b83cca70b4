package printerd_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

// failingJournal is a real journal whose Finish fails while failing is
// set, as a journal does whose disk returns errors: with written set the
// change is committed first and the error returned anyway (a commit that
// reached the disk although its sync failed).
type failingJournal struct {
	*journal.Journal
	mu      sync.Mutex
	failing bool
	written bool
	tries   int
}

func (f *failingJournal) set(failing, written bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing, f.written = failing, written
}

func (f *failingJournal) Finish(ctx context.Context, id printerd.JobID, r printerd.Result) (printerd.Job, error) {
	f.mu.Lock()
	failing, written := f.failing, f.written
	f.tries++
	f.mu.Unlock()
	if !failing {
		return f.Journal.Finish(ctx, id, r)
	}
	if written {
		f.set(false, false) // once: the retry finds it done
		if _, err := f.Journal.Finish(ctx, id, r); err != nil {
			return printerd.Job{}, err
		}
	}
	return printerd.Job{}, printerd.ErrJournal.Withf("disk I/O error (injected)")
}

func (f *failingJournal) Health() printerd.JournalHealth {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing {
		return printerd.JournalHealth{Failures: 1, FailingSince: time.Now()}
	}
	return f.Journal.Health()
}

func (f *failingJournal) attempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tries
}

// events collects the dispatcher's events.
type events struct {
	mu sync.Mutex
	es []printerd.Event
}

func (e *events) observe(ev printerd.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.es = append(e.es, ev)
}

func (e *events) unrecorded() []printerd.Unrecorded {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []printerd.Unrecorded
	for _, ev := range e.es {
		if ev.Unrecorded != nil {
			out = append(out, *ev.Unrecorded)
		}
	}
	return out
}

func MustStopped(tb testing.TB, d *printerd.Dispatcher, reason string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ps, err := d.Printers(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		if ps[0].Status.State == printerd.PrinterStopped && ps[0].Status.Reasons[len(ps[0].Status.Reasons)-1].Keyword == reason {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("printer is %+v, want stopped with %s", ps[0].Status, reason)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestDispatcherRetriesRecord: a print's outcome that the journal fails to
// record is retried until it is written; the card printed once, each
// failed attempt was reported, and the printer was not stopped for a
// failure shorter than the patience.
func TestDispatcherRetriesRecord(t *testing.T) {
	tests := []struct {
		name    string
		written bool // the failed attempt was committed anyway
		fail    time.Duration
	}{
		{"fails a while", false, 30 * time.Millisecond},
		{"written although it failed", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			fj := &failingJournal{Journal: MustOpenJournal(t, t.TempDir(), clk.Now)}
			fj.set(true, tt.written)
			var ev events
			dev := &scripted{}
			d := MustDispatcher(t, printerd.DispatcherConfig{
				Journal: fj, Printers: []printerd.Printer{{Name: "card-1", Media: printerd.MediaCard, Device: dev}},
				Now: clk.Now, Observe: ev.observe, JournalRetry: time.Millisecond, JournalPatience: time.Hour,
			})
			job := MustSubmit(t, d, "k")
			if !tt.written {
				time.Sleep(tt.fail)
				fj.set(false, false)
			}
			got := MustReach(t, d, job.ID, inState(printerd.JobPrinted))
			for deadline := time.Now().Add(10 * time.Second); fj.attempts() < 2; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) { // written by the failed attempt: the retry must come
					t.Fatal("the failed record was not tried again")
				}
			}
			if got.CardSerial != "T-1" || len(dev.calls()) != 1 {
				t.Errorf("job = %+v after %d prints, want printed once with T-1", got, len(dev.calls()))
			}
			us := ev.unrecorded()
			if len(us) == 0 || len(us) != fj.attempts()-1 {
				t.Fatalf("%d unrecorded events for %d attempts, want one per failed attempt", len(us), fj.attempts())
			}
			for i, u := range us {
				if u.Outcome != printerd.JobPrinted || u.Attempt != i+1 || u.Retry <= 0 || u.Stopped {
					t.Errorf("event %d = %+v, want a retry of printed, printer running", i, u)
				}
			}
			ts, err := d.Ledger(context.Background())
			if err != nil || len(ts) != 1 || ts[0].Printed != 1 {
				t.Errorf("ledger = %+v, %v; want one printed card", ts, err)
			}
		})
	}
}

// TestDispatcherStopsOnJournalError: past the patience the printer is
// stopped with journal-error, media are unavailable and nothing more
// prints; the record is still retried, and once it is written the
// printer waits for a supervisor.
func TestDispatcherStopsOnJournalError(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	fj := &failingJournal{Journal: MustOpenJournal(t, t.TempDir(), clk.Now)}
	fj.set(true, false)
	var ev events
	dev := &scripted{}
	d := MustDispatcher(t, printerd.DispatcherConfig{
		Journal: fj, Printers: []printerd.Printer{{Name: "card-1", Media: printerd.MediaCard, Device: dev}},
		Now: clk.Now, Observe: ev.observe, JournalRetry: time.Millisecond, JournalPatience: 20 * time.Millisecond,
	})
	first := MustSubmit(t, d, "first")
	MustStopped(t, d, printerd.ReasonJournalError)
	if av, err := d.Availability(ctx); err != nil || av[0].Available || av[0].Reason != printerd.ReasonJournalError {
		t.Errorf("Availability = %+v, %v; want unavailable, journal-error", av, err)
	}
	if us := ev.unrecorded(); !us[len(us)-1].Stopped || us[len(us)-1].Retry <= 0 {
		t.Errorf("last event %+v, want stopped and still retrying", us[len(us)-1])
	}
	second := MustSubmit(t, d, "second")

	fj.set(false, false)
	MustReach(t, d, first.ID, inState(printerd.JobPrinted))
	time.Sleep(20 * time.Millisecond) // a running worker would take the next job by now
	if got, _ := d.Job(ctx, second.ID); got.State != printerd.JobQueued {
		t.Errorf("second job is %s while the printer is stopped, want queued", got.State)
	}
	MustStopped(t, d, printerd.ReasonJournalError)
	if err := d.Resume("card-1"); err != nil {
		t.Fatal(err)
	}
	MustReach(t, d, second.ID, inState(printerd.JobPrinted))
	if calls := dev.calls(); len(calls) != 2 {
		t.Errorf("device printed %v, want each job once", calls)
	}
}

// TestDispatcherCloseLeavesUnrecordedInDoubt: when printerd stops before
// the record is written, the worker says so at error level (no retry
// follows) and the job, still dispatching, is in doubt at the next start.
func TestDispatcherCloseLeavesUnrecordedInDoubt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := newClock()
	j, err := journal.Open(dir, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.RecordLoad(ctx, printerd.Load{Printer: "card-1", Count: 10, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	fj := &failingJournal{Journal: j}
	fj.set(true, false)
	var ev events
	d, err := printerd.NewDispatcher(printerd.DispatcherConfig{
		Journal: fj, Printers: []printerd.Printer{{Name: "card-1", Media: printerd.MediaCard, Device: &scripted{}}},
		Now: clk.Now, Poll: 5 * time.Millisecond, Observe: ev.observe, JournalRetry: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	job := MustSubmit(t, d, "k")
	for deadline := time.Now().Add(10 * time.Second); len(ev.unrecorded()) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no failed record reported")
		}
	}
	_ = d.Close()
	us := ev.unrecorded()
	if last := us[len(us)-1]; last.Retry != 0 {
		t.Errorf("last event %+v, want the worker giving up", last)
	}
	if got, _ := j.Get(ctx, job.ID); got.State != printerd.JobDispatching {
		t.Errorf("job is %s after Close, want dispatching", got.State)
	}
	_ = j.Close()
	if got, _ := MustOpenJournal(t, dir, clk.Now).Get(ctx, job.ID); got.State != printerd.JobInDoubt {
		t.Errorf("job is %s after the restart, want in_doubt", got.State)
	}
}
