package station

import (
	"context"
	"errors"
	"time"
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
func (k *Kiosk) ReadCard(ctx context.Context) (string, string, error) {
	if k.cfg.Cards == nil {
		return "", "", ErrCardUnreadable.Withf("no card reader configured")
	}
	nik, err := k.cfg.Cards.ReadNIK(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return "", "", ErrCardWaiting
		}
		k.cfg.Recorder.Record(ctx, Event{Kind: "login_refused", Method: AuthCard, Err: err})
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
		k.cfg.Recorder.Record(ctx, Event{Kind: "login_refused", Method: AuthCard, Err: err})
		return nil, err
	}
	if len(pin) != 6 || !digits(pin) {
		err := ErrCredentialsRejected.Withf("malformed PIN")
		k.cfg.Recorder.Record(ctx, Event{Kind: "login_refused", Method: AuthCard, Subject: r.nik, Err: err})
		return nil, err
	}
	authz, err := k.cfg.Registry.AuthenticateCard(ctx, r.nik, pin)
	if err == nil && authz.Subject != r.nik {
		err = ErrSubjectMismatch.Withf("upstream answered for another subject")
	}
	return k.open(ctx, AuthCard, authz, err)
}
