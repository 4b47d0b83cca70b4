package printerd_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// panicky is a scripted device whose driver panics in one call, as a
// vendor's driver fed a malformed reply did.
type panicky struct {
	scripted
	in string // "Print", "Status" or "Capabilities"
}

func (p *panicky) Print(ctx context.Context, job printerd.PrintJob) (printerd.Printed, error) {
	if p.in == "Print" {
		p.scripted.mu.Lock()
		p.scripted.printed = append(p.scripted.printed, job.ID)
		p.scripted.mu.Unlock()
		panic("index out of range in the vendor's decoder")
	}
	return p.scripted.Print(ctx, job)
}

func (p *panicky) Status(ctx context.Context) (printerd.Status, error) {
	if p.in == "Status" {
		panic("nil map in the vendor's status")
	}
	return p.scripted.Status(ctx)
}

func (p *panicky) Capabilities(ctx context.Context) (printerd.Capabilities, error) {
	if p.in == "Capabilities" {
		panic("nil pointer in the vendor's capabilities")
	}
	return p.scripted.Capabilities(ctx)
}

// observed collects what the Dispatcher reports to Observe.
type observed struct {
	mu     sync.Mutex
	events []printerd.Event
}

func (o *observed) add(e printerd.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, e)
}

// awaitPanics waits a while for n panic events (the journal commits a
// change before the Dispatcher reports it) and returns them.
func (o *observed) awaitPanics(n int) []printerd.Event {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if ps := o.panics(); len(ps) >= n {
			return ps
		}
	}
	return o.panics()
}

// panics returns the events whose cause is a driver's panic.
func (o *observed) panics() []printerd.Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []printerd.Event
	for _, e := range o.events {
		if errors.Is(e.Err, printerd.ErrDriverPanic) {
			out = append(out, e)
		}
	}
	return out
}

func stoppedBy(tb testing.TB, d *printerd.Dispatcher, reason string) bool {
	tb.Helper()
	ps, err := d.Printers(context.Background())
	if err != nil || len(ps) != 1 {
		tb.Fatalf("Printers = %+v, %v", ps, err)
	}
	return ps[0].Status.State == printerd.PrinterStopped && hasKeyword(ps[0].Status.Reasons, reason)
}

func hasKeyword(rs []printerd.Reason, keyword string) bool {
	for _, r := range rs {
		if r.Keyword == keyword {
			return true
		}
	}
	return false
}

// A panic in the driver's Print ends neither the worker nor printerd: the
// job is in_doubt (printerd cannot know whether a byte went out), the
// printer stopped with reason driver-panic, the panic reported with its
// stack, and the job never printed again on its own, even after the
// printer is resumed.
func TestDispatcherSurvivesPanicInPrint(t *testing.T) {
	ctx := context.Background()
	dev := &panicky{in: "Print"}
	var obs observed
	d := MustDispatcher(t, printerd.DispatcherConfig{
		Journal:  MustOpenJournal(t, t.TempDir(), nil),
		Printers: []printerd.Printer{{Name: "card-1", Media: printerd.MediaCard, Device: dev}},
		Observe:  obs.add,
	})
	job := MustReach(t, d, MustSubmit(t, d, "k").ID, inState(printerd.JobInDoubt))
	if job.Reason != printerd.ReasonDriverPanic {
		t.Errorf("job reason %q, want driver-panic", job.Reason)
	}
	if !stoppedBy(t, d, printerd.ReasonDriverPanic) {
		t.Error("the printer is not shown stopped with driver-panic")
	}
	ps := obs.awaitPanics(1)
	if len(ps) != 1 || ps[0].Job.ID != job.ID || !strings.Contains(ps[0].Err.Error(), "vendor's decoder") ||
		!strings.Contains(ps[0].Err.Error(), "goroutine") {
		t.Errorf("panic events %+v, want one for job %s with the panic and its stack", ps, job.ID)
	}
	if err := d.Resume("card-1"); err != nil {
		t.Fatal(err)
	}
	next := MustReach(t, d, MustSubmit(t, d, "k2").ID, inState(printerd.JobInDoubt))
	if calls := dev.calls(); len(calls) != 2 || calls[0] != job.ID || calls[1] != next.ID {
		t.Errorf("device saw prints %v, want %s then %s once each", calls, job.ID, next.ID)
	}
	if got, _ := d.Job(ctx, job.ID); got.State != printerd.JobInDoubt {
		t.Errorf("first job after resume = %s, want in_doubt", got.State)
	}
}

