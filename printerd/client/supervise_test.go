package client_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/printerd/driver/sim"
)

// cardPrinter answers each Print with the next scripted error (nil is a
// success, with serial C-<n>), reports a hopper of Hopper cards and
// records the faults injected into it.
type cardPrinter struct {
	mu     sync.Mutex
	script []error
	n      int
	hopper int
	faults []printerd.Fault
}

var (
	_ printerd.Device        = (*cardPrinter)(nil)
	_ printerd.FaultInjector = (*cardPrinter)(nil)
)

func (c *cardPrinter) Capabilities(context.Context) (printerd.Capabilities, error) {
	return printerd.Capabilities{Media: []printerd.Media{printerd.MediaCard}}, nil
}

func (c *cardPrinter) Status(context.Context) (printerd.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return printerd.Status{State: printerd.PrinterIdle, Supplies: []printerd.Supply{{Name: "blank cards", Level: c.hopper, Max: 100, Unit: "cards"}}}, nil
}

func (c *cardPrinter) Print(context.Context, printerd.PrintJob) (printerd.Printed, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if len(c.script) > 0 {
		err, c.script = c.script[0], c.script[1:]
	}
	if err != nil {
		return printerd.Printed{}, err
	}
	c.n++
	c.hopper--
	return printerd.Printed{CardSerial: "C-" + string(rune('0'+c.n))}, nil
}

func (c *cardPrinter) InjectFault(_ context.Context, f printerd.Fault) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = append(c.faults, f)
	return nil
}

func (c *cardPrinter) ClearFaults(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = nil
	return nil
}

func (c *cardPrinter) Close() error { return nil }

// MustServeSupervised serves the real API over a unix socket with a
// scripted card printer (card-1) and a simulated paper printer (paper-1,
// which cannot simulate faults).
func MustServeSupervised(tb testing.TB, card *cardPrinter) *client.Client {
	tb.Helper()
	paper, err := sim.Open(printerd.DeviceConfig{Name: "paper-1", URI: filepath.Join(tb.TempDir(), "out"),
		Options: map[string]string{"media": string(printerd.MediaA4)}})
	if err != nil {
		tb.Fatal(err)
	}
	return client.New(mustServeAPI(tb, printerd.DispatcherConfig{LowStock: 5,
		Printers: []printerd.Printer{
			{Name: "card-1", Driver: "test", Media: printerd.MediaCard, Device: card},
			// Wrapped so that only the Device methods show: no faults.
			{Name: "paper-1", Driver: "sim", Media: printerd.MediaA4, Device: struct{ printerd.Device }{paper}},
		}}))
}

// MustSee reads notices until one satisfies ok.
func MustSee(tb testing.TB, ch <-chan printerd.Notice, what string, ok func(printerd.Notice) bool) printerd.Notice {
	tb.Helper()
	deadline := time.After(10 * time.Second) // only stops a hung test
	for {
		select {
		case n, open := <-ch:
			if !open {
				tb.Fatalf("event stream ended before %s", what)
			}
			if ok(n) {
				return n
			}
		case <-deadline:
			tb.Fatalf("no notice of %s", what)
		}
	}
}

func jobIn(id printerd.JobID, s printerd.JobState) func(printerd.Notice) bool {
	return func(n printerd.Notice) bool { return n.Job != nil && n.Job.ID == id && n.Job.State == s }
}

