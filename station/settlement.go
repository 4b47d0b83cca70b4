package station

import (
	"context"
	"encoding/hex"
	"io"
	"sync"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
)

// Settlement is what the station owes the upstream about one print job:
// the upstream's hold on the request before the job reaches printerd, and
// the job's outcome after. It is written to the station's database before
// each step it records, so a crash or a stop at any moment leaves a row the
// next start carries on from; nothing owed lives only in memory.
type Settlement struct {
	ID            string // random, 32 hex digits; the upstream calls' idempotency keys derive from it
	Key           string // printerd's idempotency key of the job (an attempt or a supervisor's reprint)
	Attempt       int    // the attempt number of Key (AttemptKey); 0 for a reprint
	IntentKey     string // the upstream hold the print runs under: its own, or the first print's for a reprint
	Authorization string
	Request       RequestID
	Document      DocumentType
	TicketID      string // the ticket used at login, marked used once the token burns; may be ""
	SHA256        string // of the PDF
	Job           printerd.JobID
	Stage         SettlementStage
	Owed          PrintResult // once the outcome is known
	Printer       string
	CardSerial    string
	Reason        string // printer reason or short cause; never personal data
	Tries         int    // failed deliveries of what is owed
	LastError     string // stable code of the last failed delivery
	Created       time.Time
	Updated       time.Time
	NextTry       time.Time // no delivery before it
}

// SettlementStage is where a settlement stands.
type SettlementStage string

// Settlement stages, in order. A settlement moves only forward, except
// that a reported doubt goes back to following the job until a supervisor
// decides.
const (
	// SettleSubmitting: the upstream is asked to hold the request; the job
	// may or may not be at printerd (a submission cut short).
	SettleSubmitting SettlementStage = "submitting"
	// SettleFollowing: the job is at printerd; its outcome is not known.
	SettleFollowing SettlementStage = "following"
	// SettleOwed: the outcome is known and owed to the upstream.
	SettleOwed SettlementStage = "owed"
	// SettleInDoubt: the doubt is reported; a supervisor decides at printerd.
	SettleInDoubt SettlementStage = "in_doubt"
	// SettleDone: the upstream acknowledged; nothing more is owed.
	SettleDone SettlementStage = "settled"
)

// Settled reports whether nothing more is owed.
func (s Settlement) Settled() bool { return s.Stage == SettleDone }

// intentKey, outcomeKey: the idempotency keys of the upstream calls of one
// settlement. They are stable across restarts (the ID is stored) and
// distinct per kiosk and per print, so a replay is recognised and two
// kiosks never share a key.
func intentKey(id string) string { return id + ".hold" }

func outcomeKey(id string, r PrintResult) string { return id + "." + string(r) }

// ReasonNotSubmitted is the reason reported for a hold whose job never
// reached printerd: nothing printed, the request is given back.
const ReasonNotSubmitted = "not-submitted"

// SettlementStore keeps settlements (station/sqlite is one).
type SettlementStore interface {
	// SaveSettlements inserts or replaces each by ID, all in one
	// transaction, durably before it returns.
	SaveSettlements(ctx context.Context, ss ...Settlement) error
	// OpenSettlements returns every settlement not yet settled, oldest first.
	OpenSettlements(ctx context.Context) ([]Settlement, error)
	// Settlement returns one settlement by ID, and false when there is none.
	Settlement(ctx context.Context, id string) (Settlement, bool, error)
	// RequestSettlements returns every settlement of a request, oldest first.
	RequestSettlements(ctx context.Context, rid RequestID) ([]Settlement, error)
}

// JobLookup is what the settler needs of printerd beyond PrintService: a
// job found by its idempotency key (printerd/client.Client is one).
type JobLookup interface {
	Job(ctx context.Context, id printerd.JobID) (printerd.Job, error)
	JobByKey(ctx context.Context, key string) (printerd.Job, bool, error)
}

