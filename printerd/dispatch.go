package printerd

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

// Journal is the durable record of jobs the Dispatcher works from. Every
// method that changes a job commits (with its event) before it returns.
type Journal interface {
	// Submit records a queued job and its document together. The same
	// idempotency key with the same document returns the existing job
	// with created false; with another document it is
	// ErrIdempotencyConflict, returned with the job the key names so the
	// caller can see how that job ended. A write that fails leaves
	// neither job nor document.
	Submit(ctx context.Context, req SubmitRequest) (job Job, created bool, err error)
	// Get returns one job or ErrJobNotFound.
	Get(ctx context.Context, id JobID) (Job, error)
	// List returns jobs, newest first.
	List(ctx context.Context, f JobFilter) ([]Job, error)
	// ClaimNext moves the oldest queued job for media to dispatching on
	// printer and counts an attempt; the change is committed before it
	// returns, so no byte reaches a printer for a job that is not durably
	// dispatching. ok is false when nothing is queued.
	//
	// A job of counted media needs a blank card: when printer's ledger
	// has none left (loaded − used ≤ 0; a printer with no load recorded
	// has none), the job becomes held with reason ReasonNoBlanks instead,
	// checked and moved in the same transaction, and is returned in that
	// state. So no card is used that the ledger does not hold.
	ClaimNext(ctx context.Context, media Media, printer string) (job Job, ok bool, err error)
	// Finish records what became of a dispatching job: printed, failed,
	// held, canceled, in_doubt, or queued again for another attempt, and
	// in the same transaction the blank card it used (a printed job on
	// counted media uses one). A job in any other state is ErrJobState.
	Finish(ctx context.Context, id JobID, r Result) (Job, error)
	// Cancel cancels a queued or held job; any other state is ErrJobState.
	Cancel(ctx context.Context, id JobID, reason string) (Job, error)
	// Document returns the stored PDF of a job; ErrSpoolUnavailable when
	// it is missing or does not match the job's SHA-256.
	Document(ctx context.Context, id JobID) ([]byte, error)

	// Resolve carries out a supervisor's decision on an in_doubt job (see
	// Action), with its audit event and card use in one transaction. A
	// job in any other state is ErrJobState.
	Resolve(ctx context.Context, id JobID, r Resolution) (Resolved, error)
	// Release moves a held job back to queued, audited with actor.
	Release(ctx context.Context, id JobID, actor string) (Job, error)
	// EraseNote removes the supervisor's note of job id's resolution from
	// the journal for good, audited with actor; erased is false when
	// there was no note left. An unknown job is ErrJobNotFound.
	EraseNote(ctx context.Context, id JobID, actor string) (erased bool, err error)
	// RecordPrinterAction audits an action on a printer (a supervisor's
	// resume, a fault injected into or cleared from a simulator).
	RecordPrinterAction(ctx context.Context, a PrinterAction) error
	// RenewPresence makes the presence id live until until (created if
	// new; a lease is never shortened by a renewal).
	RenewPresence(ctx context.Context, id string, until time.Time) error
	// EndPresence ends presence id now and holds its queued jobs as
	// citizen_absent; it returns them.
	EndPresence(ctx context.Context, id string) ([]Job, error)
	// Reattach binds a job held citizen_absent to the live presence and
	// queues it, in one transaction with its audit entry; changed is
	// false when it was already bound to presence and no longer held (a
	// retry). Any other job is ErrJobState; a presence not live is
	// ErrInvalidRequest.
	Reattach(ctx context.Context, id JobID, presence string) (job Job, changed bool, err error)
	// RecordLoad records blank cards loaded into a printer.
	RecordLoad(ctx context.Context, l Load) (Load, error)
	// Tallies counts the blank cards of every printer that has any record.
	Tallies(ctx context.Context) ([]Tally, error)
	// Health reports whether the journal's last write succeeded. It
	// answers at once, even while a write is under way.
	Health() JournalHealth
	BlankLedger
}

// Result is what became of a dispatch, as Finish records it.
type Result struct {
	State      JobState
	Reason     string
	Printer    string
	CardSerial string
	// Spoiled is set when a failed attempt consumed a blank card (the
	// driver's CardError says rejected or stuck): it is counted as
	// rejected, with CardSerial when known.
	Spoiled bool
}

