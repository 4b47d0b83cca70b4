package smartcard

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ebfe/scard"
	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/smartcard/ektp"
)

// EventKind says what happened at the reader. docs/card-profile.md lists
// the kinds and what a kiosk shows for each.
type EventKind string

// Events, in the order a kiosk page sees them for one tap: present, then
// reading (unless the ATR already shows another card), then one outcome
// (read, removed_early, not_ektp or error), then removed. Every present
// is followed by one removed, also when the reader or pcscd goes away.
const (
	EventReady         EventKind = "ready"          // watching the reader: at start, and again after the reader or pcscd came back
	EventPresent       EventKind = "present"        // a card arrived; ATRHint says what it looks like
	EventReading       EventKind = "reading"        // reading the card: keep it on the reader
	EventRead          EventKind = "read"           // outcome: the card was read; Identity is set
	EventRemovedEarly  EventKind = "removed_early"  // outcome: the card left or stopped answering during the read; tap again (Err: card_unreadable)
	EventNotEKTP       EventKind = "not_ektp"       // outcome: the card is not an e-KTP (Err: card_not_ektp)
	EventError         EventKind = "error"          // outcome: the read failed otherwise (SAM, not genuine, vendor program); Err says why
	EventRemoved       EventKind = "removed"        // the card left
	EventReaderMissing EventKind = "reader_missing" // the contactless reader is not connected; published once until it is back
	EventServiceDown   EventKind = "service_down"   // pcscd cannot be reached; retrying
	// EventSetAside: the card on the reader was set aside at the end of a
	// visit (SetAside); it gives no read until it is removed and tapped
	// again, and its outcome, if a read was running, is not published.
	EventSetAside EventKind = "set_aside"
)

// Outcome reports whether k ends a read: read, removed_early, not_ektp or
// error. Read and ReadNIK return exactly these.
func (k EventKind) Outcome() bool {
	switch k {
	case EventRead, EventRemovedEarly, EventNotEKTP, EventError:
		return true
	}
	return false
}

// outcomeKind is the event kind of a read that ended with err.
func outcomeKind(err error) EventKind {
	switch fault.CodeOf(err) {
	case "":
		return EventRead
	case station.ErrCardUnreadable.Code:
		return EventRemovedEarly
	case ektp.ErrNotEKTP.Code:
		return EventNotEKTP
	}
	return EventError
}

// Event is one change at the reader. Identity.NIK masks itself in logs.
type Event struct {
	Kind     EventKind
	Reader   string
	ATRHint  string
	Identity ektp.Identity
	Err      error // a *fault.Error for the failed outcomes
	At       time.Time
}

// Config configures a Loop.
type Config struct {
	CardReader string // contactless slot, e.g. "Virtual PCD 00 00"
	SAMReader  string // SAM slot; "" when the profile needs none
	// Exactly one of Profile (APDUs through this loop) and Vendor (a
	// licensed SDK that reads the card itself) is set.
	Profile ektp.Profile
	Vendor  ektp.Vendor
	Logger  zerolog.Logger
	Now     func() time.Time
	// Poll bounds one GetStatusChange wait, so Close is prompt without
	// calling Cancel from another goroutine. Default 250 ms.
	Poll time.Duration
	// Backoff after pcscd is lost: doubles from MinBackoff to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// APDUTimeout bounds every PC/SC call of a read (an APDU to the card
	// or the SAM, a connect): a card that does not answer in time is
	// card_unreadable (tap again), a SAM card_sam_unavailable. Default
	// DefaultAPDUTimeout.
	APDUTimeout time.Duration
	// CloseWait bounds Close: a loop stuck in a call that ignores its end
	// (a vendor SDK, pcscd) is left behind. Default 2 s.
	CloseWait time.Duration
}

// DefaultAPDUTimeout is the APDU time limit when none is configured:
// far above what a chip or SAM takes for one command (tens to hundreds of
// milliseconds, seconds with waiting-time extensions), short enough that
// a citizen whose card went silent is soon asked to tap again.
const DefaultAPDUTimeout = 5 * time.Second