// SettlerConfig holds what a Settler needs; Store, Registry and Jobs are
// required.
type SettlerConfig struct {
	Store    SettlementStore
	Registry Registry
	Jobs     JobLookup
	Used     UsedTickets // optional: marks a burned ticket used locally
	Recorder Recorder    // optional
	Now      func() time.Time
	Rand     io.Reader
	// Every is how often open settlements are looked at (default 2 s).
	Every time.Duration
	// FirstRetry and MaxRetry bound the backoff between deliveries
	// (defaults 1 s and 1 min).
	FirstRetry, MaxRetry time.Duration
	// SubmitGrace is how long a submission found cut short may still be in
	// flight to printerd before its absence there is believed (default
	// 1 min).
	SubmitGrace time.Duration
	// Changed, if set, is told of every settlement saved (the kiosk shows
	// its citizen the outcome).
	Changed func(Settlement)
	// Crash, if set, is called at each named step (CrashPoints); tests kill
	// the process there.
	Crash func(point string)
}

// CrashPoints are the steps between a print's outcome and the upstream's
// acknowledgement at which SettlerConfig.Crash is called.
var CrashPoints = []string{"held", "submitted", "observed", "recorded", "delivered"}

// Settler delivers what the station owes the upstream: it follows every
// open settlement's job at printerd, records its outcome, and sends it
// until acknowledged, with backoff, across restarts. Run it once per
// station.
type Settler struct {
	cfg  SettlerConfig
	wake chan struct{}

	mu       sync.Mutex
	inflight map[string]bool // settlement IDs whose submission runs in this process
	request  map[RequestID]*requestLock
}

// requestLock is the lock of one request, dropped from the map once
// nobody holds or waits for it, so a long-running kiosk keeps none.
type requestLock struct {
	sync.Mutex
	users int // holders and waiters, under Settler.mu
}

// NewSettler returns a settler; call Run to start it.
func NewSettler(cfg SettlerConfig) *Settler {
	if cfg.Every == 0 {
		cfg.Every = 2 * time.Second
	}
	if cfg.FirstRetry == 0 {
		cfg.FirstRetry = time.Second
	}
	if cfg.MaxRetry == 0 {
		cfg.MaxRetry = time.Minute
	}
	if cfg.SubmitGrace == 0 {
		cfg.SubmitGrace = time.Minute
	}
	if cfg.Recorder == nil {
		cfg.Recorder = discard{}
	}
	if cfg.Crash == nil {
		cfg.Crash = func(string) {}
	}
	return &Settler{cfg: cfg, wake: make(chan struct{}, 1), inflight: map[string]bool{}, request: map[RequestID]*requestLock{}}
}

// Wake asks the settler to look at its open settlements now (a job
// changed at printerd, a supervisor decided).
func (s *Settler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run settles until ctx ends.
func (s *Settler) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
		s.Pass(ctx)
		t.Reset(s.cfg.Every)
	}
}

// Pass looks once at every open settlement: follows its job and delivers
// what is due. It returns the settlements still open.
func (s *Settler) Pass(ctx context.Context) []Settlement {
	if s.cfg.Store == nil {
		return nil // a kiosk that cannot print (no store configured)
	}
	open, err := s.cfg.Store.OpenSettlements(ctx)
	if err != nil {
		return nil
	}
	var left []Settlement
	for _, st := range open {
		if ctx.Err() != nil {
			return nil
		}
		s.locked(ctx, st.ID, func(cur Settlement) {
			if cur = s.advance(ctx, cur); !cur.Settled() {
				left = append(left, cur)
			}
		})
	}
	return left
}

// Open returns the settlements not yet settled, for the console.
func (s *Settler) Open(ctx context.Context) ([]Settlement, error) {
	if s.cfg.Store == nil {
		return nil, nil
	}
	return s.cfg.Store.OpenSettlements(ctx)
}

// lock serialises the work on one request: a kiosk starting an attempt and
// the background pass must not both act on it.
func (s *Settler) lock(rid RequestID) func() {
	s.mu.Lock()
	l := s.request[rid]
	if l == nil {
		l = &requestLock{}
		s.request[rid] = l
	}
	l.users++
	s.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		s.mu.Lock()
		if l.users--; l.users == 0 {
			delete(s.request, rid)
		}
		s.mu.Unlock()
	}
}

