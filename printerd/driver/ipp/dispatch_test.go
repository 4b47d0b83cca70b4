package ipp_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/OpenPrinting/goipp"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/ipp"
	"github.com/anjungan/anjungan/printerd/journal"
)

// These tests drive the ipp driver through the real Dispatcher and
// journal, as printerd runs it.

// MustDispatch starts a Dispatcher on a journal in a temporary directory
// with one printer, "p", on dev. Observed events go to events.
func MustDispatch(tb testing.TB, dev printerd.Device, media printerd.Media, events *eventLog) *printerd.Dispatcher {
	tb.Helper()
	j, err := journal.Open(tb.TempDir(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = j.Close() })
	cfg := printerd.DispatcherConfig{Journal: j, Poll: 5 * time.Millisecond, RetryDelay: 10 * time.Millisecond,
		Printers: []printerd.Printer{{Name: "p", Driver: ipp.Name, Media: media, Device: dev}}}
	if events != nil {
		cfg.Observe = events.add
	}
	d, err := printerd.NewDispatcher(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	return d
}

// eventLog keeps what the Dispatcher reported to Observe.
type eventLog struct {
	mu     sync.Mutex
	events []printerd.Event
}

func (l *eventLog) add(e printerd.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// cause returns the cause reported with job id's change to state. The
// journal commits a change before the Dispatcher reports it: it waits a
// while for the report.
func (l *eventLog) cause(id printerd.JobID, state printerd.JobState) error {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		l.mu.Lock()
		for _, e := range l.events {
			if e.Job.ID == id && e.Job.State == state {
				l.mu.Unlock()
				return e.Err
			}
		}
		l.mu.Unlock()
	}
	return nil
}

func submit(tb testing.TB, d *printerd.Dispatcher, key string, media printerd.Media) printerd.Job {
	tb.Helper()
	name := "a4.pdf"
	if media == printerd.MediaCard {
		name = "card.pdf"
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	job, _, err := d.Submit(context.Background(), printerd.SubmitRequest{IdempotencyKey: key, Media: media, Title: "test", Document: doc})
	if err != nil {
		tb.Fatal(err)
	}
	return job
}

// reach polls the job until ok or a generous deadline (a hang, not a
// slowness check).
func reach(tb testing.TB, d *printerd.Dispatcher, id printerd.JobID, ok func(printerd.Job) bool) printerd.Job {
	tb.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(2 * time.Millisecond) {
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
	}
}

func settled(j printerd.Job) bool {
	return j.State != printerd.JobQueued && j.State != printerd.JobDispatching
}

// stoppedWith reports whether printer p is shown stopped with reason.
func stoppedWith(tb testing.TB, d *printerd.Dispatcher, reason string) bool {
	tb.Helper()
	ps, err := d.Printers(context.Background())
	if err != nil || len(ps) != 1 {
		tb.Fatalf("Printers = %+v, %v", ps, err)
	}
	st := ps[0].Status
	for _, r := range st.Reasons {
		if r.Keyword == reason && r.Severity == printerd.SeverityError {
			return st.State == printerd.PrinterStopped
		}
	}
	return false
}

// malformedPrinter is an IPP printer that answers one operation with
// bad bytes, every time, and the others as a healthy printer taking PDF
// whose jobs complete at once.
type malformedPrinter struct {
	bad []byte
	op  goipp.Op

	mu   sync.Mutex
	sent []string // job-name of every Print-Job received
}

func (p *malformedPrinter) printJobs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

func (p *malformedPrinter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req goipp.Message
	if err := req.Decode(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	op := goipp.Op(req.Code)
	if op == goipp.OpPrintJob {
		p.mu.Lock()
		for _, a := range req.Operation {
			if a.Name == "job-name" && len(a.Values) > 0 {
				p.sent = append(p.sent, a.Values[0].V.String())
			}
		}
		p.mu.Unlock()
	}
	w.Header().Set("Content-Type", goipp.ContentType)
	if op == p.op {
		_, _ = w.Write(p.bad)
		return
	}
	resp := goipp.NewResponse(goipp.DefaultVersion, goipp.StatusOk, req.RequestID)
	resp.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	resp.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	switch op {
	case goipp.OpGetPrinterAttributes:
		resp.Printer.Add(goipp.MakeAttribute("printer-state", goipp.TagEnum, goipp.Integer(3)))
		resp.Printer.Add(goipp.MakeAttribute("printer-state-reasons", goipp.TagKeyword, goipp.String("none")))
		resp.Printer.Add(goipp.MakeAttribute("document-format-supported", goipp.TagMimeType, goipp.String("application/pdf")))
	case goipp.OpPrintJob:
		resp.Job.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(1)))
	case goipp.OpGetJobAttributes:
		resp.Job.Add(goipp.MakeAttribute("job-state", goipp.TagEnum, goipp.Integer(9)))
		resp.Job.Add(goipp.MakeAttribute("job-impressions-completed", goipp.TagInteger, goipp.Integer(1)))
	default:
		resp.Code = goipp.Code(goipp.StatusErrorOperationNotSupported)
	}
	_ = resp.Encode(w)
}

// MustServe serves h on a loopback port and returns the printer's URI.
func MustServe(tb testing.TB, h http.Handler) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return "ipp://" + ln.Addr().String() + "/ipp/print"
}

