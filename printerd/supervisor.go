package printerd

import (
	"context"
	"errors"
	"time"
)

// Resolve carries out a supervisor's decision on an in_doubt job. A
// reprint's new job is queued and its printers woken.
func (d *Dispatcher) Resolve(ctx context.Context, id JobID, r Resolution) (Resolved, error) {
	if err := r.Validate(); err != nil {
		return Resolved{}, err
	}
	res, err := d.journal.Resolve(ctx, id, r)
	if err != nil {
		return Resolved{}, err
	}
	d.changed(Event{Job: res.Job, Printer: res.Job.Printer})
	if res.Reprint != nil {
		d.changed(Event{Job: *res.Reprint})
		d.signal(res.Reprint.Media)
	}
	return res, nil
}

// Release moves a held job back to the queue (e.g. after blank cards were
// loaded) and wakes its printers.
func (d *Dispatcher) Release(ctx context.Context, id JobID, actor string) (Job, error) {
	if err := validActor(actor); err != nil {
		return Job{}, err
	}
	job, err := d.journal.Release(ctx, id, actor)
	if err != nil {
		return Job{}, err
	}
	d.changed(Event{Job: job})
	d.signal(job.Media)
	return job, nil
}

// EraseNote erases the note of a job's resolution from the journal (the
// audit log never held it). It changes no job, so nobody is notified.
func (d *Dispatcher) EraseNote(ctx context.Context, id JobID, actor string) (NoteErased, error) {
	if err := validActor(actor); err != nil {
		return NoteErased{}, err
	}
	erased, err := d.journal.EraseNote(ctx, id, actor)
	if err != nil {
		return NoteErased{}, err
	}
	return NoteErased{Job: id, Erased: erased}, nil
}

// ResumePrinter is Resume on a supervisor's behalf, audited.
func (d *Dispatcher) ResumePrinter(ctx context.Context, printer, actor string) error {
	if err := validActor(actor); err != nil {
		return err
	}
	if _, err := d.worker(printer); err != nil {
		return err
	}
	if err := d.journal.RecordPrinterAction(ctx, PrinterAction{Printer: printer, Action: PrinterResume, Actor: actor}); err != nil {
		return err
	}
	return d.Resume(printer)
}

// LoadCards records blank cards loaded into a printer of counted media.
func (d *Dispatcher) LoadCards(ctx context.Context, l Load) (Load, error) {
	if err := l.Validate(); err != nil {
		if errors.Is(err, ErrLoadSerials) {
			err = d.refused(ctx, "load", l.Printer, l.Actor, err)
		}
		return Load{}, err
	}
	w, err := d.worker(l.Printer)
	if err != nil {
		return Load{}, err
	}
	if !w.printer.Media.Counted() {
		return Load{}, ErrInvalidRequest.Withf("printer %s holds %s, which is not counted", l.Printer, w.printer.Media)
	}
	l, err = d.journal.RecordLoad(ctx, l)
	if err != nil {
		return Load{}, err
	}
	// A job left queued for another printer may now print here. Held
	// jobs stay held until a supervisor releases them.
	d.signal(w.printer.Media)
	return l, nil
}

// Ledger reports the blank cards of every printer of counted media: the
// journal's tally, the printer's own hopper count where its driver
// reports one (a supply in unit "cards"), and alerts.
func (d *Dispatcher) Ledger(ctx context.Context) ([]LedgerEntry, error) {
	tallies, err := d.tallies(ctx)
	if err != nil {
		return nil, err
	}
	var out []LedgerEntry
	for _, w := range d.workers {
		if !w.printer.Media.Counted() {
			continue
		}
		t := tallies[w.printer.Name]
		t.Printer = w.printer.Name
		e := LedgerEntry{Tally: t, Media: w.printer.Media, Remaining: t.Remaining(), LowStock: d.lowStock}
		if st, err := w.status(ctx); err == nil {
			e.Hopper = hopper(st)
		}
		e.Alerts = alerts(e)
		out = append(out, e)
	}
	return out, nil
}

func alerts(e LedgerEntry) []string {
	var a []string
	if e.Remaining < 0 {
		a = append(a, AlertOverdraw)
	}
	if e.Remaining <= e.LowStock {
		a = append(a, AlertLowStock)
	}
	if e.Hopper != nil && *e.Hopper != e.Remaining {
		a = append(a, AlertMismatch)
	}
	return a
}

// hopper returns the level of the first supply counted in cards.
func hopper(st Status) *int {
	for _, s := range st.Supplies {
		if s.Unit == "cards" {
			n := s.Level
			return &n
		}
	}
	return nil
}

func (d *Dispatcher) tallies(ctx context.Context) (map[string]Tally, error) {
	ts, err := d.journal.Tallies(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]Tally, len(ts))
	for _, t := range ts {
		m[t.Printer] = t
	}
	return m, nil
}

// JournalHealth reports whether the journal's last write succeeded.
func (d *Dispatcher) JournalHealth() JournalHealth { return d.journal.Health() }