// locked calls fn with the open settlement id, read again under its
// request's lock (a kiosk or a pass may have moved it meanwhile); it does
// nothing when the settlement is settled or unknown.
func (s *Settler) locked(ctx context.Context, id string, fn func(Settlement)) {
	st, ok := s.find(ctx, id)
	if !ok {
		return
	}
	unlock := s.lock(st.Request)
	defer unlock()
	if st, ok = s.find(ctx, id); ok {
		fn(st)
	}
}

// advance moves one settlement on as far as it can now; the caller holds
// its request's lock.
func (s *Settler) advance(ctx context.Context, st Settlement) Settlement {
	switch st.Stage {
	case SettleSubmitting:
		s.mu.Lock()
		running := s.inflight[st.ID]
		s.mu.Unlock()
		if running || s.cfg.Now().Sub(st.Updated) < s.cfg.SubmitGrace {
			return st // the submission may still reach printerd
		}
		job, found, err := s.cfg.Jobs.JobByKey(ctx, st.Key)
		if err != nil {
			return st // printerd away: the next pass asks again
		}
		if !found {
			st.Stage, st.Owed, st.Reason = SettleOwed, ResultFailed, ReasonNotSubmitted
			if st, err = s.save(ctx, st); err != nil {
				return st
			}
			return s.deliver(ctx, st)
		}
		st.Job = job.ID
		st, _ = s.observe(ctx, st, job)
	case SettleFollowing, SettleInDoubt:
		job, err := s.cfg.Jobs.Job(ctx, st.Job)
		if err != nil {
			return st
		}
		st, _ = s.observe(ctx, st, job)
	}
	if st.Stage == SettleOwed {
		st = s.deliver(ctx, st)
	}
	return st
}

// DeliverNow tries once, now, to deliver what the settlement owes,
// whatever its backoff says.
func (s *Settler) DeliverNow(ctx context.Context, id string) {
	s.locked(ctx, id, func(st Settlement) {
		if st.Stage == SettleOwed {
			st.NextTry = time.Time{}
			s.deliver(ctx, st)
		}
	})
}

// Observe records what printerd says of a settlement's job; the kiosk
// calls it when it sees the job end, the settler on each pass. It is
// idempotent: a state already recorded changes nothing.
func (s *Settler) Observe(ctx context.Context, id string, job printerd.Job) {
	s.locked(ctx, id, func(st Settlement) {
		if st, err := s.observe(ctx, st, job); err == nil && st.Stage == SettleOwed {
			s.Wake()
		}
	})
}

// find returns the open settlement id.
func (s *Settler) find(ctx context.Context, id string) (Settlement, bool) {
	if s.cfg.Store == nil || id == "" {
		return Settlement{}, false
	}
	st, ok, err := s.cfg.Store.Settlement(ctx, id)
	return st, ok && err == nil && !st.Settled()
}

// observe moves st on from its job's state and saves it.
func (s *Settler) observe(ctx context.Context, st Settlement, job printerd.Job) (Settlement, error) {
	st.Job = job.ID
	next := st
	if next.Stage == SettleSubmitting {
		next.Stage = SettleFollowing
	}
	var child *Settlement
	switch job.State {
	case printerd.JobPrinted:
		next.Stage, next.Owed = SettleOwed, ResultPrinted
	case printerd.JobInDoubt:
		if st.Stage == SettleInDoubt {
			return st, nil // reported; a supervisor decides
		}
		next.Stage, next.Owed = SettleOwed, ResultInDoubt
	case printerd.JobFailed, printerd.JobCanceled:
		if job.ReprintedAs != "" {
			// A supervisor queued a reprint in this job's place: it runs
			// under the same hold, and its outcome is what is owed.
			reprint, err := s.cfg.Jobs.Job(ctx, job.ReprintedAs)
			if err != nil {
				return st, err
			}
			id, err := s.newID()
			if err != nil {
				return st, err
			}
			now := s.cfg.Now()
			c := Settlement{ID: id, Key: reprint.IdempotencyKey, IntentKey: st.IntentKey,
				Authorization: st.Authorization, Request: st.Request, Document: st.Document, TicketID: st.TicketID,
				SHA256: st.SHA256, Job: job.ReprintedAs, Stage: SettleFollowing, Created: now}
			child = &c
			next.Stage, next.Owed = SettleDone, ""
		} else {
			next.Stage, next.Owed = SettleOwed, ResultFailed
		}
	}
	if next.Owed != "" && next.Stage == SettleOwed {
		next.Printer, next.CardSerial, next.Reason = job.Printer, job.CardSerial, job.Reason
		next.Tries, next.LastError, next.NextTry = 0, "", time.Time{}
	}
	if next.Stage == st.Stage && next.Job == st.Job && child == nil {
		return st, nil
	}
	s.cfg.Crash("observed")
	var err error
	if child != nil {
		err = s.saveAll(ctx, next, *child)
	} else {
		next, err = s.save(ctx, next)
	}
	if err != nil {
		return st, err
	}
	s.cfg.Crash("recorded")
	if child != nil {
		s.cfg.Recorder.Record(ctx, Event{Kind: EventReprintFollowed, Request: st.Request, Job: job.ReprintedAs})
	}
	return next, nil
}