func TestSupervisorFlow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	card := &cardPrinter{hopper: 10, script: []error{
		&printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: "offline", Uncertain: true}, // job 1: in doubt
		nil, // its reprint
		&printerd.DriverError{Outcome: printerd.OutcomeHold, Reason: "media-empty"}, // job 2: held
		nil, // job 2 after release
	}}
	c := MustServeSupervised(t, card)
	events, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// No blank cards recorded: cards cannot be printed, paper can.
	avail, err := c.Availability(ctx)
	if err != nil || len(avail) != 2 || avail[0].Available || avail[0].Reason != "no-blanks" || !avail[1].Available {
		t.Fatalf("Availability before a load = %+v, %v", avail, err)
	}
	if _, err := c.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 10, FirstSerial: "B-01", LastSerial: "B-10", Actor: "sari"}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []printerd.Load{
		{Printer: "paper-1", Count: 10, Actor: "sari"},
		{Printer: "card-1", Count: 10},
	} {
		if _, err := c.LoadCards(ctx, l); !errors.Is(err, printerd.ErrInvalidRequest) {
			t.Errorf("LoadCards(%+v) = %v, want request_invalid", l, err)
		}
	}
	if _, err := c.LoadCards(ctx, printerd.Load{Printer: "card-9", Count: 1, Actor: "sari"}); !errors.Is(err, printerd.ErrPrinterNotFound) {
		t.Errorf("LoadCards(card-9) = %v, want printer_not_found", err)
	}
	if avail, _ := c.Availability(ctx); !avail[0].Available || len(avail[0].Printers) != 1 {
		t.Errorf("card availability after a load = %+v", avail[0])
	}

	// Job 1 ends in doubt and stops the printer.
	doc := MustRead(t, "card.pdf")
	job, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "req-1", Media: printerd.MediaCard, Title: "KTP-el", Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	MustSee(t, events, "job 1 in doubt", jobIn(job.ID, printerd.JobInDoubt))
	if avail, _ := c.Availability(ctx); avail[0].Available || avail[0].Reason != "offline" {
		t.Errorf("availability of a stopped printer = %+v", avail[0])
	}
	// A caller that sends only a note is told the code is missing, in the
	// error's own messages.
	var fe *fault.Error
	if _, err := c.Resolve(ctx, job.ID, printerd.Resolution{Action: printerd.ActionReprint, Note: "card never came out", Actor: "sari"}); !errors.As(err, &fe) ||
		fe.Code != "request_invalid" || fe.EN != printerd.ErrReasonCodeMissing.EN || fe.ID != printerd.ErrReasonCodeMissing.ID {
		t.Errorf("reprint without a reason code = %v, want request_invalid naming reason_code", err)
	}
	if err := c.ResumePrinter(ctx, "card-9", "sari"); !errors.Is(err, printerd.ErrPrinterNotFound) {
		t.Errorf("ResumePrinter(card-9) = %v", err)
	}
	if err := c.ResumePrinter(ctx, "card-1", "sari"); err != nil {
		t.Fatal(err)
	}
	MustSee(t, events, "printer resumed", func(n printerd.Notice) bool {
		return n.Kind == printerd.NoticePrinter && n.State == printerd.PrinterIdle
	})
	res, err := c.Resolve(ctx, job.ID, printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeBlankOutput,
		Note: "card never came out", Actor: "sari"})
	if err != nil || res.Reprint == nil || res.Job.State != printerd.JobFailed {
		t.Fatalf("Resolve = %+v, %v", res, err)
	}
	if _, err := c.EraseNote(ctx, job.ID, ""); !errors.Is(err, printerd.ErrInvalidRequest) {
		t.Errorf("EraseNote without an actor = %v, want request_invalid", err)
	}
	if _, err := c.EraseNote(ctx, "JNOSUCHJOB000", "dpo"); !errors.Is(err, printerd.ErrJobNotFound) {
		t.Errorf("EraseNote of an unknown job = %v, want job_not_found", err)
	}
	for _, want := range []bool{true, false} {
		if erased, err := c.EraseNote(ctx, job.ID, "dpo"); err != nil || erased != want {
			t.Errorf("EraseNote = %v, %v; want %v", erased, err, want)
		}
	}
	printed := MustSee(t, events, "reprint printed", jobIn(res.Reprint.ID, printerd.JobPrinted))
	if printed.Job.CardSerial != "C-1" || printed.Job.IdempotencyKey != "req-1~2" {
		t.Errorf("reprint = %+v", printed.Job)
	}
	if _, err := c.Resolve(ctx, job.ID, printerd.Resolution{Action: printerd.ActionPrinted, Actor: "sari"}); !errors.Is(err, printerd.ErrJobState) {
		t.Errorf("second resolution = %v, want job_state_conflict", err)
	}
	// Whoever settles the first job finds the reprint from it, by link or by key.
	if got, err := c.Job(ctx, job.ID); err != nil || got.ReprintedAs != res.Reprint.ID || got.ReprintOf != "" {
		t.Errorf("Job(first) = %+v, %v; want reprinted_as %s", got, err, res.Reprint.ID)
	}
	if got, ok, err := c.JobByKey(ctx, "req-1~2"); err != nil || !ok || got.ID != res.Reprint.ID || got.ReprintOf != job.ID {
		t.Errorf("JobByKey(req-1~2) = %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := c.JobByKey(ctx, "req-never"); err != nil || ok {
		t.Errorf("JobByKey(unknown) = %v, %v; want none", ok, err)
	}

	// Job 2 is held, then released and printed.
	job2, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "req-2", Media: printerd.MediaCard, Title: "KIA", Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	MustSee(t, events, "job 2 held", jobIn(job2.ID, printerd.JobHeld))
	if _, err := c.Release(ctx, job2.ID, ""); !errors.Is(err, printerd.ErrInvalidRequest) {
		t.Errorf("Release without actor = %v", err)
	}
	if _, err := c.Release(ctx, job2.ID, "budi"); err != nil {
		t.Fatal(err)
	}
	MustSee(t, events, "job 2 printed", jobIn(job2.ID, printerd.JobPrinted))

	// Two cards printed of ten; the hopper says 8: balanced.
	ledger, err := c.Ledger(ctx)
	if err != nil || len(ledger) != 1 {
		t.Fatalf("Ledger = %+v, %v", ledger, err)
	}
	if l := ledger[0]; l.Printer != "card-1" || l.Loaded != 10 || l.Printed != 2 || l.Remaining != 8 || l.Hopper == nil || *l.Hopper != 8 || len(l.Alerts) != 0 {
		t.Errorf("ledger = %+v", l)
	}
	// A card taken out by hand: the hopper disagrees, and stock is low.
	card.mu.Lock()
	card.hopper = 4
	card.mu.Unlock()
	ledger, _ = c.Ledger(ctx)
	if a := ledger[0].Alerts; len(a) != 1 || a[0] != printerd.AlertMismatch {
		t.Errorf("alerts = %v, want mismatch", a)
	}
}