// JobFilter selects jobs to list.
type JobFilter struct {
	State JobState // "" for every state
	// Key, when set, selects the job of that idempotency key. An empty
	// answer is then certain: while the journal is unwritable, a write
	// that failed may still surface at the next start, so List answers
	// ErrJournal instead of nothing.
	Key   string
	Limit int // <= 0 for DefaultListLimit; capped at MaxListLimit
	// Created in [Since, Until); a zero time leaves that end open.
	Since, Until time.Time
	// Last changed in [UpdatedSince, UpdatedUntil); a zero time leaves
	// that end open. A day's counts take the jobs that changed in it.
	UpdatedSince, UpdatedUntil time.Time
}

// List limits.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// Printer is one configured printer: its name in printerd, the driver that
// opened it, the one media it is loaded with, and the opened device.
type Printer struct {
	Name   string
	Driver string
	Media  Media
	Device Device
}

// PrinterInfo is a printer as the API reports it.
type PrinterInfo struct {
	Name         string       `json:"name"`
	Driver       string       `json:"driver"`
	Media        Media        `json:"media"`
	Status       Status       `json:"status"`
	Capabilities Capabilities `json:"capabilities"`
}

// Event is one thing the Dispatcher did, for the log: a job after a state
// change, or a failure that concerns no job (Job.ID empty).
type Event struct {
	Job     Job
	Printer string
	Err     error // the cause behind the change or the failure; log only
	// Unrecorded is set when the journal failed to record the outcome of
	// Job's print (Job is as claimed, still dispatching); Err is why.
	Unrecorded *Unrecorded
}

// DispatcherConfig configures a Dispatcher. Zero durations and counts take
// the defaults noted.
type DispatcherConfig struct {
	Journal  Journal
	Printers []Printer
	Now      func() time.Time // default time.Now
	// Poll is how often an idle worker looks for work without a signal
	// (default 2s); Submit signals the workers of its media at once.
	Poll time.Duration
	// RetryDelay is the pause after a retry outcome (default 5s); it
	// doubles with each attempt of the job, up to MaxRetryDelay (5m).
	RetryDelay time.Duration
	// MaxAttempts bounds the dispatches of one job (default 3).
	MaxAttempts int
	// PrintTimeout bounds one Device.Print call (default 5m).
	PrintTimeout time.Duration
	// Observe, when set, is called after every state change and failure
	// (a driver's panic among them, see ErrDriverPanic). It runs on the
	// worker's goroutine, or the caller's, and must not block.
	Observe func(Event)
	// LowStock is the number of blank cards at or below which the ledger
	// raises a low-stock alert (default 20).
	LowStock int
	// DestructionWindow is how long a proposed destruction of spoiled
	// cards waits for its second supervisor (DefaultDestructionWindow
	// when 0).
	DestructionWindow time.Duration
	// JournalRetry is the first pause before a failed record of a print's
	// outcome is tried again (default 100ms); it doubles up to
	// MaxJournalRetry. The worker keeps trying until the record is written
	// or the dispatcher closes, and takes no other job meanwhile.
	JournalRetry time.Duration
	// JournalPatience is how long the worker tries before it also stops
	// its printer with ReasonJournalError (default 30s), so that the
	// console and Availability show it; a supervisor resumes it.
	JournalPatience time.Duration
	// PrinterStates, when set, is given each change of a printer's state
	// for the fleet hub: the journal, when a hub is configured. Without a
	// hub nothing records them, so that printing makes the same journal
	// writes whenever a console or a health check looks at the printers.
	PrinterStates PrinterStateRecorder
}

// MaxJournalRetry caps the pause between attempts to record an outcome.
const MaxJournalRetry = 5 * time.Second

// DefaultLowStock is the default low-stock threshold of the ledger.
const DefaultLowStock = 20

// MaxRetryDelay caps the backoff between attempts of a job.
const MaxRetryDelay = 5 * time.Minute