// deliver sends what st owes and records the acknowledgement; on failure
// it schedules the next try.
func (s *Settler) deliver(ctx context.Context, st Settlement) Settlement {
	now := s.cfg.Now()
	if now.Before(st.NextTry) {
		return st
	}
	o := PrintOutcome{
		Authorization:  st.Authorization,
		Request:        st.Request,
		IdempotencyKey: outcomeKey(st.ID, st.Owed),
		IntentKey:      st.IntentKey,
		JobID:          string(st.Job),
		Printer:        st.Printer,
		CardSerial:     st.CardSerial,
		PDFSHA256:      st.SHA256,
		Result:         st.Owed,
		Reason:         st.Reason,
	}
	ev := Event{Request: st.Request, Job: st.Job, SHA256: st.SHA256, Printer: st.Printer, CardSerial: st.CardSerial,
		Document: st.Document, Settled: true}
	var err error
	var burned bool
	switch st.Owed {
	case ResultPrinted:
		ev.Kind = EventConfirmed
		burned, err = s.cfg.Registry.ConfirmPrint(ctx, o)
	case ResultInDoubt:
		ev.Kind = EventPrintInDoubt
		err = s.cfg.Registry.ReportPrint(ctx, o)
	default:
		ev.Kind = EventPrintFailed
		err = s.cfg.Registry.ReportPrint(ctx, o)
	}
	if err != nil {
		if ctx.Err() != nil {
			return st
		}
		st.Tries++
		st.LastError = string(fault.As(err).Code)
		delay := s.cfg.FirstRetry << min(st.Tries-1, 16)
		st.NextTry = now.Add(min(delay, s.cfg.MaxRetry))
		s.cfg.Recorder.Record(ctx, Event{Kind: EventSettleRetry, Request: st.Request, Job: st.Job, Err: err})
		st, _ = s.save(ctx, st)
		return st
	}
	s.cfg.Crash("delivered")
	if burned && st.TicketID != "" && s.cfg.Used != nil {
		if uerr := s.cfg.Used.MarkUsed(ctx, st.TicketID, now); uerr != nil {
			s.cfg.Recorder.Record(ctx, Event{Kind: EventUsedTicketUnrecorded, Request: st.Request, Err: uerr})
		}
	}
	st.Stage, st.LastError, st.NextTry = SettleDone, "", time.Time{}
	if st.Owed == ResultInDoubt {
		st.Stage = SettleInDoubt // follow the job until a supervisor decides
	}
	if st, err = s.save(ctx, st); err != nil {
		return st
	}
	if st.Owed == ResultFailed {
		ev.Err = ErrPrintFailed.Withf("job %s: %s", st.Job, st.Reason)
	}
	s.cfg.Recorder.Record(ctx, ev)
	return st
}

func (s *Settler) save(ctx context.Context, st Settlement) (Settlement, error) {
	ss := []Settlement{st}
	err := s.saveAll(ctx, ss...) // sets ss[0].Updated
	return ss[0], err
}

func (s *Settler) saveAll(ctx context.Context, ss ...Settlement) error {
	now := s.cfg.Now()
	for i := range ss {
		ss[i].Updated = now
	}
	if err := s.cfg.Store.SaveSettlements(ctx, ss...); err != nil {
		return err
	}
	if s.cfg.Changed != nil {
		for _, st := range ss {
			s.cfg.Changed(st)
		}
	}
	return nil
}