// A malformed reply — the 34 bytes on which goipp v1.1.0 panics, found by
// FuzzDecodeStatus — at each step of a print: printerd keeps running (a
// panic in a worker would end this test binary), the job ends where a
// supervisor sees it (failed when the document was never sent, in_doubt
// once Print-Job went out), the printer is stopped with reason
// malformed-reply, and nothing is sent again on its own: a second job
// waits while the printer is stopped.
func TestMalformedReplyThroughDispatcher(t *testing.T) {
	bad, err := os.ReadFile(filepath.Join("testdata", "malformed", "extension-tag-is-delimiter.ipp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		op        goipp.Op
		wantState printerd.JobState
		wantSent  int // Print-Job requests for the first job
	}{
		{"Get-Printer-Attributes before the job", goipp.OpGetPrinterAttributes, printerd.JobFailed, 0},
		{"Print-Job", goipp.OpPrintJob, printerd.JobInDoubt, 1},
		{"Get-Job-Attributes", goipp.OpGetJobAttributes, printerd.JobInDoubt, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mp := &malformedPrinter{bad: bad, op: tc.op}
			dev, err := ipp.Open(printerd.DeviceConfig{URI: MustServe(t, mp),
				Options: map[string]string{"media": string(printerd.MediaA4), "job-timeout": "5s"}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = dev.Close() })
			var events eventLog
			d := MustDispatch(t, dev, printerd.MediaA4, &events)

			first := reach(t, d, submit(t, d, "first", printerd.MediaA4).ID, settled)
			if first.State != tc.wantState || first.Reason != printerd.ReasonMalformedReply {
				t.Errorf("job = %s %q, want %s malformed-reply", first.State, first.Reason, tc.wantState)
			}
			if err := events.cause(first.ID, first.State); !errors.Is(err, printerd.ErrMalformedReply) {
				t.Errorf("the job's cause = %v, want printer_reply_malformed", err)
			}
			if n := len(mp.printJobs()); n != tc.wantSent {
				t.Errorf("the printer received %d Print-Job requests, want %d", n, tc.wantSent)
			}
			if !stoppedWith(t, d, printerd.ReasonMalformedReply) {
				t.Errorf("the printer is not shown stopped with malformed-reply")
			}

			// Stopped: the next job is not sent until a supervisor resumes
			// the printer, and the first is never sent again.
			second := submit(t, d, "second", printerd.MediaA4)
			time.Sleep(100 * time.Millisecond) // 20 polls
			if got, _ := d.Job(ctx, second.ID); got.State != printerd.JobQueued {
				t.Errorf("second job on a stopped printer = %s, want queued", got.State)
			}
			if err := d.Resume("p"); err != nil {
				t.Fatal(err)
			}
			reach(t, d, second.ID, settled)
			if got, _ := d.Job(ctx, first.ID); got.State != tc.wantState {
				t.Errorf("first job after resume = %s, want still %s", got.State, tc.wantState)
			}
			sent := mp.printJobs()
			if n := len(slices.DeleteFunc(slices.Clone(sent), func(s string) bool { return s != string(first.ID) })); len(sent) != 2*tc.wantSent || n != tc.wantSent {
				t.Errorf("Print-Job requests %v: want the first job sent %d times, the second as often", sent, tc.wantSent)
			}
		})
	}
}

