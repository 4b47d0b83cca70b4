package station

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/anjungan/anjungan/internal/fanout"
	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
)

// Event is something the kiosk did that belongs in the log and, later,
// the audit trail. It carries the subject as a NIK, which masks itself;
// recorders that persist events must key it with a station secret.
type Event struct {
	Kind       string // login_ok, login_refused, document_fetched, rendered, submitted, printed, confirmed, print_failed, settle_retry
	Method     AuthMethod
	Subject    NIK
	Request    RequestID
	Job        printerd.JobID
	SHA256     string
	Printer    string
	CardSerial string
	Err        error
}

// Recorder receives kiosk events.
type Recorder interface {
	Record(ctx context.Context, e Event)
}

// KioskConfig holds what a Kiosk needs; every field but Recorder is required.
type KioskConfig struct {
	Registry   Registry
	Tickets    TicketVerifier
	Renderer   Renderer
	Printers   PrintService
	Used       UsedTickets // optional: without it only the upstream refuses replays
	Previewer  Previewer   // optional: without it the kiosk shows no preview
	Cards      CardReader  // optional: the e-KTP reader
	CardStates CardStates  // optional: the reader's state, shown live on the card screen
	Notices    JobNotices  // optional: printerd's event stream; without it prints are only polled
	// Settlements keeps what the station owes the upstream about each
	// print, so that a restart carries on with it.
	Settlements SettlementStore
	// Settle tunes the settler (its Store, Registry, Jobs, Used,
	// Recorder, Now and Rand are the kiosk's own).
	Settle     SettlerConfig
	Recorder   Recorder
	Now        func() time.Time
	Rand       io.Reader
	SessionTTL time.Duration // idle time after which a session ends (default 60 s)
	// PollEvery is how often a pending print is read from printerd: the
	// only way without Notices (default 250 ms), a fallback with them for
	// notices lost while the stream was down (default 2 s).
	PollEvery time.Duration
}

// JobNotices is printerd's event stream (printerd/client.Client is one).
// Events returns once subscribed and closes the channel when the stream
// breaks.
type JobNotices interface {
	Events(ctx context.Context) (<-chan printerd.Notice, error)
}

// Kiosk is the citizen's flow: log in, see the approved documents, print
// them, and settle each print with the upstream. A one-time token is
// burned by the upstream only when the station confirms a printed job;
// a failed or uncertain print is reported, never silently dropped.
type Kiosk struct {
	cfg     KioskConfig
	settler *Settler

	ctx    context.Context // lives until Close; settlements run under it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	sessions map[string]*Session
	cards    map[string]cardRead                     // card reads waiting for their PIN
	jobs     map[printerd.JobID]chan printerd.Notice // settlements following a job; a Notice without Job means "read it now"
	// early keeps the latest notice of a job no settlement follows yet:
	// printerd may dispatch a job before its settlement starts, and the
	// dispatch notice is the only one with the time left.
	early    map[printerd.JobID]printerd.Notice
	watchers map[string]map[chan *Session]struct{} // per session: pages following its changes
	cardRead context.CancelFunc                    // ends the card wait of the page that had the reader before
}

// Session is one citizen at the kiosk. It holds personal data only as long
// as the visit needs it.
type Session struct {
	ID       string
	Authz    Authorization
	TicketID string // the ticket used to log in, if any
	Prints   map[RequestID]*Print
	Seen     time.Time
}

// Print is the progress of one requested document at the kiosk.
type Print struct {
	Request  RequestID
	Document DocumentType
	Job      printerd.JobID
	SHA256   string
	State    PrintState
	Reason   string // printer reason keyword, when there is one
	// Settlement names the settlement that carries the print's outcome
	// to the upstream.
	Settlement string
	Err        *Error // why it failed, for the citizen
	Pages      int    // pages of the rendered document
	Masks      []Mask // preview regions the page covers (the citizen's name)
	// Until is when printerd expects the print to be done, from its
	// estimate for the printer; zero when unknown or not printing.
	Until time.Time

	session  string    // the session the print belongs to, for its watchers
	updated  time.Time // printerd's time of the job state shown, so an older one never replaces it
	key      string    // the idempotency key of the attempt submitted (AttemptKey)
	rendered *Rendered // kept from preview to print: what was shown is what prints
	previews [][]byte  // PNG per page, made on first request
}

