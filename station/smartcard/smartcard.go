// Package smartcard is the station's PC/SC adapter and the only importer
// of ebfe/scard. It finds readers, waits for a card and exchanges APDUs;
// reading an e-KTP goes through a card profile on top of it (see
// DESIGN.md: the real chip needs a SAM and a licensed SDK).
package smartcard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ebfe/scard"
)

// ErrCardLost is returned when the card left the reader during a command.
var ErrCardLost = errors.New("smartcard: card removed during a command")

// Readers lists the PC/SC readers pcscd knows.
func Readers() ([]string, error) {
	c, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("smartcard: pcscd: %w", err)
	}
	defer c.Release()
	rs, err := c.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	return rs, err
}

// Card is a connected card.
type Card struct {
	ctx  *scard.Context
	card *scard.Card
	ATR  []byte
}

// WaitCard waits until a card is present in reader, then connects to it.
func WaitCard(ctx context.Context, reader string) (*Card, error) {
	c, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("smartcard: pcscd: %w", err)
	}
	if err := waitPresent(ctx, c, reader); err != nil {
		c.Release()
		return nil, err
	}
	card, err := c.Connect(reader, scard.ShareExclusive, scard.ProtocolAny)
	if err != nil {
		c.Release()
		return nil, fmt.Errorf("smartcard: connect: %w", err)
	}
	st, err := card.Status()
	if err != nil {
		card.Disconnect(scard.LeaveCard)
		c.Release()
		return nil, fmt.Errorf("smartcard: card status: %w", err)
	}
	return &Card{ctx: c, card: card, ATR: st.Atr}, nil
}

// Transmit sends a command APDU and returns the response APDU (data and
// the two status bytes). A response shorter than two bytes means the card
// left mid-command (vpcd and some readers answer success with nothing).
func (c *Card) Transmit(apdu []byte) ([]byte, error) {
	rsp, err := c.card.Transmit(apdu)
	if errors.Is(err, scard.ErrRemovedCard) || (err == nil && len(rsp) < 2) {
		return nil, ErrCardLost
	}
	if err != nil {
		return nil, fmt.Errorf("smartcard: transmit: %w", err)
	}
	return rsp, nil
}

// Close disconnects and releases the PC/SC context.
func (c *Card) Close() error {
	err := c.card.Disconnect(scard.ResetCard)
	return errors.Join(err, c.ctx.Release())
}

// WaitPresent waits until pcscd sees a card in reader, without connecting
// to it: a connection would compete with whoever reads the card (the
// station's loop holds its SAM).
func WaitPresent(ctx context.Context, reader string) error {
	c, err := scard.EstablishContext()
	if err != nil {
		return fmt.Errorf("smartcard: pcscd: %w", err)
	}
	defer c.Release()
	return waitPresent(ctx, c, reader)
}

func waitPresent(ctx context.Context, c *scard.Context, reader string) error {
	states := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// A short timeout keeps ctx cancellation prompt without Cancel races.
		err := c.GetStatusChange(states, 250*time.Millisecond)
		if err != nil && !errors.Is(err, scard.ErrTimeout) {
			return fmt.Errorf("smartcard: status of %q: %w", reader, err)
		}
		// The upper 16 bits of EventState count events; mask them.
		ev := states[0].EventState & 0xffff
		if ev&scard.StatePresent != 0 && ev&scard.StateMute == 0 {
			return nil
		}
		states[0].CurrentState = ev
	}
}

// Present reports whether pcscd sees a card in reader now.
func Present(reader string) (bool, error) {
	c, err := scard.EstablishContext()
	if err != nil {
		return false, fmt.Errorf("smartcard: pcscd: %w", err)
	}
	defer c.Release()
	states := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	if err := c.GetStatusChange(states, 0); err != nil && !errors.Is(err, scard.ErrTimeout) {
		return false, fmt.Errorf("smartcard: status of %q: %w", reader, err)
	}
	ev := states[0].EventState & 0xffff
	return ev&scard.StatePresent != 0 && ev&scard.StateMute == 0, nil
}

// WaitEmpty waits until reader holds no card (or the reader is gone).
func WaitEmpty(ctx context.Context, reader string) error {
	c, err := scard.EstablishContext()
	if err != nil {
		return fmt.Errorf("smartcard: pcscd: %w", err)
	}
	defer c.Release()
	states := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := c.GetStatusChange(states, 250*time.Millisecond)
		if err != nil && !errors.Is(err, scard.ErrTimeout) {
			return fmt.Errorf("smartcard: status of %q: %w", reader, err)
		}
		if ev := states[0].EventState & 0xffff; ev&scard.StatePresent == 0 {
			return nil
		}
		states[0].CurrentState = states[0].EventState &^ scard.StateChanged
	}
}