// Dispatcher is the print service: it takes submissions into the journal
// and runs one worker per printer. A worker takes the oldest queued job of
// its printer's media, makes it durably dispatching, prints it, and records
// the result from the driver's outcome:
//
//   - no error: printed (with the card serial the device reports);
//   - DriverError with Uncertain set, an unknown outcome, or an error
//     that is not a DriverError (a timeout, say): in_doubt, because the
//     printer may have the data; only a supervisor resolves it;
//   - failed: failed; cancel: canceled; hold: held (a supervisor
//     releases it, e.g. after loading blank cards);
//   - retry: queued again, and this printer pauses RetryDelay, doubled
//     per attempt; retry-current: queued again and retried at once;
//     either becomes failed once the job has had MaxAttempts dispatches;
//   - stop: queued again (another printer of the same media may take it)
//     and this printer takes no more jobs until Resume; an uncertain
//     stop makes the job in_doubt and stops the printer too;
//   - a cause of ErrMalformedReply or ErrDriverPanic, whatever the
//     outcome, also stops the printer: the device is at fault, and it
//     would fail every next job the same way;
//   - a panic in the driver's Print (a driver is vendor code) is
//     recovered as an uncertain stop, reason driver-panic: the job is
//     in_doubt (bytes may have gone out) and the printer stopped. A panic
//     in Status or Capabilities stops the printer as well.
//
// A card job is held (reason no-blanks) instead of claimed while its
// printer's ledger has no blank card left (see Journal.ClaimNext); a
// worker whose printer has none leaves the job to another printer of
// the same media that has some.
//
// A job found dispatching after a crash is never printed again
// automatically: the journal turns it in_doubt when it opens.
type Dispatcher struct {
	journal      Journal
	states       PrinterStateRecorder // nil: printer states are not recorded
	now          func() time.Time
	poll         time.Duration
	retryDelay   time.Duration
	maxAttempts  int
	printTimeout time.Duration
	observe      func(Event)
	lowStock     int
	destroyIn    time.Duration
	journalRetry time.Duration
	patience     time.Duration
	feed         *Feed

	workers   []*worker
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// worker drives one printer.
type worker struct {
	d       *Dispatcher
	printer Printer
	wake    chan struct{} // buffered 1: a pending signal is never lost

	mu        sync.Mutex
	notBefore time.Time     // no claim before this (retry backoff)
	stopped   string        // why the printer was stopped; "" when running
	estimate  time.Duration // expected dispatch→printed time; 0 when unknown
	reported  string        // the state last given to the PrinterStateRecorder
}

// TypicalTimer is a Device that declares how long a print usually takes;
// the dispatcher starts its estimate from it until it has measured prints.
type TypicalTimer interface {
	TypicalPrintTime() time.Duration
}

// learn folds one measured dispatch→printed time into the printer's
// estimate: a moving average weighting the newest print by a quarter, so
// one slow card (a retry inside the driver) does not swing it.
func (w *worker) learn(took time.Duration) {
	if took <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.estimate <= 0 {
		w.estimate = took
		return
	}
	w.estimate = (3*w.estimate + took) / 4
}

// estimated is the printer's current dispatch→printed estimate; 0 when
// unknown.
func (w *worker) estimated() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.estimate
}