// PrintState is what the citizen sees of a print.
type PrintState string

// Print states shown on the kiosk.
const (
	PrintPreparing PrintState = "preparing" // fetching and rendering
	PrintPreview   PrintState = "preview"   // rendered, shown to the citizen, not yet sent
	PrintQueued    PrintState = "queued"    // waiting at printerd
	PrintPrinting  PrintState = "printing"  // at the printer
	PrintDone      PrintState = "printed"   // printed; its confirmation is recorded and reaches the upstream
	PrintHeld      PrintState = "held"      // printerd holds the job (jam, no blanks): an officer acts; token kept
	PrintFailed    PrintState = "failed"    // nothing printed; token kept
	PrintInDoubt   PrintState = "in_doubt"  // outcome unknown; an officer decides
)

// NewKiosk returns a kiosk; Close stops its settlements.
func NewKiosk(cfg KioskConfig) *Kiosk {
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 60 * time.Second
	}
	if cfg.PollEvery == 0 {
		cfg.PollEvery = 250 * time.Millisecond
		if cfg.Notices != nil {
			cfg.PollEvery = 2 * time.Second
		}
	}
	if cfg.Recorder == nil {
		cfg.Recorder = discard{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	k := &Kiosk{cfg: cfg, ctx: ctx, cancel: cancel, sessions: map[string]*Session{}, cards: map[string]cardRead{},
		jobs: map[printerd.JobID]chan printerd.Notice{}, early: map[printerd.JobID]printerd.Notice{}, watchers: map[string]map[chan *Session]struct{}{}}
	sc := cfg.Settle
	sc.Store, sc.Registry, sc.Jobs, sc.Used, sc.Recorder, sc.Now, sc.Rand = cfg.Settlements, cfg.Registry, cfg.Printers, cfg.Used, cfg.Recorder, cfg.Now, cfg.Rand
	k.settler = NewSettler(sc)
	k.wg.Add(2)
	go k.sweepEvery(cfg.SessionTTL / 4)
	go func() {
		defer k.wg.Done()
		k.settler.Run(ctx)
	}()
	if cfg.Notices != nil {
		k.wg.Add(1)
		go k.followNotices()
	}
	return k
}

// sweepEvery drops idle sessions even when nobody logs in, so a walked-away
// citizen's data does not stay in memory.
func (k *Kiosk) sweepEvery(d time.Duration) {
	defer k.wg.Done()
	for k.sleep(d) {
		k.mu.Lock()
		k.sweepLocked()
		k.mu.Unlock()
	}
}

type discard struct{}

func (discard) Record(context.Context, Event) {}

// Settler returns the kiosk's settler, for the console.
func (k *Kiosk) Settler() *Settler { return k.settler }

// Close stops the settlement of pending prints and waits for them. What is
// still owed stays in the settlement store; the next start delivers it.
func (k *Kiosk) Close() {
	k.cancel()
	k.wg.Wait()
}

// LoginTicket verifies a scanned QR ticket and asks the upstream for the
// citizen's approved documents.
func (k *Kiosk) LoginTicket(ctx context.Context, text string) (*Session, error) {
	t, err := k.cfg.Tickets.Verify(text, k.cfg.Now())
	if err != nil {
		k.cfg.Recorder.Record(ctx, Event{Kind: "login_refused", Method: AuthTicket, Err: err})
		return nil, err
	}
	if k.cfg.Used != nil {
		used, err := k.cfg.Used.Used(ctx, t.ID)
		if err == nil && used {
			err = ErrTicketUsed.Withf("ticket %s is in the local used list", t.ID)
		}
		if err != nil {
			k.cfg.Recorder.Record(ctx, Event{Kind: "login_refused", Method: AuthTicket, Err: err})
			return nil, fault.As(err)
		}
	}
	authz, err := k.cfg.Registry.AuthenticateTicket(ctx, t)
	s, err := k.open(ctx, AuthTicket, authz, err)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.sessions[s.ID].TicketID = t.ID
	k.mu.Unlock()
	s.TicketID = t.ID
	return s, nil
}

// LoginPIN checks a NIK and one-time PIN with the upstream.
func (k *Kiosk) LoginPIN(ctx context.Context, nikText, pin string) (*Session, error) {
	nik, err := ParseNIK(nikText)
	if err != nil {
		k.cfg.Recorder.Record(ctx, Event{Kind: "login_refused", Method: AuthPIN, Err: err})
		return nil, err
	}
	if len(pin) != 6 || !digits(pin) {
		err := ErrCredentialsRejected.Withf("malformed PIN")
		k.cfg.Recorder.Record(ctx, Event{Kind: "login_refused", Method: AuthPIN, Subject: nik, Err: err})
		return nil, err
	}
	authz, err := k.cfg.Registry.AuthenticatePIN(ctx, nik, pin)
	if err == nil && authz.Subject != nik {
		err = ErrSubjectMismatch.Withf("upstream answered for another subject")
	}
	return k.open(ctx, AuthPIN, authz, err)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (k *Kiosk) open(ctx context.Context, m AuthMethod, authz Authorization, err error) (*Session, error) {
	if err != nil {
		k.cfg.Recorder.Record(ctx, Event{Kind: "login_refused", Method: m, Err: err})
		return nil, err
	}
	if !hasApproved(authz.Requests) {
		err := ErrNothingToPrint.Withf("no approved request")
		k.cfg.Recorder.Record(ctx, Event{Kind: "login_refused", Method: m, Subject: authz.Subject, Err: err})
		return nil, err
	}
	id, err := k.randomID()
	if err != nil {
		return nil, err
	}
	s := &Session{ID: id, Authz: authz, Prints: map[RequestID]*Print{}, Seen: k.cfg.Now()}
	k.mu.Lock()
	k.sweepLocked()
	k.sessions[id] = s
	k.mu.Unlock()
	k.cfg.Recorder.Record(ctx, Event{Kind: "login_ok", Method: m, Subject: authz.Subject})
	return s.snapshot(), nil
}

func hasApproved(rs []PrintRequest) bool {
	for _, r := range rs {
		if r.Status == RequestApproved {
			return true
		}
	}
	return false
}

func (k *Kiosk) randomID() (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(k.cfg.Rand, b); err != nil {
		return "", fault.Internal.With(err)
	}
	return hex.EncodeToString(b), nil
}

// sweepLocked forgets idle sessions, so personal data does not outlive the
// visit. Prints still settling keep running; they do not need the session.
func (k *Kiosk) sweepLocked() {
	now := k.cfg.Now()
	for id, s := range k.sessions {
		if k.idle(s, now) {
			k.dropLocked(id)
		}
	}
	for id, r := range k.cards {
		if now.Sub(r.when) > cardReadTTL {
			delete(k.cards, id)
		}
	}
}

// Now is the kiosk's clock, for the time left of a print.
func (k *Kiosk) Now() time.Time { return k.cfg.Now() }

// idle reports whether s has been left: no activity for the session TTL
// and no print under way (the page follows a print without touching the
// session, and a citizen waiting at the printer is not idle).
func (k *Kiosk) idle(s *Session, now time.Time) bool {
	if now.Sub(s.Seen) <= k.cfg.SessionTTL {
		return false
	}
	for _, p := range s.Prints {
		switch p.State {
		case PrintPreparing, PrintQueued, PrintPrinting:
			return false
		}
	}
	return true
}

// IdleTimeout is how long a session may stay idle before it ends; the page
// warns the citizen before then.
func (k *Kiosk) IdleTimeout() time.Duration { return k.cfg.SessionTTL }

// Session returns a copy of the session with that id, or ErrSessionExpired.
func (k *Kiosk) Session(id string) (*Session, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, err := k.liveLocked(id)
	if err != nil {
		return nil, err
	}
	return s.snapshot(), nil
}

func (k *Kiosk) liveLocked(id string) (*Session, error) {
	s, ok := k.sessions[id]
	if !ok {
		return nil, ErrSessionExpired.Withf("unknown session")
	}
	now := k.cfg.Now()
	if k.idle(s, now) {
		k.dropLocked(id)
		return nil, ErrSessionExpired.Withf("idle session")
	}
	s.Seen = now
	return s, nil
}

// Logout ends the session and drops its personal data.
func (k *Kiosk) Logout(id string) {
	k.mu.Lock()
	k.dropLocked(id)
	k.mu.Unlock()
}

// dropLocked forgets a session and gives back, in the background, the
// documents it fetched for a preview but never printed, so another kiosk
// can print them.
func (k *Kiosk) dropLocked(id string) {
	s, ok := k.sessions[id]
	if !ok {
		return
	}
	delete(k.sessions, id)
	k.changedLocked(id) // its pages see that it ended
	for rid, p := range s.Prints {
		if p.State == PrintPreview {
			k.wg.Add(1)
			go func() {
				defer k.wg.Done()
				_ = k.release(k.ctx, s.Authz, rid)
			}()
		}
	}
}

// Release gives back a prepared document the citizen chose not to print.
func (k *Kiosk) Release(ctx context.Context, sessionID string, rid RequestID) error {
	k.mu.Lock()
	s, err := k.liveLocked(sessionID)
	if err != nil {
		k.mu.Unlock()
		return err
	}
	p, ok := s.Prints[rid]
	if !ok || p.State != PrintPreview {
		k.mu.Unlock()
		return nil // nothing fetched, or already sent to print
	}
	delete(s.Prints, rid)
	authz := s.Authz
	k.mu.Unlock()
	return k.release(ctx, authz, rid)
}

func (k *Kiosk) release(ctx context.Context, authz Authorization, rid RequestID) error {
	err := k.cfg.Registry.Release(ctx, authz, rid)
	ev := Event{Kind: "released", Subject: authz.Subject, Request: rid, Err: err}
	if err != nil {
		ev.Kind = "release_failed" // the upstream's reservation runs out by itself
	}
	k.cfg.Recorder.Record(ctx, ev)
	return err
}

// snapshot copies s so callers can read it without the lock.
func (s *Session) snapshot() *Session {
	c := *s
	c.Authz.Requests = append([]PrintRequest(nil), s.Authz.Requests...)
	c.Prints = make(map[RequestID]*Print, len(s.Prints))
	for id, p := range s.Prints {
		pc := *p
		c.Prints[id] = &pc
	}
	return &c
}

// IdempotencyKey is the key under which a request is submitted to
// printerd. It depends only on the upstream's request id, so the same
// approved document can never become two jobs, whichever session, kiosk
// restart or double tap submits it. A supervisor's reprint uses a new key.
func IdempotencyKey(r RequestID) string {
	return AttemptKey(r, 1)
}

// MaxPrintAttempts bounds the attempts at printing one request at a kiosk:
// a new attempt starts only after the last one failed with nothing printed
// (failed or canceled at printerd). After that many, an officer looks.
const MaxPrintAttempts = 5

// AttemptKey is the idempotency key of attempt n (from 1) at printing r.
// Like IdempotencyKey (attempt 1), it depends only on the request and n,
// so two kiosks or two taps retrying the same failed print make one job.
func AttemptKey(r RequestID, n int) string {
	in := "anjungan/print-request/v1\x00" + string(r)
	if n > 1 {
		in += "\x00attempt " + strconv.Itoa(n)
	}
	sum := sha256.Sum256([]byte(in))
	return hex.EncodeToString(sum[:])
}

// Prepare fetches and renders one approved document and keeps it in the
// session for the citizen to preview. Calling it again returns the same
// print.
func (k *Kiosk) Prepare(ctx context.Context, sessionID string, rid RequestID) (Print, error) {
	k.mu.Lock()
	s, err := k.liveLocked(sessionID)
	if err != nil {
		k.mu.Unlock()
		return Print{}, err
	}
	if p, ok := s.Prints[rid]; ok && p.State != PrintFailed {
		cp := *p
		k.mu.Unlock()
		return cp, nil
	}
	req, ok := findRequest(s.Authz.Requests, rid)
	switch {
	case !ok:
		k.mu.Unlock()
		return Print{}, ErrRequestNotFound.Withf("request not in authorization")
	case req.Status != RequestApproved:
		k.mu.Unlock()
		return Print{}, ErrAlreadyPrinted.Withf("request status %s", req.Status)
	}
	p := &Print{Request: rid, Document: req.Document, State: PrintPreparing, session: sessionID}
	s.Prints[rid] = p
	k.changedLocked(sessionID)
	authz := s.Authz
	k.mu.Unlock()

	out, err := k.render(ctx, authz, req)
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.changedLocked(sessionID)
	if err != nil {
		p.State, p.Err = PrintFailed, fault.As(err)
		// The fetch may have reserved the request upstream: give it back.
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			_ = k.release(k.ctx, authz, rid)
		}()
		return *p, err
	}
	p.State, p.SHA256, p.Pages, p.rendered = PrintPreview, out.SHA256, out.Pages, &out
	p.Masks = validMasks(out.Masks, out.Pages)
	return *p, nil
}

// Preview returns page (from 0) of a prepared print as PNG, made from the
// same PDF that will print.
func (k *Kiosk) Preview(ctx context.Context, sessionID string, rid RequestID, page int) ([]byte, error) {
	if k.cfg.Previewer == nil {
		return nil, ErrRenderFailed.Withf("no previewer configured")
	}
	k.mu.Lock()
	s, err := k.liveLocked(sessionID)
	if err != nil {
		k.mu.Unlock()
		return nil, err
	}
	p, ok := s.Prints[rid]
	if !ok || p.rendered == nil {
		k.mu.Unlock()
		return nil, ErrRequestNotFound.Withf("no prepared print for the request")
	}
	pngs, pdf := p.previews, p.rendered.PDF
	k.mu.Unlock()
	if pngs == nil {
		if pngs, err = k.cfg.Previewer.Preview(ctx, pdf, 150); err != nil {
			return nil, err
		}
		k.mu.Lock()
		p.previews = pngs
		k.mu.Unlock()
	}
	if page < 0 || page >= len(pngs) {
		return nil, ErrRequestNotFound.Withf("no page %d", page)
	}
	return pngs[page], nil
}

// Print submits a prepared document (preparing it first if needed), then
// settles it with the upstream in the background. Calling it again for
// the same request returns the same print.
func (k *Kiosk) Print(ctx context.Context, sessionID string, rid RequestID) (Print, error) {
	p, err := k.Prepare(ctx, sessionID, rid)
	if err != nil || p.State != PrintPreview {
		return p, err
	}
	k.mu.Lock()
	s, err := k.liveLocked(sessionID)
	if err != nil {
		k.mu.Unlock()
		return Print{}, err
	}
	sp := s.Prints[rid]
	if sp.State != PrintPreview {
		// Another tap got here first.
		cp := *sp
		k.mu.Unlock()
		return cp, nil
	}
	sp.State = PrintQueued
	k.changedLocked(sessionID)
	authz, ticketID, out := s.Authz, s.TicketID, sp.rendered
	k.mu.Unlock()

	job, st, err := k.submit(ctx, authz, ticketID, rid, sp.Document, out)
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.changedLocked(sessionID)
	if err != nil {
		sp.State, sp.Err = PrintFailed, fault.As(err)
		return *sp, err
	}
	sp.Job, sp.key, sp.Settlement = job.ID, st.Key, st.ID
	sp.State = printState(job.State)
	k.wg.Add(1)
	go k.settle(authz, sp)
	return *sp, nil
}

func findRequest(rs []PrintRequest, id RequestID) (PrintRequest, bool) {
	for _, r := range rs {
		if r.ID == id {
			return r, true
		}
	}
	return PrintRequest{}, false
}

func (k *Kiosk) render(ctx context.Context, authz Authorization, req PrintRequest) (Rendered, error) {
	ev := Event{Subject: authz.Subject, Request: req.ID}
	doc, err := k.cfg.Registry.Document(ctx, authz, req.ID)
	if err != nil {
		ev.Kind, ev.Err = "print_failed", err
		k.cfg.Recorder.Record(ctx, ev)
		return Rendered{}, err
	}
	if doc.Type != req.Document || doc.Request != req.ID {
		err := ErrUpstreamInvalid.Withf("document %s/%s does not answer request %s/%s", doc.Type, doc.Request, req.Document, req.ID)
		ev.Kind, ev.Err = "print_failed", err
		k.cfg.Recorder.Record(ctx, ev)
		return Rendered{}, err
	}
	ev.Kind = "document_fetched"
	k.cfg.Recorder.Record(ctx, ev)

	out, err := k.cfg.Renderer.Render(ctx, doc)
	if err != nil {
		ev.Kind, ev.Err = "print_failed", err
		k.cfg.Recorder.Record(ctx, ev)
		return Rendered{}, err
	}
	ev.Kind, ev.SHA256 = "rendered", out.SHA256
	k.cfg.Recorder.Record(ctx, ev)
	return out, nil
}

// submit hands the document to printerd under the first attempt's key
// whose job did not fail: an attempt that failed with nothing printed
// (failed, canceled) is followed by the next, never one printed or in
// doubt. That holds too when the failed attempt had other bytes (a
// template or the upstream's data changed since), which printerd refuses
// as a conflict naming that job. Each attempt is recorded and held at the
// upstream (Settler.Begin) before printerd sees it. It returns the job and
// its settlement.
func (k *Kiosk) submit(ctx context.Context, authz Authorization, ticketID string, rid RequestID, d DocumentType, out *Rendered) (printerd.Job, Settlement, error) {
	ev := Event{Subject: authz.Subject, Request: rid, SHA256: out.SHA256}
	fail := func(err error) (printerd.Job, Settlement, error) {
		ev.Kind, ev.Err = "print_failed", err
		k.cfg.Recorder.Record(ctx, ev)
		return printerd.Job{}, Settlement{}, err
	}
	n := 1
	last, found, err := k.settler.LastAttempt(ctx, rid)
	switch {
	case err != nil:
		return fail(err)
	case !found:
	case last.Stage == SettleSubmitting:
		n = last.Attempt // a submission cut short: the same key again is safe
	case last.Owed == ResultFailed && (last.Stage == SettleOwed || last.Settled()):
		n = last.Attempt + 1
	case last.Job != "":
		// This kiosk printed the request, or is printing it: show that job.
		job, err := k.cfg.Printers.Job(ctx, last.Job)
		if err != nil {
			return fail(ErrPrinterUnavailable.With(err))
		}
		return job, last, nil
	default:
		return fail(ErrPrinterUnavailable.Withf("request %s has an attempt without a job", rid))
	}
	for ; ; n++ {
		if n > MaxPrintAttempts {
			return fail(ErrPrinterUnavailable.Withf("%d attempts at request %s failed", n-1, rid))
		}
		st, err := k.settler.Begin(ctx, authz, ticketID, rid, d, n, out.SHA256)
		if err != nil {
			return fail(err)
		}
		job, err := k.cfg.Printers.Submit(ctx, printerd.SubmitRequest{
			IdempotencyKey: st.Key,
			Media:          d.Media(),
			Title:          d.Title(),
			Document:       out.PDF,
		})
		// job is the key's job: new, the same, or one with other bytes.
		if err != nil && !errors.Is(err, printerd.ErrIdempotencyConflict) {
			k.settler.SubmitFailed(st) // it may exist: the settler looks it up later
			return fail(ErrPrinterUnavailable.With(err))
		}
		if st, err = k.settler.Submitted(ctx, st, job); err != nil {
			return fail(err)
		}
		if job.State == printerd.JobFailed || job.State == printerd.JobCanceled {
			continue // that attempt ended with nothing printed: reported, and the next one
		}
		ev.Kind, ev.Job = "submitted", job.ID
		k.cfg.Recorder.Record(ctx, ev)
		return job, st, nil
	}
}

func printState(s printerd.JobState) PrintState {
	switch s {
	case printerd.JobQueued:
		return PrintQueued
	case printerd.JobHeld:
		return PrintHeld
	case printerd.JobDispatching:
		return PrintPrinting
	case printerd.JobPrinted:
		return PrintPrinting // printed, not yet confirmed upstream
	case printerd.JobInDoubt:
		return PrintInDoubt
	default:
		return PrintFailed
	}
}

// settle follows the job for the citizen until printerd reaches a
// terminal state, then hands the outcome to the settler, which records it
// durably and carries it to the upstream: a confirmed print burns the
// token, a failed or uncertain one is reported. The citizen sees the
// outcome once it is recorded; the settler tries the upstream at once, so
// in the usual case it is also acknowledged by then.
func (k *Kiosk) settle(authz Authorization, p *Print) {
	defer k.wg.Done()
	ctx := k.ctx
	k.mu.Lock()
	jobID, settlement := p.Job, p.Settlement
	// Registered before the first read: a change after that read arrives
	// as a notice (printerd's stream promises no gap after subscribing).
	notices := make(chan printerd.Notice, 16)
	k.jobs[jobID] = notices
	if n, ok := k.early[jobID]; ok {
		notices <- n
		delete(k.early, jobID)
	}
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		delete(k.jobs, jobID)
		k.mu.Unlock()
	}()

	poll := time.NewTimer(0)
	defer poll.Stop()
	var job printerd.Job
	for {
		var n printerd.Notice
		select {
		case <-ctx.Done():
			return
		case n = <-notices:
		case <-poll.C:
			poll.Reset(k.cfg.PollEvery)
		}
		j := n.Job
		if j == nil {
			got, err := k.cfg.Printers.Job(ctx, jobID)
			if err != nil {
				continue // printerd away: the next poll or notice tries again
			}
			j = &got
		}
		if !k.progress(p, *j, n) {
			continue
		}
		if j.State.Terminal() {
			job = *j
			break
		}
	}
	k.settler.Observe(ctx, settlement, job)
	// One prompt try, so that in the usual case the upstream knows before
	// the citizen leaves; the settler keeps trying after it.
	k.settler.DeliverNow(ctx, settlement)

	ev := Event{Subject: authz.Subject, Request: p.Request, Job: job.ID, SHA256: p.SHA256, Printer: job.Printer, CardSerial: job.CardSerial}
	var final PrintState
	var citizenErr *Error
	switch job.State {
	case printerd.JobPrinted:
		final, ev.Kind = PrintDone, "printed"
	case printerd.JobInDoubt:
		final, ev.Kind = PrintInDoubt, "print_in_doubt"
		citizenErr = ErrPrintInDoubt
	default:
		final, ev.Kind = PrintFailed, "print_failed"
		citizenErr = ErrPrintFailed.Withf("job %s %s: %s", job.ID, job.State, job.Reason)
		ev.Err = citizenErr
	}
	k.update(p, final, job.Reason, citizenErr)
	if final == PrintDone {
		k.cfg.Recorder.Record(ctx, ev) // the settler records the confirmation and the failures
	}
}