// Loop is the reader loop: one goroutine owns the PC/SC context, waits for
// cards, reads each one once inside a transaction, and publishes events.
// It implements station.CardReader.
type Loop struct {
	cfg       Config
	cancel    context.CancelFunc
	done      chan struct{} // closed when the loop's goroutine ended
	closing   chan struct{} // closed by Close
	closeOnce sync.Once

	mu      sync.Mutex
	subs    map[chan Event]struct{}
	status  *Event // the last ready, reader_missing or service_down
	card    *Event // the present event of the card on the reader
	present bool
	aside   bool          // the present card was set aside: no read until it leaves
	outcome *outcome      // read result of the present card, until taken
	changed chan struct{} // closed and replaced when present/outcome change
}

type outcome struct {
	id  ektp.Identity
	err error
}

var (
	_ station.CardReader = (*Loop)(nil)
	_ station.CardSlot   = (*Loop)(nil)
)

// ErrClosed is returned by ReadNIK after Close.
var ErrClosed = errors.New("smartcard: reader loop closed")

// Start starts the loop's goroutine.
func Start(cfg Config) *Loop {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 250 * time.Millisecond
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = 5 * time.Second
	}
	if cfg.APDUTimeout <= 0 {
		cfg.APDUTimeout = DefaultAPDUTimeout
	}
	if cfg.CloseWait <= 0 {
		cfg.CloseWait = 2 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Loop{cfg: cfg, cancel: cancel, done: make(chan struct{}), closing: make(chan struct{}),
		subs: map[chan Event]struct{}{}, changed: make(chan struct{})}
	go l.run(ctx)
	return l
}

// Close stops the loop and waits for it, at most CloseWait: a read
// through the profile ends at once (its PC/SC calls run apart, see
// session), but a vendor SDK that ignores cancellation, or a pcscd that
// does not answer, must not hold the station's shutdown. The loop left
// behind stops when that call returns; nothing it does then reaches a
// Read. Close is idempotent.
func (l *Loop) Close() error {
	l.closeOnce.Do(func() {
		l.cancel()
		close(l.closing)
	})
	t := time.NewTimer(l.cfg.CloseWait)
	defer t.Stop()
	select {
	case <-l.done:
		return nil
	case <-t.C:
		l.cfg.Logger.Warn().Dur("close_wait", l.cfg.CloseWait).Msg("card reader loop still stuck in a call; leaving it")
		return fmt.Errorf("smartcard: the reader loop did not stop within %v", l.cfg.CloseWait)
	}
}

// Subscribe returns a channel of events (for the kiosk page) and a
// function that ends the subscription. The channel starts with the
// current state, so a page that subscribes late misses nothing it must
// show: the last ready, reader_missing or service_down event, then the
// present event of a card on the reader (both with their original At).
// A subscriber that falls behind loses events rather than stalling the
// reader.
func (l *Loop) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 32)
	l.mu.Lock()
	for _, e := range []*Event{l.status, l.card} {
		if e != nil {
			ch <- *e
		}
	}
	l.subs[ch] = struct{}{}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		delete(l.subs, ch)
		l.mu.Unlock()
	}
}

// SetAsideNow reports whether the card on the reader was set aside.
func (l *Loop) SetAsideNow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.aside
}

// Present reports whether a card is on the reader.
func (l *Loop) Present() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.present
}

// Read returns the outcome of the card on the reader, or waits for the
// next card's. Each outcome is returned once: a second call waits for the
// next tap. An outcome is dropped when its card leaves before anyone took
// it, so a stale read never logs anyone in.
func (l *Loop) Read(ctx context.Context) (ektp.Identity, error) {
	for {
		select {
		case <-l.closing:
			return ektp.Identity{}, ErrClosed
		default:
		}
		l.mu.Lock()
		o, changed := l.outcome, l.changed
		l.outcome = nil
		l.mu.Unlock()
		if o != nil {
			return o.id, o.err
		}
		select {
		case <-changed:
		case <-l.closing:
			return ektp.Identity{}, ErrClosed
		case <-ctx.Done():
			return ektp.Identity{}, ctx.Err()
		}
	}
}