// NewDispatcher checks cfg and starts one worker per printer. Close stops
// them.
func NewDispatcher(cfg DispatcherConfig) (*Dispatcher, error) {
	if cfg.Journal == nil {
		return nil, errors.New("dispatcher: no journal")
	}
	d := &Dispatcher{
		journal:      cfg.Journal,
		states:       cfg.PrinterStates,
		now:          cfg.Now,
		poll:         cfg.Poll,
		retryDelay:   cfg.RetryDelay,
		maxAttempts:  cfg.MaxAttempts,
		printTimeout: cfg.PrintTimeout,
		observe:      cfg.Observe,
		lowStock:     cfg.LowStock,
		destroyIn:    cfg.DestructionWindow,
		journalRetry: cfg.JournalRetry,
		patience:     cfg.JournalPatience,
	}
	if d.journalRetry <= 0 {
		d.journalRetry = 100 * time.Millisecond
	}
	if d.patience <= 0 {
		d.patience = 30 * time.Second
	}
	if d.destroyIn <= 0 {
		d.destroyIn = DefaultDestructionWindow
	}
	if d.lowStock <= 0 {
		d.lowStock = DefaultLowStock
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.poll <= 0 {
		d.poll = 2 * time.Second
	}
	if d.retryDelay <= 0 {
		d.retryDelay = 5 * time.Second
	}
	if d.maxAttempts <= 0 {
		d.maxAttempts = 3
	}
	if d.printTimeout <= 0 {
		d.printTimeout = 5 * time.Minute
	}
	if d.observe == nil {
		d.observe = func(Event) {}
	}
	d.feed = NewFeed(d.now)
	names := map[string]bool{}
	for _, p := range cfg.Printers {
		switch {
		case p.Name == "" || names[p.Name]:
			return nil, errors.New("dispatcher: printer name empty or used twice: " + p.Name)
		case p.Device == nil:
			return nil, errors.New("dispatcher: printer " + p.Name + " has no device")
		case !p.Media.Valid():
			return nil, errors.New("dispatcher: printer " + p.Name + " has unknown media " + string(p.Media))
		}
		names[p.Name] = true
		w := &worker{d: d, printer: p, wake: make(chan struct{}, 1)}
		if t, ok := p.Device.(TypicalTimer); ok {
			w.estimate = max(t.TypicalPrintTime(), 0)
		}
		d.workers = append(d.workers, w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	for _, w := range d.workers {
		d.wg.Add(1)
		go w.run(ctx)
	}
	return d, nil
}

// Close stops the workers and waits for them. A print under way sees its
// context canceled; what the driver then reports decides the job's state
// as usual (an unclassified error makes it in_doubt). Close does not close
// the devices or the journal.
func (d *Dispatcher) Close() error {
	d.closeOnce.Do(func() {
		d.cancel()
		d.wg.Wait()
		d.feed.Close()
	})
	return nil
}

// Submit validates req, checks that a printer holds its media, records the
// job and signals the workers of that media. created is false when the
// same request was already submitted. An ErrIdempotencyConflict comes
// with the job the key names.
func (d *Dispatcher) Submit(ctx context.Context, req SubmitRequest) (Job, bool, error) {
	if err := req.Validate(); err != nil {
		return Job{}, false, err
	}
	if !d.serves(req.Media) {
		return Job{}, false, ErrNoPrinter.Withf("no printer for media %s", req.Media)
	}
	job, created, err := d.journal.Submit(ctx, req)
	if err != nil {
		return job, false, err
	}
	if created {
		d.changed(Event{Job: job})
		d.signal(req.Media)
	}
	return job, created, nil
}

// Job returns one job.
func (d *Dispatcher) Job(ctx context.Context, id JobID) (Job, error) {
	return d.journal.Get(ctx, id)
}

// Jobs lists jobs, newest first.
func (d *Dispatcher) Jobs(ctx context.Context, f JobFilter) ([]Job, error) {
	return d.journal.List(ctx, f)
}

// Cancel cancels a queued or held job.
func (d *Dispatcher) Cancel(ctx context.Context, id JobID) (Job, error) {
	job, err := d.journal.Cancel(ctx, id, "canceled-by-request")
	if err != nil {
		return Job{}, err
	}
	d.changed(Event{Job: job})
	return job, nil
}

// changed reports a job that the journal committed in a new state: to
// Observe and to the feed.
func (d *Dispatcher) changed(e Event) { d.changedEstimated(e, 0) }

// changedEstimated is changed with the printer's estimate for a job that
// has just become dispatching, so followers can show the time left.
func (d *Dispatcher) changedEstimated(e Event, estimate time.Duration) {
	d.observe(e)
	j := e.Job
	d.feed.Publish(Notice{Kind: NoticeJob, Job: &j, Printer: e.Printer, EstimateMS: estimate.Milliseconds()})
}

// signal wakes the workers of media m.
func (d *Dispatcher) signal(m Media) {
	for _, w := range d.workers {
		if w.printer.Media == m {
			w.signal()
		}
	}
}

// Subscribe returns the job and printer notices from now on (see Feed).
// A subscriber reads the current state (Job, Printers) after subscribing,
// so that it misses nothing in between.
func (d *Dispatcher) Subscribe(buffer int) (<-chan Notice, func()) {
	return d.feed.Subscribe(buffer)
}

// Resume lets a printer stopped by a stop outcome take jobs again, and
// ends any retry pause.
func (d *Dispatcher) Resume(printer string) error {
	w, err := d.worker(printer)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.stopped = ""
	w.notBefore = time.Time{}
	w.mu.Unlock()
	d.feed.Publish(Notice{Kind: NoticePrinter, Printer: printer, State: PrinterIdle})
	w.report(context.Background(), Status{State: PrinterIdle})
	w.signal()
	return nil
}

func (d *Dispatcher) worker(printer string) (*worker, error) {
	for _, w := range d.workers {
		if w.printer.Name == printer {
			return w, nil
		}
	}
	return nil, ErrPrinterNotFound.Withf("no printer named %q", printer)
}

// Printers reports every printer with its current status. A device that
// does not answer is shown stopped and offline; a printer the dispatcher
// stopped is shown stopped with the reason.
func (d *Dispatcher) Printers(ctx context.Context) ([]PrinterInfo, error) {
	out := make([]PrinterInfo, 0, len(d.workers))
	for _, w := range d.workers {
		p := w.printer
		info := PrinterInfo{Name: p.Name, Driver: p.Driver, Media: p.Media}
		st, err := w.status(ctx)
		switch {
		case errors.Is(err, ErrDriverPanic):
			st = Status{State: PrinterStopped} // the reason is w.stopped's, below
		case err != nil:
			st = Status{State: PrinterStopped, Reasons: []Reason{{Keyword: "offline", Severity: SeverityError}}}
		}
		if caps, err := w.capabilities(ctx); err == nil {
			info.Capabilities = caps
		}
		w.mu.Lock()
		if w.stopped != "" {
			st.State = PrinterStopped
			if !hasReason(st.Reasons, w.stopped) {
				st.Reasons = append(st.Reasons, Reason{Keyword: w.stopped, Severity: SeverityError})
			}
		}
		w.mu.Unlock()
		info.Status = st
		w.report(ctx, st)
		out = append(out, info)
	}
	return out, nil
}

func hasReason(rs []Reason, keyword string) bool {
	for _, r := range rs {
		if r.Keyword == keyword {
			return true
		}
	}
	return false
}

func (d *Dispatcher) serves(m Media) bool {
	for _, w := range d.workers {
		if w.printer.Media == m {
			return true
		}
	}
	return false
}

func (w *worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) ready() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopped == "" && !w.d.now().Before(w.notBefore)
}

func (w *worker) run(ctx context.Context) {
	defer w.d.wg.Done()
	tick := time.NewTicker(w.d.poll)
	defer tick.Stop()
	for {
		for w.ready() && w.dispatchOne(ctx) {
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-tick.C:
		}
	}
}

// dispatchOne prints the oldest queued job, if any, and reports whether
// the worker should look for another one at once.
func (w *worker) dispatchOne(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	// Journal writes must not be cut short by Close: a claim or result
	// that is half reported helps no one.
	jctx := context.WithoutCancel(ctx)
	name := w.printer.Name
	if w.printer.Media.Counted() && w.leaveToOthers(jctx) {
		return false
	}
	job, ok, err := w.d.journal.ClaimNext(jctx, w.printer.Media, name)
	if err != nil {
		w.d.observe(Event{Printer: name, Err: err})
		return false
	}
	if !ok {
		return false
	}
	if job.State == JobHeld {
		// No blank card left in the ledger: held before a card could be
		// used; a supervisor loads cards and releases it.
		w.d.changed(Event{Job: job, Printer: name})
		return true
	}
	w.d.changedEstimated(Event{Job: job, Printer: name}, w.estimated())
	started := w.d.now()

	doc, err := w.d.journal.Document(jctx, job.ID)
	if err != nil {
		// Nothing reached the printer, so failing the job is safe.
		w.finish(ctx, jctx, job, Result{State: JobFailed, Reason: "document-unavailable"}, err)
		return true
	}
	if ctx.Err() != nil {
		// Stopping before the first byte: the job may go back to the queue.
		w.finish(ctx, jctx, job, Result{State: JobQueued, Reason: "dispatcher-stopped"}, ctx.Err())
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, w.d.printTimeout)
	pj := PrintJob{ID: job.ID, Media: job.Media, Title: job.Title, Document: doc, Attempt: job.Attempts}
	printed, err := w.print(pctx, pj)
	cancel()
	state, reason := w.judge(job, err)
	r := Result{State: state, Reason: reason}
	switch disp, serial := DispositionOf(err); {
	case state == JobPrinted:
		r.CardSerial = w.serial(printed.CardSerial, pj)
		w.learn(w.d.now().Sub(started))
	case state == JobInDoubt:
		// A supervisor finds out what became of the card.
	case disp == DispositionRejected || disp == DispositionStuck:
		r.Spoiled, r.CardSerial = true, w.serial(serial, pj)
	}
	w.finish(ctx, jctx, job, r, err)
	return state != JobQueued || ctx.Err() == nil && w.ready()
}

// print is Device.Print with the driver's panic recovered: a driver is
// vendor code, and one malformed reply must not end printerd (and, after
// a restart, end it again on the same job). printerd cannot know whether
// a byte went out, so the result is an uncertain stop: the job in_doubt,
// never queued again automatically, the printer stopped.
func (w *worker) print(ctx context.Context, job PrintJob) (p Printed, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &DriverError{Outcome: OutcomeStop, Reason: ReasonDriverPanic, Uncertain: true, Err: w.panicked("Print", v)}
		}
	}()
	return w.printer.Device.Print(ctx, job)
}