// A panic in Status or Capabilities, called by the API: the call returns,
// the printer is shown stopped with driver-panic and takes no job, its
// media is unavailable, and the panic is reported.
func TestDispatcherSurvivesPanicInStatus(t *testing.T) {
	for _, call := range []string{"Status", "Capabilities"} {
		t.Run(call, func(t *testing.T) {
			ctx := context.Background()
			dev := &panicky{in: call}
			var obs observed
			d := MustDispatcher(t, printerd.DispatcherConfig{
				Journal:  MustOpenJournal(t, t.TempDir(), nil),
				Printers: []printerd.Printer{{Name: "card-1", Media: printerd.MediaCard, Device: dev}},
				Observe:  obs.add,
			})
			if !stoppedBy(t, d, printerd.ReasonDriverPanic) {
				t.Error("the printer is not shown stopped with driver-panic")
			}
			stoppedBy(t, d, printerd.ReasonDriverPanic) // polled again: reported once
			if ps := obs.panics(); len(ps) != 1 || ps[0].Printer != "card-1" || !strings.Contains(ps[0].Err.Error(), call+" panicked") {
				t.Errorf("panic events %+v, want one naming card-1 and %s", ps, call)
			}
			job := MustSubmit(t, d, "k")
			time.Sleep(50 * time.Millisecond) // 10 polls
			if got, _ := d.Job(ctx, job.ID); got.State != printerd.JobQueued || len(dev.calls()) != 0 {
				t.Errorf("job %s on a printer stopped by a panic, %d prints; want queued, none", got.State, len(dev.calls()))
			}
			if call == "Status" {
				av, err := d.Availability(ctx)
				if err != nil || len(av) == 0 || av[0].Media != printerd.MediaCard || av[0].Available || av[0].Reason != printerd.ReasonDriverPanic {
					t.Errorf("Availability = %+v, %v; want cards unavailable, driver-panic", av, err)
				}
			}
		})
	}
}

// A card printer whose driver reports no serial gets one from printerd:
// the printer, the job and the attempt, so that it never repeats; a paper
// print has none.
func TestDispatcherGivesMissingSerials(t *testing.T) {
	retry := &printerd.DriverError{Outcome: printerd.OutcomeRetryCurrent, Reason: "media-jam"}
	for _, tc := range []struct {
		name    string
		media   printerd.Media
		script  []error
		attempt string
	}{
		{"card", printerd.MediaCard, nil, "/1"},
		{"card on the second attempt", printerd.MediaCard, []error{retry}, "/2"},
		{"paper", printerd.MediaA4, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := MustDispatcher(t, printerd.DispatcherConfig{
				Journal:  MustOpenJournal(t, t.TempDir(), nil),
				Printers: []printerd.Printer{{Name: "p-1", Media: tc.media, Device: &scripted{script: tc.script, noSerial: true}}},
			})
			doc := MustRead(t, map[printerd.Media]string{printerd.MediaCard: "card.pdf", printerd.MediaA4: "a4.pdf"}[tc.media])
			job, _, err := d.Submit(context.Background(), printerd.SubmitRequest{IdempotencyKey: "k", Media: tc.media, Document: doc})
			if err != nil {
				t.Fatal(err)
			}
			job = MustReach(t, d, job.ID, inState(printerd.JobPrinted))
			want := ""
			if tc.attempt != "" {
				want = "p-1/" + string(job.ID) + tc.attempt
			}
			if job.CardSerial != want {
				t.Errorf("card serial %q, want %q", job.CardSerial, want)
			}
		})
	}
}

func TestCardSerialFor(t *testing.T) {
	long := "ipp://" + strings.Repeat("a", 80) + "/ipp/print"
	for _, tc := range []struct {
		name, identity string
		job            printerd.PrintJob
		want           string
	}{
		{"printer and job", "card-1", printerd.PrintJob{ID: "J4KQ2M7XH3N5P", Attempt: 1}, "card-1/J4KQ2M7XH3N5P/1"},
		{"attempt", "card-1", printerd.PrintJob{ID: "J4KQ2M7XH3N5P", Attempt: 3}, "card-1/J4KQ2M7XH3N5P/3"},
		{"no attempt counted", "card-1", printerd.PrintJob{ID: "J4KQ2M7XH3N5P"}, "card-1/J4KQ2M7XH3N5P/1"},
		{"identity too long", long, printerd.PrintJob{ID: "J4KQ2M7XH3N5P", Attempt: 1}, ""}, // checked below
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := printerd.CardSerialFor(tc.identity, tc.job)
			if tc.want == "" {
				if len(got) > printerd.MaxCardSerial || !strings.HasSuffix(got, "/J4KQ2M7XH3N5P/1") ||
					got == printerd.CardSerialFor(long+"x", tc.job) {
					t.Errorf("CardSerialFor = %q (%d bytes), want a short, distinct hash of the identity", got, len(got))
				}
				return
			}
			if got != tc.want {
				t.Errorf("CardSerialFor = %q, want %q", got, tc.want)
			}
		})
	}
}
