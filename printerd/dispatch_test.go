package printerd_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

// clock is a fake time source the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// scripted is a device that answers each Print with the next scripted
// error (nil is a success) and succeeds once the script is used up.
type scripted struct {
	mu       sync.Mutex
	script   []error
	printed  []printerd.JobID // every Print call, in order
	noSerial bool             // report no card serial (IPP, a terse exec program)
}

func (s *scripted) Capabilities(context.Context) (printerd.Capabilities, error) {
	return printerd.Capabilities{Media: []printerd.Media{printerd.MediaCard}}, nil
}

func (s *scripted) Status(context.Context) (printerd.Status, error) {
	return printerd.Status{State: printerd.PrinterIdle}, nil
}

func (s *scripted) Print(_ context.Context, job printerd.PrintJob) (printerd.Printed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.printed = append(s.printed, job.ID)
	var err error
	if len(s.script) > 0 {
		err, s.script = s.script[0], s.script[1:]
	}
	if err != nil {
		return printerd.Printed{}, err
	}
	if s.noSerial {
		return printerd.Printed{}, nil
	}
	return printerd.Printed{CardSerial: fmt.Sprintf("T-%d", len(s.printed))}, nil
}

func (s *scripted) Close() error { return nil }

func (s *scripted) calls() []printerd.JobID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]printerd.JobID(nil), s.printed...)
}

func MustOpenJournal(tb testing.TB, dir string, now func() time.Time) *journal.Journal {
	tb.Helper()
	j, err := journal.Open(dir, now)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = j.Close() })
	return j
}