// Status polling on a printer whose Get-Printer-Attributes reply is
// malformed: no panic; the printer is stopped with malformed-reply in
// Printers, and its media unavailable for that reason.
func TestMalformedStatusReply(t *testing.T) {
	bad, err := os.ReadFile(filepath.Join("testdata", "malformed", "extension-tag-is-delimiter.ipp"))
	if err != nil {
		t.Fatal(err)
	}
	dev, err := ipp.Open(printerd.DeviceConfig{URI: MustServe(t, &malformedPrinter{bad: bad, op: goipp.OpGetPrinterAttributes}),
		Options: map[string]string{"media": string(printerd.MediaA4)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	st, err := dev.Status(context.Background())
	if err != nil || st.State != printerd.PrinterStopped || len(st.Reasons) != 1 || st.Reasons[0].Keyword != printerd.ReasonMalformedReply {
		t.Errorf("Status = %+v, %v; want stopped, malformed-reply", st, err)
	}
	d := MustDispatch(t, dev, printerd.MediaA4, nil)
	if !stoppedWith(t, d, printerd.ReasonMalformedReply) {
		t.Error("Printers does not show the printer stopped with malformed-reply")
	}
	av, err := d.Availability(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range av {
		if a.Media == printerd.MediaA4 && (a.Available || a.Reason != printerd.ReasonMalformedReply) {
			t.Errorf("A4 availability = %+v, want unavailable, malformed-reply", a)
		}
	}
}

// Card serials are unique forever. ippeveprinter numbers its jobs from 1
// again each time it starts: across two restarts, the card printed after
// each has the printer's job-id 1, and still every serial differs, and
// the ledger counts three printed cards.
func TestCardSerialsSurvivePrinterRestarts(t *testing.T) {
	r := MustRig(t, MustBus(t), true)
	dev := MustOpen(t, r)
	d := MustDispatch(t, dev, printerd.MediaCard, nil)
	ctx := context.Background()
	if _, err := d.LoadCards(ctx, printerd.Load{Printer: "p", Count: 10, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	serials := map[string]printerd.JobID{}
	for i := range 3 {
		if i > 0 {
			r.kill()
			r.start()
		}
		job := reach(t, d, submit(t, d, "card-"+string(rune('a'+i)), printerd.MediaCard).ID, settled)
		if job.State != printerd.JobPrinted || job.CardSerial == "" {
			t.Fatalf("print %d: job %+v, want printed with a serial", i, job)
		}
		if jobs := MustJobs(t, r, string(job.ID)); len(jobs) != 1 || jobs[0].ID != 1 {
			t.Errorf("print %d: the printer's jobs %+v, want its job 1 (a fresh printer)", i, jobs)
		}
		if prev, ok := serials[job.CardSerial]; ok {
			t.Errorf("print %d: serial %q of job %s was already job %s's", i, job.CardSerial, job.ID, prev)
		}
		serials[job.CardSerial] = job.ID
	}
	es, err := d.Ledger(ctx)
	if err != nil || len(es) != 1 || es[0].Printed != 3 || es[0].Remaining != 7 {
		t.Errorf("Ledger = %+v, %v; want 3 printed, 7 left", es, err)
	}
}