// Availability tells, for every media printerd knows, whether a document
// can be printed now: the journal's last write succeeded (else every
// media is unavailable with ReasonJournalError: a job could be neither
// accepted for sure nor its print recorded), and some printer of that
// media is not stopped, reports no reason of error severity and, for
// counted media, has blank cards left in the ledger.
func (d *Dispatcher) Availability(ctx context.Context) ([]Availability, error) {
	writable := d.journal.Health().Writable
	tallies, err := d.tallies(ctx)
	if err != nil {
		return nil, err
	}
	var out []Availability
	for _, m := range []Media{MediaCard, MediaA4} {
		if !writable {
			out = append(out, Availability{Media: m, Reason: ReasonJournalError})
			continue
		}
		a := Availability{Media: m, Reason: "no-printer"}
		for _, w := range d.workers {
			if w.printer.Media != m {
				continue
			}
			why := w.unavailable(ctx)
			if why == "" && m.Counted() && tallies[w.printer.Name].Remaining() <= 0 {
				why = ReasonNoBlanks
			}
			if why == "" {
				a.Printers = append(a.Printers, w.printer.Name)
			} else if !a.Available {
				a.Reason = why
			}
			a.Available = len(a.Printers) > 0
		}
		if a.Available {
			a.Reason = ""
		}
		out = append(out, a)
	}
	return out, nil
}

// unavailable returns why w cannot print now, or "".
func (w *worker) unavailable(ctx context.Context) string {
	w.mu.Lock()
	stopped := w.stopped
	w.mu.Unlock()
	if stopped != "" {
		return stopped
	}
	st, err := w.status(ctx)
	switch {
	case errors.Is(err, ErrDriverPanic):
		return ReasonDriverPanic
	case err != nil:
		return "offline"
	}
	for _, r := range st.Reasons {
		if r.Severity == SeverityError {
			return r.Keyword
		}
	}
	if st.State == PrinterStopped {
		return "stopped"
	}
	return ""
}

// status asks the device, bounded so that a hung device cannot hang the
// API. A panic in the driver is ErrDriverPanic: it stops the printer and
// is reported to Observe.
func (w *worker) status(ctx context.Context) (st Status, err error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	defer w.recoverCall("Status", &err)
	return w.printer.Device.Status(ctx)
}

// capabilities is status's twin for Device.Capabilities.
func (w *worker) capabilities(ctx context.Context) (caps Capabilities, err error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	defer w.recoverCall("Capabilities", &err)
	return w.printer.Device.Capabilities(ctx)
}

// recoverCall, deferred, turns a panic in a driver call outside Print into
// ErrDriverPanic in *err, stops the printer and reports it. A printer
// already stopped by a panic is not reported again: the console polls
// Status, and one report until a supervisor resumes it is enough.
func (w *worker) recoverCall(call string, err *error) {
	v := recover()
	if v == nil {
		return
	}
	*err = w.panicked(call, v)
	w.mu.Lock()
	again := w.stopped == ReasonDriverPanic
	w.mu.Unlock()
	if !again {
		w.stop(ReasonDriverPanic)
		w.d.observe(Event{Printer: w.printer.Name, Err: *err})
	}
}

// InjectFault arms a fault on a printer whose device can simulate one
// (FaultInjector); any other printer is ErrNotSupported.
func (d *Dispatcher) InjectFault(ctx context.Context, printer string, f Fault) error {
	if _, err := f.Effect(); err != nil {
		return err
	}
	fi, err := d.faultInjector(printer)
	if err != nil {
		return err
	}
	if err := fi.InjectFault(ctx, f); err != nil {
		return err
	}
	// Audited once armed: a refused fault changed nothing.
	return d.journal.RecordPrinterAction(ctx, PrinterAction{Printer: printer, Action: PrinterFaultInject, Fault: &f})
}

// ClearFaults disarms a printer's faults and clears what they left.
func (d *Dispatcher) ClearFaults(ctx context.Context, printer string) error {
	fi, err := d.faultInjector(printer)
	if err != nil {
		return err
	}
	if err := fi.ClearFaults(ctx); err != nil {
		return err
	}
	return d.journal.RecordPrinterAction(ctx, PrinterAction{Printer: printer, Action: PrinterFaultClear})
}

// PrinterAction is an audited action on a printer.
type PrinterAction struct {
	Printer string
	Action  string // PrinterResume, PrinterFaultInject or PrinterFaultClear
	Actor   string // the supervisor; "" when the caller names no one (faults)
	Fault   *Fault // the fault injected
}

// Printer actions.
const (
	PrinterResume      = "resume"
	PrinterFaultInject = "fault-inject"
	PrinterFaultClear  = "fault-clear"
)

func (d *Dispatcher) faultInjector(printer string) (FaultInjector, error) {
	w, err := d.worker(printer)
	if err != nil {
		return nil, err
	}
	fi, ok := w.printer.Device.(FaultInjector)
	if !ok {
		return nil, ErrNotSupported.Withf("printer %s cannot simulate faults", printer)
	}
	return fi, nil
}