// progress shows a job state read from printerd (n is its notice, if it
// came as one) on the print, unless an earlier state than the one shown.
// It reports whether the state was taken.
func (k *Kiosk) progress(p *Print, j printerd.Job, n printerd.Notice) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if j.Updated.Before(p.updated) {
		return false // a notice older than a read already shown
	}
	p.updated = j.Updated
	if j.State.Terminal() {
		return true // settle shows it once the upstream knows
	}
	state, why := printState(j.State), (*Error)(nil)
	// A held job, or one sent back to the queue with a reason (the
	// printer stopped on a jam, an open cover), waits for an officer.
	// Keep following it: it prints once the printer is cleared.
	if j.State == printerd.JobHeld || j.State == printerd.JobQueued && j.Reason != "" {
		state, why = PrintHeld, ErrPrintHeld.Withf("job %s %s: %s", j.ID, j.State, j.Reason)
	}
	until := p.Until
	switch {
	case j.State != printerd.JobDispatching:
		until = time.Time{}
	case n.Job != nil && n.EstimateMS > 0:
		until = n.Time.Add(time.Duration(n.EstimateMS) * time.Millisecond)
	}
	// The time left may come after the state (a poll read the job
	// dispatching before its notice came): either change is news.
	if p.State != state || p.Reason != j.Reason || !p.Until.Equal(until) {
		p.State, p.Reason, p.Err, p.Until = state, j.Reason, why, until
		k.changedLocked(p.session)
	}
	return true
}