// SetAside ends the present card's part in logins: a card left on the
// reader at the end of a visit is not the next visitor's tap. Its read,
// taken or not, is dropped, and none comes until the card is removed and
// tapped again. Without a card it does nothing. It implements
// station.CardSlot.
func (l *Loop) SetAside() {
	l.mu.Lock()
	present := l.present && !l.aside
	l.mu.Unlock()
	if present {
		l.publish(Event{Kind: EventSetAside})
	}
}

// ReadNIK is Read's NIK; it implements station.CardReader.
func (l *Loop) ReadNIK(ctx context.Context) (station.NIK, error) {
	id, err := l.Read(ctx)
	return id.NIK, err
}

func (l *Loop) publish(e Event) {
	e.At = l.cfg.Now()
	if e.Reader == "" {
		e.Reader = l.cfg.CardReader
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case e.Kind == EventPresent:
		l.present, l.aside, l.outcome, l.card = true, false, nil, &e
	case e.Kind == EventRemoved, e.Kind == EventReaderMissing, e.Kind == EventServiceDown:
		l.present, l.aside, l.outcome, l.card = false, false, nil, nil
	case e.Kind == EventSetAside:
		if !l.present {
			return
		}
		l.aside, l.outcome, l.card = true, nil, &e
	case e.Kind.Outcome() && l.aside:
		return // a read that ended after the visit did: nobody's tap
	case e.Kind.Outcome():
		l.outcome = &outcome{id: e.Identity, err: e.Err}
	}
	if e.Kind == EventReady || e.Kind == EventReaderMissing || e.Kind == EventServiceDown {
		l.status = &e
	}
	close(l.changed)
	l.changed = make(chan struct{})
	for ch := range l.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

func (l *Loop) run(ctx context.Context) {
	defer close(l.done)
	backoff := l.cfg.MinBackoff
	for ctx.Err() == nil {
		c, err := scard.EstablishContext()
		if err == nil {
			var healthy bool
			healthy, err = l.watch(ctx, c)
			_ = c.Release()
			if healthy {
				backoff = l.cfg.MinBackoff
			}
		}
		if ctx.Err() != nil {
			return
		}
		l.cfg.Logger.Warn().Err(err).Dur("retry_in", backoff).Msg("pcscd lost; re-establishing")
		l.publish(Event{Kind: EventServiceDown, Err: err})
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, l.cfg.MaxBackoff)
	}
}