// MustDispatcher starts a Dispatcher and records 100 blank cards loaded
// into each card printer, as a supervisor does at opening (a card job
// on a printer with none is held: see TestDispatcherHoldsWithoutBlanks).
func MustDispatcher(tb testing.TB, cfg printerd.DispatcherConfig) *printerd.Dispatcher {
	tb.Helper()
	d := MustDispatcherNoBlanks(tb, cfg)
	for _, p := range cfg.Printers {
		if p.Media.Counted() {
			if _, err := d.LoadCards(context.Background(), printerd.Load{Printer: p.Name, Count: 100, Actor: "test"}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return d
}

// MustDispatcherNoBlanks starts a Dispatcher with nothing in the ledger.
func MustDispatcherNoBlanks(tb testing.TB, cfg printerd.DispatcherConfig) *printerd.Dispatcher {
	tb.Helper()
	if cfg.Poll == 0 {
		cfg.Poll = 5 * time.Millisecond
	}
	d, err := printerd.NewDispatcher(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	return d
}

func MustSubmit(tb testing.TB, d *printerd.Dispatcher, key string) printerd.Job {
	tb.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", "card.pdf"))
	if err != nil {
		tb.Fatal(err)
	}
	job, _, err := d.Submit(context.Background(), printerd.SubmitRequest{IdempotencyKey: key, Media: printerd.MediaCard, Title: "KTP-el", Document: doc})
	if err != nil {
		tb.Fatal(err)
	}
	return job
}

// MustReach polls until the job satisfies ok; it fails the test after a
// generous deadline (a hang, not a slowness check).
func MustReach(tb testing.TB, d *printerd.Dispatcher, id printerd.JobID, ok func(printerd.Job) bool) printerd.Job {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		job, err := d.Job(context.Background(), id)
		if err != nil {
			tb.Fatal(err)
		}
		if ok(job) {
			return job
		}
		if time.Now().After(deadline) {
			tb.Fatalf("job %s stuck at %+v", id, job)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func inState(s printerd.JobState) func(printerd.Job) bool {
	return func(j printerd.Job) bool { return j.State == s }
}

func TestDispatcherOutcomes(t *testing.T) {
	de := func(o printerd.Outcome, reason string, uncertain bool) error {
		return &printerd.DriverError{Outcome: o, Reason: reason, Uncertain: uncertain}
	}
	tests := []struct {
		name         string
		script       []error
		wantState    printerd.JobState
		wantReason   string
		wantAttempts int
		wantSerial   string
	}{
		{"printed", nil, printerd.JobPrinted, "", 1, "T-1"},
		{"uncertain", []error{de(printerd.OutcomeRetry, "offline", true)}, printerd.JobInDoubt, "offline", 1, ""},
		{"unclassified error", []error{errors.New("connection reset")}, printerd.JobInDoubt, "driver-error", 1, ""},
		{"context deadline", []error{context.DeadlineExceeded}, printerd.JobInDoubt, "driver-error", 1, ""},
		{"ok with an error", []error{de(printerd.OutcomeOK, "", false)}, printerd.JobInDoubt, "ok", 1, ""},
		{"failed", []error{de(printerd.OutcomeFailed, "document-format-error", false)}, printerd.JobFailed, "document-format-error", 1, ""},
		{"cancel", []error{de(printerd.OutcomeCancel, "", false)}, printerd.JobCanceled, "cancel", 1, ""},
		{"hold", []error{de(printerd.OutcomeHold, "media-empty", false)}, printerd.JobHeld, "media-empty", 1, ""},
		{"retry-current then ok", []error{de(printerd.OutcomeRetryCurrent, "media-jam", false)}, printerd.JobPrinted, "", 2, "T-2"},
		{"retry-current until failed", []error{
			de(printerd.OutcomeRetryCurrent, "media-jam", false),
			de(printerd.OutcomeRetryCurrent, "media-jam", false),
			de(printerd.OutcomeRetryCurrent, "media-jam", false),
		}, printerd.JobFailed, "media-jam", 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			dev := &scripted{script: tt.script}
			d := MustDispatcher(t, printerd.DispatcherConfig{
				Journal:     MustOpenJournal(t, t.TempDir(), clk.Now),
				Printers:    []printerd.Printer{{Name: "card-1", Driver: "test", Media: printerd.MediaCard, Device: dev}},
				Now:         clk.Now,
				MaxAttempts: 3,
			})
			job := MustSubmit(t, d, "k")
			got := MustReach(t, d, job.ID, inState(tt.wantState))
			if got.Reason != tt.wantReason || got.Attempts != tt.wantAttempts || got.CardSerial != tt.wantSerial || got.Printer != "card-1" {
				t.Errorf("job = %+v, want reason %q, %d attempts, serial %q on card-1", got, tt.wantReason, tt.wantAttempts, tt.wantSerial)
			}
			if n := len(dev.calls()); n != tt.wantAttempts {
				t.Errorf("device saw %d prints, want %d", n, tt.wantAttempts)
			}
		})
	}
}

func TestDispatcherRetryWaitsForBackoff(t *testing.T) {
	clk := newClock()
	dev := &scripted{script: []error{&printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "offline"}}}
	d := MustDispatcher(t, printerd.DispatcherConfig{
		Journal:    MustOpenJournal(t, t.TempDir(), clk.Now),
		Printers:   []printerd.Printer{{Name: "card-1", Media: printerd.MediaCard, Device: dev}},
		Now:        clk.Now,
		RetryDelay: time.Minute,
	})
	job := MustSubmit(t, d, "k")
	MustReach(t, d, job.ID, func(j printerd.Job) bool { return j.State == printerd.JobQueued && j.Attempts == 1 })
	// The pause is measured on the injected clock: only moving it lets
	// the worker try again.
	clk.Add(time.Minute)
	got := MustReach(t, d, job.ID, inState(printerd.JobPrinted))
	if got.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", got.Attempts)
	}
}

func TestDispatcherStopAndResume(t *testing.T) {
	clk := newClock()
	dev := &scripted{script: []error{&printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: "cover-open"}}}
	d := MustDispatcher(t, printerd.DispatcherConfig{
		Journal:  MustOpenJournal(t, t.TempDir(), clk.Now),
		Printers: []printerd.Printer{{Name: "card-1", Media: printerd.MediaCard, Device: dev}},
		Now:      clk.Now,
	})
	job := MustSubmit(t, d, "k")
	MustReach(t, d, job.ID, func(j printerd.Job) bool { return j.State == printerd.JobQueued && j.Attempts == 1 })
	printers, err := d.Printers(context.Background())
	if err != nil || len(printers) != 1 || printers[0].Status.State != printerd.PrinterStopped ||
		len(printers[0].Status.Reasons) != 1 || printers[0].Status.Reasons[0].Keyword != "cover-open" {
		t.Fatalf("Printers = %+v, %v; want card-1 stopped with cover-open", printers, err)
	}
	if err := d.Resume("card-1"); err != nil {
		t.Fatal(err)
	}
	MustReach(t, d, job.ID, inState(printerd.JobPrinted))
	if err := d.Resume("card-9"); !errors.Is(err, printerd.ErrPrinterNotFound) {
		t.Errorf("Resume(card-9) = %v", err)
	}
}

func TestDispatcherNeverReprintsAfterCrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := newClock()
	j, err := journal.Open(dir, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := os.ReadFile(filepath.Join("testdata", "card.pdf"))
	crashed, _, err := j.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "crashed", Media: printerd.MediaCard, Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.RecordLoad(ctx, printerd.Load{Printer: "card-1", Count: 1, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); err != nil || got.State != printerd.JobDispatching {
		t.Fatalf("ClaimNext = %+v, %v", got, err)
	}
	_ = j.Close() // the process dies with the job dispatching

	dev := &scripted{}
	d := MustDispatcher(t, printerd.DispatcherConfig{
		Journal:  MustOpenJournal(t, dir, clk.Now),
		Printers: []printerd.Printer{{Name: "card-1", Media: printerd.MediaCard, Device: dev}},
		Now:      clk.Now,
	})
	next := MustSubmit(t, d, "next")
	MustReach(t, d, next.ID, inState(printerd.JobPrinted))
	if calls := dev.calls(); len(calls) != 1 || calls[0] != next.ID {
		t.Errorf("device printed %v, want only %s", calls, next.ID)
	}
	if got, _ := d.Job(ctx, crashed.ID); got.State != printerd.JobInDoubt {
		t.Errorf("crashed job = %+v, want in_doubt", got)
	}
}

func TestDispatcherSubmitChecks(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	d := MustDispatcher(t, printerd.DispatcherConfig{
		Journal:  MustOpenJournal(t, t.TempDir(), clk.Now),
		Printers: []printerd.Printer{{Name: "card-1", Media: printerd.MediaCard, Device: &scripted{}}},
		Now:      clk.Now,
	})
	a4, _ := os.ReadFile(filepath.Join("testdata", "a4.pdf"))
	tests := []struct {
		name    string
		req     printerd.SubmitRequest
		wantErr error
	}{
		{"no printer for A4", printerd.SubmitRequest{IdempotencyKey: "kk", Media: printerd.MediaA4, Document: a4}, printerd.ErrNoPrinter},
		{"invalid before anything else", printerd.SubmitRequest{Media: printerd.MediaA4, Document: a4}, printerd.ErrInvalidJob},
	}
	for _, tt := range tests {
		if _, _, err := d.Submit(ctx, tt.req); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Submit error = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestDispatcherCancelAndObserve(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	var mu sync.Mutex
	var seen []printerd.JobState
	// The device holds the job (no blank cards), so it can be canceled.
	d := MustDispatcher(t, printerd.DispatcherConfig{
		Journal:  MustOpenJournal(t, t.TempDir(), clk.Now),
		Printers: []printerd.Printer{{Name: "card-1", Media: printerd.MediaCard, Device: &scripted{script: []error{&printerd.DriverError{Outcome: printerd.OutcomeHold, Reason: "media-empty"}}}}},
		Now:      clk.Now,
		Observe: func(e printerd.Event) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, e.Job.State)
		},
	})
	job := MustSubmit(t, d, "k")
	MustReach(t, d, job.ID, inState(printerd.JobHeld))
	got, err := d.Cancel(ctx, job.ID)
	if err != nil || got.State != printerd.JobCanceled {
		t.Fatalf("Cancel = %+v, %v", got, err)
	}
	if _, err := d.Cancel(ctx, job.ID); !errors.Is(err, printerd.ErrJobState) {
		t.Errorf("second Cancel = %v, want job_state_conflict", err)
	}
	mu.Lock()
	defer mu.Unlock()
	// A worker may claim the job between its commit and Submit's report,
	// so the first two may come in either order.
	want := []printerd.JobState{printerd.JobQueued, printerd.JobDispatching, printerd.JobHeld, printerd.JobCanceled}
	if len(seen) == 4 && seen[0] == printerd.JobDispatching {
		seen[0], seen[1] = seen[1], seen[0]
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("observed %v, want %v", seen, want)
	}
}

func TestNewDispatcherRejects(t *testing.T) {
	j := MustOpenJournal(t, t.TempDir(), nil)
	dev := &scripted{}
	tests := []struct {
		name string
		cfg  printerd.DispatcherConfig
	}{
		{"no journal", printerd.DispatcherConfig{}},
		{"unnamed printer", printerd.DispatcherConfig{Journal: j, Printers: []printerd.Printer{{Media: printerd.MediaCard, Device: dev}}}},
		{"duplicate name", printerd.DispatcherConfig{Journal: j, Printers: []printerd.Printer{
			{Name: "p", Media: printerd.MediaCard, Device: dev}, {Name: "p", Media: printerd.MediaA4, Device: dev}}}},
		{"no device", printerd.DispatcherConfig{Journal: j, Printers: []printerd.Printer{{Name: "p", Media: printerd.MediaCard}}}},
		{"unknown media", printerd.DispatcherConfig{Journal: j, Printers: []printerd.Printer{{Name: "p", Media: "roll", Device: dev}}}},
	}
	for _, tt := range tests {
		if d, err := printerd.NewDispatcher(tt.cfg); err == nil {
			_ = d.Close()
			t.Errorf("%s: NewDispatcher accepted the configuration", tt.name)
		}
	}
}

func TestDispatcherCloseIsIdempotent(t *testing.T) {
	d, err := printerd.NewDispatcher(printerd.DispatcherConfig{Journal: MustOpenJournal(t, t.TempDir(), nil),
		Printers: []printerd.Printer{{Name: "p", Media: printerd.MediaCard, Device: &scripted{}}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