func (k *Kiosk) update(p *Print, s PrintState, reason string, err *Error) {
	k.mu.Lock()
	p.State, p.Reason, p.Err, p.Until = s, reason, err, time.Time{}
	k.changedLocked(p.session)
	k.mu.Unlock()
}

func (k *Kiosk) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-k.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// followNotices follows printerd's event stream for the whole kiosk and
// hands each job notice to the settlement following that job. When the
// stream breaks (printerd restarts) it subscribes again with backoff and
// has every settlement read its job, since notices of the gap are lost.
func (k *Kiosk) followNotices() {
	defer k.wg.Done()
	const minDelay, maxDelay = 100 * time.Millisecond, 5 * time.Second
	delay := minDelay
	for {
		ch, err := k.cfg.Notices.Events(k.ctx)
		if err == nil {
			delay = minDelay
			k.pokeJobs()
			k.followStream(ch)
			k.pokeJobs() // gone: the polls take over until the next subscription
		}
		if !k.sleep(delay) {
			return
		}
		delay = min(2*delay, maxDelay)
	}
}

// followStream delivers the job notices of one subscription until it
// ends or the kiosk closes.
func (k *Kiosk) followStream(ch <-chan printerd.Notice) {
	for {
		select {
		case <-k.ctx.Done():
			return
		case n, ok := <-ch:
			if !ok {
				return
			}
			if n.Kind == printerd.NoticeJob && n.Job != nil {
				k.deliver(n.Job.ID, n)
			}
		}
	}
}

