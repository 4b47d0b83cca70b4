package station

import (
	"context"
	"encoding/hex"
	"io"
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
	Kind       EventKind // one of EventKinds
	Method     AuthMethod
	Subject    NIK
	Request    RequestID
	Job        printerd.JobID
	SHA256     string
	Printer    string
	CardSerial string
	Err        error
	// Document is the print's document type (print events; "" on others).
	Document DocumentType
	// Settled marks the settler's print events: the outcome the upstream
	// took (EventConfirmed, EventPrintInDoubt, EventPrintFailed), once per
	// fact, as against the kiosk's own view of a print.
	Settled bool
}

// Recorder receives kiosk events.
type Recorder interface {
	Record(ctx context.Context, e Event)
}

// KioskConfig holds what a Kiosk needs; every field but Recorder is required.
type KioskConfig struct {
	Registry Registry
	Tickets  TicketVerifier
	Renderer Renderer
	Printers PrintService
	// Signatures checks the upstream's signature on every document before
	// it is rendered. Without it the kiosk prints nothing.
	Signatures DocumentSignatures
	Used       UsedTickets // optional: without it only the upstream refuses replays
	Previewer  Previewer   // optional: without it the kiosk shows no preview
	Cards      CardReader  // optional: the e-KTP reader
	CardStates CardStates  // optional: the reader's state, shown live on the card screen
	Notices    JobNotices  // optional: printerd's event stream; without it prints are only polled
	// Settlements keeps what the station owes the upstream about each
	// print, so that a restart carries on with it.
	Settlements SettlementStore
	// Calls keeps the citizens' calls for an officer across a restart
	// (optional: without it they live in memory).
	Calls OfficerCallStore
	// Settle tunes the settler (its Store, Registry, Jobs, Used,
	// Recorder, Now and Rand are the kiosk's own).
	Settle   SettlerConfig
	Recorder Recorder
	// Hall is where the kiosk stands: a lockout's end is told in its zone.
	Hall       Hall
	Now        func() time.Time
	Rand       io.Reader
	SessionTTL time.Duration // idle time after which a session ends (default 60 s)
	// PresenceTTL is how long printerd believes a citizen is at the kiosk
	// after the last renewal (default 20 s; renewed every third of it):
	// if the station dies, their jobs stop reaching a printer after it.
	PresenceTTL time.Duration
	// PollEvery is how often a pending print is read from printerd: the
	// only way without Notices (default 250 ms), a fallback with them for
	// notices lost while the stream was down (default 2 s).
	PollEvery time.Duration
	// Hours, when set, refuses new citizens outside the opening hours
	// (hours.go); a session under way finishes its prints.
	Hours *OpeningHours
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
	calls    []OfficerCall                         // citizens asking for an officer, oldest first (officer.go)
	// unreleased keeps, per request, the authorization of an ended
	// visit at this kiosk whose release the upstream did not take: the
	// upstream then says the request is reserved elsewhere, though this
	// kiosk holds it (its ID and expiry only, nothing personal).
	unreleased map[RequestID]Authorization
}

// Session is one citizen at the kiosk. It holds personal data only as long
// as the visit needs it.
type Session struct {
	ID       string
	Authz    Authorization
	TicketID string // the ticket used to log in, if any
	// Presence names this visit at printerd: its jobs reach a printer
	// only while the session lives (printerd/presence.go).
	Presence string
	Prints   map[RequestID]*Print
	Seen     time.Time
}

// NewKiosk returns a kiosk; Close stops its settlements.
func NewKiosk(cfg KioskConfig) *Kiosk {
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 60 * time.Second
	}
	if cfg.PresenceTTL == 0 {
		cfg.PresenceTTL = 20 * time.Second
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
	k.wg.Add(3)
	go k.sweepEvery(cfg.SessionTTL / 4)
	go k.keepPresence(cfg.PresenceTTL / 3)
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

// keepPresence renews the presence of every live session, so that their
// jobs may reach a printer; an idle or ended session is not renewed.
func (k *Kiosk) keepPresence(d time.Duration) {
	defer k.wg.Done()
	for k.sleep(d) {
		k.mu.Lock()
		now := k.cfg.Now()
		var live []string
		for _, s := range k.sessions {
			if !k.idle(s, now) {
				live = append(live, s.Presence)
			}
		}
		k.mu.Unlock()
		for _, p := range live {
			k.renew(k.ctx, p)
		}
	}
}

// renew renews one presence; a failure (printerd away) is retried at the
// next renewal, and the jobs wait meanwhile.
func (k *Kiosk) renew(ctx context.Context, presence string) {
	if k.cfg.Printers == nil {
		return // a kiosk that logs in but cannot print (tests of the login)
	}
	if _, err := k.cfg.Printers.RenewPresence(ctx, presence, k.cfg.PresenceTTL); err != nil {
		k.cfg.Recorder.Record(ctx, Event{Kind: EventPresenceRenewFailed, Err: err})
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
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: AuthTicket, Err: err})
		return nil, err
	}
	if k.cfg.Used != nil {
		used, err := k.cfg.Used.Used(ctx, t.ID)
		if err == nil && used {
			err = ErrTicketUsed.Withf("ticket %s is in the local used list", t.ID)
		}
		if err != nil {
			k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: AuthTicket, Err: err})
			return nil, fault.As(err)
		}
	}
	authz, err := k.cfg.Registry.AuthenticateTicket(ctx, t)
	return k.openTicket(ctx, AuthTicket, authz, t.ID, err)
}