// watch waits for cards on one PC/SC context until pcscd is lost (it
// returns the error) or ctx ends. healthy says pcscd answered at least
// once, which resets the backoff.
func (l *Loop) watch(ctx context.Context, c *scard.Context) (healthy bool, err error) {
	states := []scard.ReaderState{{Reader: l.cfg.CardReader, CurrentState: scard.StateUnaware}}
	var present, missing, ready bool
	var counter uint32
	defer func() {
		if present {
			l.publish(Event{Kind: EventRemoved})
		}
	}()
	// gone handles a reader pcscd does not know (unplugged, or not yet
	// plugged in) or reports unavailable: it says so once, then waits a
	// poll period before asking again. pcscd answers at once for an
	// unknown reader, so without the wait the loop would spin.
	gone := func(err error) {
		if present {
			present = false
			l.publish(Event{Kind: EventRemoved})
		}
		if !missing {
			missing, ready = true, false
			l.publish(Event{Kind: EventReaderMissing, Err: err})
		}
		states[0].CurrentState = scard.StateUnaware
		select {
		case <-ctx.Done():
		case <-time.After(l.cfg.Poll):
		}
	}
	for ctx.Err() == nil {
		err := c.GetStatusChange(states, l.cfg.Poll)
		switch {
		case errors.Is(err, scard.ErrTimeout):
			continue
		case errors.Is(err, scard.ErrUnknownReader), errors.Is(err, scard.ErrReaderUnavailable),
			errors.Is(err, scard.ErrNoReadersAvailable):
			healthy = true // pcscd answered
			gone(err)
			continue
		case err != nil:
			return healthy, err
		}
		healthy = true
		ev := states[0].EventState
		// The upper 16 bits count card events; the lower ones are the
		// state. A changed count while a card stays present means it was
		// swapped between two waits.
		st, n := ev&0xffff, uint32(ev)>>16
		states[0].CurrentState = ev &^ scard.StateChanged
		if st&(scard.StateUnknown|scard.StateUnavailable) != 0 {
			gone(nil)
			continue
		}
		if !ready {
			ready, missing = true, false
			l.publish(Event{Kind: EventReady})
		}
		now := st&scard.StatePresent != 0 && st&scard.StateMute == 0
		swapped := present && now && n != counter
		counter = n
		if present && (!now || swapped) {
			present = false
			l.publish(Event{Kind: EventRemoved})
		}
		if now && !present {
			// A card already on the reader when the loop starts, or when
			// the reader or pcscd comes back, is read like a new tap.
			present = true
			atr := states[0].Atr
			l.publish(Event{Kind: EventPresent, ATRHint: ektp.HintATR(atr).Name})
			id, err := l.read(ctx, atr)
			// Our own reset of the card moves the event counter: take the
			// state after the read as the new baseline, or it would look
			// like a swapped card and be read twice.
			base := []scard.ReaderState{{Reader: l.cfg.CardReader, CurrentState: scard.StateUnaware}}
			if c.GetStatusChange(base, 0) == nil {
				counter = uint32(base[0].EventState) >> 16
			}
			switch {
			case ctx.Err() != nil:
				return healthy, nil // closing: nobody waits for this card
			case serviceLost(err):
				// Not the card's fault: once pcscd is back, a card still
				// on the reader is read again.
				return healthy, err
			case err != nil:
				f := fault.As(err)
				l.cfg.Logger.Info().Str("code", string(f.Code)).Err(f.Cause).Msg("card read failed")
				l.publish(Event{Kind: outcomeKind(f), Err: f})
			default:
				l.cfg.Logger.Info().Stringer("nik", id.NIK).Msg("card read")
				l.publish(Event{Kind: EventRead, Identity: id})
			}
		}
	}
	return healthy, nil
}

// read reads the present card through the vendor SDK or the profile.
func (l *Loop) read(ctx context.Context, atr []byte) (_ ektp.Identity, err error) {
	if err := ektp.CheckATR(atr); err != nil {
		return ektp.Identity{}, err
	}
	l.publish(Event{Kind: EventReading})
	if l.cfg.Vendor != nil {
		return l.cfg.Vendor.ReadIdentity(ctx, ektp.Readers{Card: l.cfg.CardReader, SAM: l.cfg.SAMReader})
	}
	s, err := openSession(ctx, l.cfg.APDUTimeout)
	if err != nil {
		return ektp.Identity{}, err
	}
	defer func() {
		// Reset on the way out: the card forgets the authentication, so
		// no other program reads it after us. A card that left needs no
		// reset, and resetting it makes pcscd report the removal before
		// its own poller saw it, which hides a quick re-tap from vpcd.
		disp := scard.ResetCard
		if errors.Is(err, station.ErrCardUnreadable) {
			disp = scard.LeaveCard
		}
		s.close(disp)
	}()
	card, err := s.connectCard(l.cfg.CardReader)
	if err != nil {
		return ektp.Identity{}, lost(err)
	}
	var sam ektp.Channel
	if l.cfg.SAMReader != "" {
		if ch, err := s.connectSAM(l.cfg.SAMReader); err != nil {
			sam = failing{ektp.ErrSAMUnavailable.With(err)}
		} else {
			sam = ch
		}
	}
	return l.cfg.Profile.Read(ctx, card, sam)
}

// failing is a Channel to a SAM that could not be connected.
type failing struct{ err error }

func (f failing) Transmit([]byte) ([]byte, error) { return nil, f.err }

// lost maps a PC/SC error during connect to "card lost, tap again".
func lost(err error) error {
	return station.ErrCardUnreadable.With(err)
}

// serviceLost reports whether err means pcscd went away, so the context
// must be released and established again.
func serviceLost(err error) bool {
	for _, e := range []error{scard.ErrNoService, scard.ErrServiceStopped, scard.ErrCommError, scard.ErrInvalidHandle, scard.ErrUnknownError} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