// maxEarly bounds the notices kept for jobs no settlement follows yet.
const maxEarly = 64

// deliver passes n to the settlement of job id without blocking: a full
// queue loses the notice, and the settlement's poll catches up. Without a
// settlement yet, n waits in k.early for it.
func (k *Kiosk) deliver(id printerd.JobID, n printerd.Notice) {
	k.mu.Lock()
	ch := k.jobs[id]
	if n.Job != nil && (n.Job.State.Terminal() || n.Job.State == printerd.JobInDoubt) {
		k.settler.Wake() // a settlement may follow it, from before a restart or a supervisor's decision
	}
	if ch == nil {
		if len(k.early) >= maxEarly {
			clear(k.early) // notices of jobs no settlement came for
		}
		k.early[id] = n
	}
	k.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- n:
	default:
	}
}

// pokeJobs asks every settlement to read its job now.
func (k *Kiosk) pokeJobs() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, ch := range k.jobs {
		select {
		case ch <- printerd.Notice{}:
		default:
		}
	}
}

// Watch returns a channel that receives a copy of the session after each
// change (a print moves on; nil when the session ends), and a function
// that ends the watch. A watcher that falls behind loses its oldest
// copies, never the newest. Watching is not the citizen's activity.
func (k *Kiosk) Watch(sessionID string) (<-chan *Session, func(), error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.sessions[sessionID]
	if !ok || k.idle(s, k.cfg.Now()) {
		return nil, nil, ErrSessionExpired.Withf("unknown or idle session")
	}
	ch := make(chan *Session, 32)
	ch <- s.snapshot() // the state to start from
	if k.watchers[sessionID] == nil {
		k.watchers[sessionID] = map[chan *Session]struct{}{}
	}
	k.watchers[sessionID][ch] = struct{}{}
	return ch, func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		delete(k.watchers[sessionID], ch)
		if len(k.watchers[sessionID]) == 0 {
			delete(k.watchers, sessionID)
		}
	}, nil
}

// changedLocked sends the session's watchers a copy of it, or nil when it
// has ended.
func (k *Kiosk) changedLocked(sessionID string) {
	ws := k.watchers[sessionID]
	if len(ws) == 0 {
		return
	}
	var snap *Session
	if s, ok := k.sessions[sessionID]; ok {
		snap = s.snapshot()
	}
	for ch := range ws {
		fanout.SendNewest(ch, snap) // under k.mu
	}
}

// validMasks keeps the masks that lie on a page of the document, clipped
// to it; a template's mistake must not cover the whole screen or nothing.
func validMasks(ms []Mask, pages int) []Mask {
	var out []Mask
	for _, m := range ms {
		x0, y0 := max(m.X, 0), max(m.Y, 0)
		x1, y1 := min(m.X+m.W, 1), min(m.Y+m.H, 1)
		if m.Page < 0 || m.Page >= pages || !(x1 > x0 && y1 > y0) { // NaN fails too
			continue
		}
		out = append(out, Mask{Page: m.Page, X: x0, Y: y0, W: x1 - x0, H: y1 - y0})
	}
	return out
}