// panicked is the ErrDriverPanic for a recovered panic, with the stack
// for the log.
func (w *worker) panicked(call string, v any) error {
	return ErrDriverPanic.With(fmt.Errorf("printer %s: %s panicked: %v\n%s", w.printer.Name, call, v, debug.Stack()))
}

// serial is the card serial to record for a card this print used: the
// driver's, else one made unique from the printer and the job.
func (w *worker) serial(reported string, job PrintJob) string {
	if reported != "" || !job.Media.Counted() {
		return reported
	}
	return CardSerialFor(w.printer.Name, job)
}

// leaveToOthers reports whether this printer, which holds counted media,
// should leave the queue alone: it has no blank card left in the ledger
// while another running printer of the same media has some. Otherwise
// ClaimNext decides, atomically, between claiming and holding.
func (w *worker) leaveToOthers(ctx context.Context) bool {
	var others []*worker
	for _, o := range w.d.workers {
		if o != w && o.printer.Media == w.printer.Media {
			others = append(others, o)
		}
	}
	if len(others) == 0 {
		return false
	}
	tallies, err := w.d.tallies(ctx)
	if err != nil || tallies[w.printer.Name].Remaining() > 0 {
		return false
	}
	for _, o := range others {
		o.mu.Lock()
		running := o.stopped == ""
		o.mu.Unlock()
		if running && tallies[o.printer.Name].Remaining() > 0 {
			return true
		}
	}
	return false
}

