package station

import (
	"context"
	"errors"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// cardReadTTL is how long a card read waits for its second factor.
const cardReadTTL = 90 * time.Second

// cardRead is an e-KTP read waiting for the citizen's PIN. It is not a
// login: nothing is shown or fetched until the second factor succeeds.
type cardRead struct {
	nik  NIK
	when time.Time
}

// CardEnabled reports whether the kiosk has a card reader.
func (k *Kiosk) CardEnabled() bool { return k.cfg.Cards != nil }

// ErrCardWaiting says no card was tapped before the wait ended; the page
// simply asks again.
var ErrCardWaiting = errors.New("station: no card yet")

// ReadCard waits (until ctx ends) for an e-KTP on the reader and returns an
// id for the read, to be completed with LoginCard, and the masked NIK.
//
// The reader hands each tap to one waiter. Only the newest ReadCard
// waits: it ends the one before (ErrCardWaiting), so a page that went
// away, or an earlier request of the same page, cannot take the tap the
// page on screen waits for.
func (k *Kiosk) ReadCard(ctx context.Context) (string, string, error) {
	if k.cfg.Cards == nil {
		return "", "", ErrCardUnreadable.Withf("no card reader configured")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	k.mu.Lock()
	if k.cardRead != nil {
		k.cardRead()
	}
	k.cardRead = cancel
	k.mu.Unlock()
	nik, err := k.cfg.Cards.ReadNIK(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return "", "", ErrCardWaiting
		}
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: AuthCard, Err: err})
		return "", "", err
	}
	id, err := k.randomID()
	if err != nil {
		return "", "", err
	}
	k.mu.Lock()
	k.sweepLocked()
	k.cards[id] = cardRead{nik: nik, when: k.cfg.Now()}
	k.mu.Unlock()
	return id, nik.Masked(), nil
}

// LoginCard completes a card read with the PIN as second factor. The read
// is used once, whatever the answer: a wrong PIN means tapping again, so a
// card left on the reader cannot be tried against many PINs unseen.
func (k *Kiosk) LoginCard(ctx context.Context, readID, pin string) (*Session, error) {
	k.mu.Lock()
	r, ok := k.cards[readID]
	delete(k.cards, readID)
	k.mu.Unlock()
	if !ok || k.cfg.Now().Sub(r.when) > cardReadTTL {
		err := ErrCardUnreadable.Withf("no pending card read")
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: AuthCard, Err: err})
		return nil, err
	}
	if len(pin) != 6 || !digits(pin) {
		err := ErrCredentialsRejected.Withf("malformed PIN")
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: AuthCard, Subject: r.nik, Err: err})
		return nil, err
	}
	authz, err := k.cfg.Registry.AuthenticateCard(ctx, r.nik, pin)
	if err == nil && authz.Subject != r.nik {
		err = ErrSubjectMismatch.Withf("upstream answered for another subject")
	}
	return k.open(ctx, AuthCard, authz, err)
}

// CardStatus is the reader's state as the card screen shows it.
type CardStatus string

// Card statuses.
const (
	CardWaiting       CardStatus = "waiting"        // ready: tap an e-KTP
	CardPresent       CardStatus = "present"        // a card is on the reader and being read: hold still
	CardRead          CardStatus = "read"           // read; the PIN comes next
	CardRemovedEarly  CardStatus = "removed_early"  // the card left before the read ended: tap again and hold
	CardNotEKTP       CardStatus = "not_ektp"       // the card is not an e-KTP
	CardFailed        CardStatus = "failed"         // another failure: Err says what to do
	CardReaderMissing CardStatus = "reader_missing" // the reader is not connected
	CardServiceDown   CardStatus = "service_down"   // the card service is down; it is being restarted
	CardSetAside      CardStatus = "set_aside"      // a card left from the visit before: lift it and tap again
)

// CardSlot is a reader that knows whether a card lies on it and can set
// that card aside (smartcard.Loop is one). The kiosk uses it, when the
// reader has it, to remind a citizen to take the e-KTP and to keep a card
// left behind from logging the next visitor in.
type CardSlot interface {
	Present() bool
	// SetAside makes the card on the reader give no read until it is
	// removed and tapped again.
	SetAside()
}

// CardLeft reports whether a card lies on the reader: at the end of a
// visit, the citizen's e-KTP left behind.
func (k *Kiosk) CardLeft() bool {
	s, ok := k.cfg.Cards.(CardSlot)
	return ok && s.Present()
}

// EndVisit sets aside a card left on the reader, so that the next visitor
// has to tap their own: the kiosk calls it whenever a visit ends (logout,
// the page's reset), with or without a session.
func (k *Kiosk) EndVisit() {
	if s, ok := k.cfg.Cards.(CardSlot); ok {
		s.SetAside()
	}
}

// CardState is one change of the reader's state.
type CardState struct {
	Status CardStatus
	Err    *Error // CardFailed: the citizen's words for what went wrong
}

// CardStates is the reader's live state (the reader loop, through an
// adapter where the station is wired). Subscribe's channel receives the
// current state first; the function ends the subscription.
type CardStates interface {
	Subscribe() (<-chan CardState, func())
}

// CardStateStream returns the reader's live state, or false when the
// kiosk has no reader or no state to show.
func (k *Kiosk) CardStateStream() (<-chan CardState, func(), bool) {
	if k.cfg.Cards == nil || k.cfg.CardStates == nil {
		return nil, nil, false
	}
	ch, stop := k.cfg.CardStates.Subscribe()
	return ch, stop, true
}

// CardStateOf says how the card screen shows a failed read.
func CardStateOf(err error) CardState {
	f := fault.As(err)
	switch f.Code {
	case ErrCardUnreadable.Code:
		// The card left mid-read: the reader's "card lost, tap again".
		return CardState{Status: CardRemovedEarly, Err: f}
	case "card_not_ektp": // the card profile's code (station/smartcard/ektp)
		return CardState{Status: CardNotEKTP, Err: f}
	}
	return CardState{Status: CardFailed, Err: f}
}