func TestFaultPassthrough(t *testing.T) {
	ctx := context.Background()
	card := &cardPrinter{}
	c := MustServeSupervised(t, card)
	jam := printerd.Fault{Kind: printerd.FaultMediaJam, At: printerd.FaultDuringPrint, Count: 2}
	tests := []struct {
		name    string
		printer string
		fault   printerd.Fault
		want    error
	}{
		{"simulator", "card-1", jam, nil},
		{"unknown kind", "card-1", printerd.Fault{Kind: "gremlins", At: printerd.FaultBeforePrint}, printerd.ErrFaultInvalid},
		{"printer without faults", "paper-1", jam, printerd.ErrNotSupported},
		{"no such printer", "card-9", jam, printerd.ErrPrinterNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.InjectFault(ctx, tt.printer, tt.fault)
			if !errors.Is(err, tt.want) || (err != nil) != (tt.want != nil) {
				t.Errorf("InjectFault = %v, want %v", err, tt.want)
			}
		})
	}
	card.mu.Lock()
	got := append([]printerd.Fault(nil), card.faults...)
	card.mu.Unlock()
	if len(got) != 1 || got[0] != jam {
		t.Errorf("faults armed = %+v, want %+v", got, jam)
	}
	if err := c.ClearFaults(ctx, "card-1"); err != nil {
		t.Fatal(err)
	}
	if err := c.ClearFaults(ctx, "paper-1"); !errors.Is(err, printerd.ErrNotSupported) {
		t.Errorf("ClearFaults(paper-1) = %v", err)
	}
	card.mu.Lock()
	defer card.mu.Unlock()
	if len(card.faults) != 0 {
		t.Errorf("faults after clear = %+v", card.faults)
	}
}