// judge turns a driver's result into the job's next state (see the
// Dispatcher's comment) and pauses or stops the printer as the outcome
// asks.
func (w *worker) judge(job Job, err error) (JobState, string) {
	if err == nil {
		return JobPrinted, ""
	}
	var de *DriverError
	if !errors.As(err, &de) {
		return JobInDoubt, "driver-error"
	}
	reason := de.Reason
	if reason == "" {
		reason = string(de.Outcome)
	}
	if de.Outcome == OutcomeStop || errors.Is(err, ErrMalformedReply) || errors.Is(err, ErrDriverPanic) {
		w.stop(reason)
	}
	if de.Uncertain {
		return JobInDoubt, reason
	}
	switch de.Outcome {
	case OutcomeFailed:
		return JobFailed, reason
	case OutcomeCancel:
		return JobCanceled, reason
	case OutcomeHold:
		return JobHeld, reason
	case OutcomeStop:
		return JobQueued, reason
	case OutcomeRetry, OutcomeRetryCurrent:
		if job.Attempts >= w.d.maxAttempts {
			return JobFailed, reason
		}
		if de.Outcome == OutcomeRetry {
			delay := w.d.retryDelay << (job.Attempts - 1)
			if delay > MaxRetryDelay || delay <= 0 {
				delay = MaxRetryDelay
			}
			w.mu.Lock()
			w.notBefore = w.d.now().Add(delay)
			w.mu.Unlock()
		}
		return JobQueued, reason
	}
	// OK with an error, or an outcome this version does not know.
	return JobInDoubt, reason
}

