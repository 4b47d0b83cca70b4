package smartcard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ebfe/scard"
)

// ErrNoAnswer is the cause when a card or SAM did not answer a PC/SC call
// of a read (an APDU, a connect) within the APDU time limit.
var ErrNoAnswer = errors.New("smartcard: no answer within the APDU time limit")

// session is one card read on its own PC/SC context. One goroutine makes
// every PC/SC call of the read, so a call that never returns (a card that
// never answers) holds that goroutine and not the loop: the loop waits for
// each call at most the APDU time limit, or until it is closing, and then
// leaves the session. pcsc-lite serialises the calls of one context, which
// is why the read does not share the loop's. The goroutine ends the
// transaction, disconnects and releases the context once the stuck call
// returns: at the latest when the card leaves the reader.
type session struct {
	ctx   context.Context
	limit time.Duration
	calls chan func()
	left  error // why the loop left the session; nil while it waits

	// Only the session's goroutine touches these.
	pc      *scard.Context
	card    *scard.Card // the e-KTP, disconnected with the read's disposition
	others  []*scard.Card
	inTrans bool
}

// openSession establishes the read's PC/SC context and starts its
// goroutine. ctx ends every wait when the loop closes.
func openSession(ctx context.Context, limit time.Duration) (*session, error) {
	pc, err := scard.EstablishContext()
	if err != nil {
		return nil, err
	}
	s := &session{ctx: ctx, limit: limit, calls: make(chan func(), 1), pc: pc}
	go func() {
		for f := range s.calls {
			f()
		}
	}()
	return s, nil
}

// do runs f on the session's goroutine and waits for it, at most the APDU
// time limit and never past ctx. Once it gave up on a call it sends no
// more: every later call fails at once with the same error.
func (s *session) do(f func()) error {
	if s.left != nil {
		return s.left
	}
	done := make(chan struct{})
	s.calls <- func() { defer close(done); f() }
	t := time.NewTimer(s.limit)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		s.left = fmt.Errorf("%w (%v)", ErrNoAnswer, s.limit)
	case <-s.ctx.Done():
		s.left = s.ctx.Err()
	}
	return s.left
}

// connectCard connects to the card to read and begins a transaction on it.
func (s *session) connectCard(reader string) (channel, error) {
	var err error
	if e := s.do(func() {
		if s.card, err = s.pc.Connect(reader, scard.ShareShared, scard.ProtocolAny); err != nil {
			return
		}
		if err = s.card.BeginTransaction(); err == nil {
			s.inTrans = true
		}
	}); e != nil {
		return channel{}, e
	}
	return channel{s: s, card: s.card}, err
}

// connectSAM connects to the SAM, alone: no other program may talk to it
// while the read uses it.
func (s *session) connectSAM(reader string) (channel, error) {
	var sam *scard.Card
	var err error
	if e := s.do(func() {
		if sam, err = s.pc.Connect(reader, scard.ShareExclusive, scard.ProtocolAny); err == nil {
			s.others = append(s.others, sam)
		}
	}); e != nil {
		return channel{}, e
	}
	return channel{s: s, card: sam}, err
}

// close ends the transaction, disconnects the card with disp and
// releases the context. It waits for that (within the time limit, as
// every call) so the outcome of the read is published after the card was
// let go; a session the loop left does it after the call it is stuck in.
func (s *session) close(disp scard.Disposition) {
	cleanup := func() {
		if s.inTrans {
			_ = s.card.EndTransaction(scard.LeaveCard)
		}
		if s.card != nil {
			_ = s.card.Disconnect(disp)
		}
		for _, c := range s.others {
			_ = c.Disconnect(scard.LeaveCard)
		}
		_ = s.pc.Release()
	}
	if s.left == nil {
		_ = s.do(cleanup)
	} else {
		s.calls <- cleanup
	}
	close(s.calls)
}

// channel is an ektp.Channel on a card connected in a session.
type channel struct {
	s    *session
	card *scard.Card
}

// Transmit sends one APDU, waiting at most the APDU time limit.
func (ch channel) Transmit(apdu []byte) ([]byte, error) {
	var rsp []byte
	var err error
	if e := ch.s.do(func() { rsp, err = ch.card.Transmit(apdu) }); e != nil {
		return nil, e
	}
	if err == nil && len(rsp) < 2 {
		return nil, ErrCardLost
	}
	return rsp, err
}