// LoginPIN checks a NIK and one-time PIN with the upstream.
func (k *Kiosk) LoginPIN(ctx context.Context, nikText, pin string) (*Session, error) {
	nik, err := ParseNIK(nikText)
	if err != nil {
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: AuthPIN, Err: err})
		return nil, err
	}
	if len(pin) != 6 || !digits(pin) {
		err := ErrCredentialsRejected.Withf("malformed PIN")
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: AuthPIN, Subject: nik, Err: err})
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
	return k.openTicket(ctx, m, authz, "", err)
}

// openTicket starts the session of a login; ticketID is the ticket it
// used, if any. A kiosk has one citizen at a time: the new session ends
// every other one, as a logout would (its personal data dropped, what it
// fetched and did not print given back), so nobody's data waits behind
// the next citizen and sessions cannot pile up.
func (k *Kiosk) openTicket(ctx context.Context, m AuthMethod, authz Authorization, ticketID string, err error) (*Session, error) {
	if err == nil {
		err = k.admitHours()
	}
	if err != nil {
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: m, Err: err})
		return nil, k.cfg.Hall.Locked(err)
	}
	// A print an earlier visit left held is offered again (resume.go).
	resumable := k.resumable(ctx, authz.Requests)
	if !hasApproved(authz.Requests) && len(resumable) == 0 {
		err := ErrNothingToPrint.Withf("no approved request")
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: m, Subject: authz.Subject, Err: err})
		return nil, err
	}
	if err := k.admit(ctx, resumableAsApproved(authz.Requests, resumable)); err != nil {
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: m, Subject: authz.Subject, Err: err})
		return nil, err
	}
	id, err := k.randomID()
	if err != nil {
		return nil, err
	}
	presence, err := k.randomID()
	if err != nil {
		return nil, err
	}
	s := &Session{ID: id, Authz: authz, TicketID: ticketID, Prints: resumable, Seen: k.cfg.Now(), Presence: "v" + presence[:32]}
	for _, p := range s.Prints {
		p.session = id
	}
	k.mu.Lock()
	k.sweepLocked()
	for other := range k.sessions {
		k.dropLocked(other)
	}
	k.sessions[id] = s
	k.mu.Unlock()
	k.renew(ctx, s.Presence)
	k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginOK, Method: m, Subject: authz.Subject})
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
	for rid, a := range k.unreleased {
		if !a.Expires.IsZero() && now.After(a.Expires) {
			delete(k.unreleased, rid) // the upstream's reservation ended with it
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
	// The citizen is gone: their jobs not yet at a printer are held.
	if k.cfg.Printers != nil {
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			if _, err := k.cfg.Printers.EndPresence(k.ctx, s.Presence); err != nil {
				// The lease runs out by itself within PresenceTTL.
				k.cfg.Recorder.Record(k.ctx, Event{Kind: EventPresenceEndFailed, Err: err})
			}
		}()
	}
	for rid, p := range s.Prints {
		if p.previews != nil {
			p.previews.stop()
		}
		switch p.State {
		case PrintPreview:
			k.wg.Add(1)
			go func() {
				defer k.wg.Done()
				_ = k.release(k.ctx, s.Authz, rid)
			}()
		case PrintPreparing:
			// Its fetch may reserve the request after this: give it back
			// once the preparation ends (a new login can end a session in
			// the middle of it).
			k.releaseWhenPrepared(id, s.Authz, rid, p)
		}
	}
}

// releaseWhenPrepared gives back rid once p, a print of the ended session
// id that was being prepared, is ready for a preview that nobody will see.
// The preparation tells the session's watchers when it ends; k.mu is held.
func (k *Kiosk) releaseWhenPrepared(id string, authz Authorization, rid RequestID, p *Print) {
	ch := make(chan *Session, 1)
	if k.watchers[id] == nil {
		k.watchers[id] = map[chan *Session]struct{}{}
	}
	k.watchers[id][ch] = struct{}{}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		for {
			k.mu.Lock()
			state := p.State
			if state != PrintPreparing {
				delete(k.watchers[id], ch)
				if len(k.watchers[id]) == 0 {
					delete(k.watchers, id)
				}
			}
			k.mu.Unlock()
			switch {
			case state == PrintPreview:
				_ = k.release(k.ctx, authz, rid)
				return
			case state != PrintPreparing:
				return // failed, and given back by the preparation itself
			}
			select {
			case <-ch:
			case <-k.ctx.Done():
				return
			}
		}
	}()
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
	ev := Event{Kind: EventReleased, Subject: authz.Subject, Request: rid, Err: err}
	k.mu.Lock()
	if k.unreleased == nil {
		k.unreleased = map[RequestID]Authorization{}
	}
	if err != nil {
		ev.Kind = EventReleaseFailed // the upstream's reservation runs out by itself
		k.unreleased[rid] = Authorization{ID: authz.ID, Expires: authz.Expires}
	} else if k.unreleased[rid].ID == authz.ID {
		delete(k.unreleased, rid)
	}
	k.mu.Unlock()
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