// stop makes the printer take no more jobs until Resume.
func (w *worker) stop(reason string) {
	w.mu.Lock()
	w.stopped = reason
	w.mu.Unlock()
	w.d.feed.Publish(Notice{Kind: NoticePrinter, Printer: w.printer.Name, State: PrinterStopped, Reason: reason})
	w.report(context.Background(), Status{State: PrinterStopped, Reasons: []Reason{{Keyword: reason, Severity: SeverityError}}})
}

// PrinterStateRecorder keeps the printer states printerd observes, for
// the fleet hub (docs/fleet.md): the journal writes them to its outbox.
type PrinterStateRecorder interface {
	RecordPrinterState(ctx context.Context, printer string, media Media, st Status) error
}

// report gives st to the journal when it differs from the state last
// given (state and reason keywords; supply levels alone are no change).
func (w *worker) report(ctx context.Context, st Status) {
	r := w.d.states
	if r == nil {
		return
	}
	sig := string(st.State)
	for _, rs := range st.Reasons {
		sig += " " + rs.Keyword
	}
	w.mu.Lock()
	same := w.reported == sig
	w.reported = sig
	w.mu.Unlock()
	if same {
		return
	}
	// A record outlives a caller that gave up (a console request).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.RecordPrinterState(ctx, w.printer.Name, w.printer.Media, st); err != nil {
		w.mu.Lock()
		w.reported = "" // given again at the next observation
		w.mu.Unlock()
	}
}

// finish records what became of a dispatch. A record that fails is tried
// again, with a pause doubling from JournalRetry up to MaxJournalRetry,
// until it is written: the card may already be in the citizen's hand, and
// a job left dispatching would show "printing" until the next start. The
// worker takes no other job meanwhile; after JournalPatience it also stops
// its printer with ReasonJournalError, so the console and Availability
// show why. When the dispatcher closes first, the job stays dispatching
// and the next start makes it in_doubt: at most once, never silently.
func (w *worker) finish(ctx, jctx context.Context, job Job, r Result, cause error) {
	r.Printer = w.printer.Name
	first := time.Now()
	delay := w.d.journalRetry
	stopped, last := false, false
	for attempt := 1; ; attempt++ {
		done, err := w.d.journal.Finish(jctx, job.ID, r)
		if err == nil {
			w.d.changed(Event{Job: done, Printer: w.printer.Name, Err: cause})
			return
		}
		if attempt > 1 && errors.Is(err, ErrJobState) {
			// An attempt that reported failure may have been written
			// after all: the same outcome of the same claim is done.
			if got, gerr := w.d.journal.Get(jctx, job.ID); gerr == nil && got.State == r.State && got.Attempts == job.Attempts {
				w.d.changed(Event{Job: got, Printer: w.printer.Name, Err: cause})
				return
			}
		}
		u := &Unrecorded{Outcome: r.State, Reason: r.Reason, Attempt: attempt}
		// Only a journal that failed to write may succeed later.
		giveUp := last || !errors.Is(err, ErrJournal) || !retryRecord
		if !stopped && retryRecord && (giveUp || time.Since(first) >= w.d.patience) {
			w.stopUnlessStopped(ReasonJournalError)
			stopped = true
		}
		u.Stopped = stopped
		if !giveUp {
			u.Retry = delay
		}
		w.d.observe(Event{Job: job, Printer: w.printer.Name, Err: errors.Join(cause, err), Unrecorded: u})
		if giveUp {
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			last = true // one more attempt at once, then the next start decides
		case <-t.C:
		}
		t.Stop()
		delay = min(2*delay, MaxJournalRetry)
	}
}

// stopUnlessStopped stops the printer with reason unless it is stopped
// already: a jam's reason says more to the supervisor, who must go to the
// printer anyway.
func (w *worker) stopUnlessStopped(reason string) {
	w.mu.Lock()
	already := w.stopped != ""
	w.mu.Unlock()
	if !already {
		w.stop(reason)
	}
}