func (s *Settler) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil {
		return "", fault.Internal.With(err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Begin starts the print of one attempt: it records the settlement, then
// has the upstream hold the request for it. Only after Begin returns may
// the job be submitted; Submitted or SubmitFailed must follow. Anything
// the request still owes from an earlier attempt is delivered first, so
// the upstream sees the attempts in order.
func (s *Settler) Begin(ctx context.Context, authz Authorization, ticketID string, rid RequestID, doc DocumentType, attempt int, sha string) (Settlement, error) {
	if s.cfg.Store == nil {
		return Settlement{}, fault.Internal.Withf("no settlement store: this kiosk cannot print")
	}
	unlock := s.lock(rid)
	defer unlock()
	prior, err := s.cfg.Store.RequestSettlements(ctx, rid)
	if err != nil {
		return Settlement{}, err
	}
	for _, p := range prior {
		if p.Stage == SettleOwed {
			p.NextTry = time.Time{}
			if p = s.deliver(ctx, p); p.Stage == SettleOwed {
				return Settlement{}, ErrUpstreamUnavailable.Withf("an earlier print of request %s is not settled", rid)
			}
		}
	}
	key := AttemptKey(rid, attempt)
	var st Settlement
	for _, p := range prior {
		if p.Key == key && p.Stage == SettleSubmitting {
			st = p // a submission cut short: the same hold, the same key
		}
	}
	if st.ID == "" {
		id, err := s.newID()
		if err != nil {
			return Settlement{}, err
		}
		now := s.cfg.Now()
		st = Settlement{ID: id, Key: key, Attempt: attempt, IntentKey: intentKey(id), Authorization: authz.ID,
			Request: rid, Document: doc, TicketID: ticketID, SHA256: sha, Stage: SettleSubmitting, Created: now}
	}
	s.mu.Lock()
	s.inflight[st.ID] = true
	s.mu.Unlock()
	if st, err = s.save(ctx, st); err != nil {
		s.done(st.ID)
		return Settlement{}, err
	}
	if err := s.cfg.Registry.HoldForPrint(ctx, authz, rid, st.IntentKey); err != nil {
		// The upstream may have taken the hold before the error: owe it
		// the release. Nothing was submitted.
		st.Stage, st.Owed, st.Reason = SettleOwed, ResultFailed, ReasonNotSubmitted
		st, _ = s.save(ctx, st)
		s.done(st.ID)
		s.Wake()
		return Settlement{}, err
	}
	s.cfg.Crash("held")
	return st, nil
}

// Submitted records that printerd took st's job: from now on it is
// followed, and an outcome printerd already has is recorded.
func (s *Settler) Submitted(ctx context.Context, st Settlement, job printerd.Job) (Settlement, error) {
	defer s.done(st.ID)
	s.cfg.Crash("submitted")
	unlock := s.lock(st.Request)
	defer unlock()
	if job.State.Terminal() {
		next, err := s.observe(ctx, st, job)
		if err == nil && next.Stage == SettleOwed {
			s.Wake()
		}
		return next, err
	}
	st.Stage, st.Job = SettleFollowing, job.ID
	return s.save(ctx, st)
}

// SubmitFailed ends this process's part in a submission that printerd
// answered with an error: the job may exist or not, so the settlement
// stays open and a later pass looks the key up once the grace is over.
func (s *Settler) SubmitFailed(st Settlement) { s.done(st.ID) }

func (s *Settler) done(id string) {
	s.mu.Lock()
	delete(s.inflight, id)
	s.mu.Unlock()
}

// LastAttempt returns the request's newest attempt settlement, if any.
func (s *Settler) LastAttempt(ctx context.Context, rid RequestID) (Settlement, bool, error) {
	if s.cfg.Store == nil {
		return Settlement{}, false, fault.Internal.Withf("no settlement store: this kiosk cannot print")
	}
	all, err := s.cfg.Store.RequestSettlements(ctx, rid)
	if err != nil {
		return Settlement{}, false, err
	}
	var last Settlement
	found := false
	for _, st := range all {
		if st.Attempt > 0 && st.Attempt >= last.Attempt {
			last, found = st, true
		}
	}
	return last, found, nil
}
