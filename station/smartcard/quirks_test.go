package smartcard_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/smartcard"
	"github.com/anjungan/anjungan/station/smartcard/ektp"
	"github.com/anjungan/anjungan/station/smartcard/vcard"
)

// quirkCard personalises a virtual e-KTP (NIK nikA) that plays q.
func quirkCard(tb testing.TB, q ektp.Quirk) *ektp.VirtualCard {
	tb.Helper()
	c, err := ektp.NewVirtualCard(ektp.CardSpec{
		NIK: station.MustParseNIK(nikA), Serial: bytes.Repeat([]byte{3}, 8), MasterKey: masterKey,
		Registry: registryKey, Issuer: "dukcapil-test", IssuedAt: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC),
		Rand: rand.NewChaCha8([32]byte{3}), Behaviour: q.Behaviour, RecordLen: q.RecordLen,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// outcomeOf is the event a kiosk sees for a read that ends with code.
var outcomeOf = map[fault.Code]smartcard.EventKind{
	"":                             smartcard.EventRead,
	station.ErrCardUnreadable.Code: smartcard.EventRemovedEarly,
	ektp.ErrNotEKTP.Code:           smartcard.EventNotEKTP,
	ektp.ErrCardNotGenuine.Code:    smartcard.EventError,
	ektp.ErrSAMUnavailable.Code:    smartcard.EventError,
}

// quirkAPDUTimeout is the APDU time limit of TestLoopQuirks: the card
// that never answers ends its read after it. Far above what one APDU
// through vpcd takes (about 40 ms), so a loaded machine does not end a
// good read.
const quirkAPDUTimeout = 3 * time.Second

// TestLoopQuirks taps a card of every ektp.Quirk through the real pcscd:
// each reads the right NIK or ends with the right typed error, and the
// tap's events are the usual ones.
func TestLoopQuirks(t *testing.T) {
	mustPCSC(t)
	_, events := mustLoop(t, smartcard.Config{APDUTimeout: quirkAPDUTimeout})
	mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))
	for _, q := range ektp.Quirks {
		t.Run(q.Name, func(t *testing.T) {
			c := mustInsert(t, reader0, ektp.VirtualCardATR, quirkCard(t, q))
			var kinds []smartcard.EventKind
			var outcome smartcard.Event
			deadline := time.After(60 * time.Second) // only stops a hung test
			for len(kinds) == 0 || kinds[len(kinds)-1] != smartcard.EventRemoved {
				select {
				case e := <-events:
					kinds = append(kinds, e.Kind)
					if e.Kind.Outcome() {
						outcome = e
						c.Remove()
					}
				case <-deadline:
					t.Fatalf("tap not over; events so far %v", kinds)
				}
			}
			wantKinds(t, kinds, smartcard.EventPresent, smartcard.EventReading, outcomeOf[q.Want], smartcard.EventRemoved)
			wantOutcome(t, outcome, outcomeOf[q.Want], q.Want)
			if q.Want == "" && outcome.Identity.NIK.Reveal() != nikA {
				t.Fatalf("read NIK %v", outcome.Identity.NIK)
			}
		})
	}
}

// TestLoopCloseWhileCardSilent closes the loop while a card never answers
// an APDU and the time limit is far away: Close returns, because the
// read's PC/SC calls run apart from the loop, and ReadNIK says closed.
func TestLoopCloseWhileCardSilent(t *testing.T) {
	mustPCSC(t)
	l, _ := mustLoop(t, smartcard.Config{APDUTimeout: time.Hour})
	mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))
	card := quirkCard(t, ektp.Quirk{Behaviour: ektp.Behaviour{MuteAt: 5}})
	mustInsert(t, reader0, ektp.VirtualCardATR, card)
	waitClosed(t, card.Muted(), "the card never got its silent command")
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	// The deadline only stops a test whose Close hangs: the card stays
	// silent until the test's cleanup removes it.
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v (the loop itself should have stopped)", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close blocked by a card that never answers")
	}
	if _, err := l.ReadNIK(context.Background()); !errors.Is(err, smartcard.ErrClosed) {
		t.Fatalf("ReadNIK after Close: %v", err)
	}
}

// stuckVendor is a vendor SDK that ignores cancellation until released.
type stuckVendor struct{ entered, release chan struct{} }

func (v stuckVendor) ReadIdentity(context.Context, ektp.Readers) (ektp.Identity, error) {
	close(v.entered)
	<-v.release
	return ektp.Identity{}, station.ErrCardUnreadable.Withf("released")
}

// TestLoopCloseIsBounded: a loop stuck in a call that ignores its end (a
// vendor SDK here; pcscd could be another) does not hold Close past
// CloseWait, so the station's shutdown keeps its grace period.
func TestLoopCloseIsBounded(t *testing.T) {
	mustPCSC(t)
	v := stuckVendor{entered: make(chan struct{}), release: make(chan struct{})}
	l, _ := mustLoop(t, smartcard.Config{Vendor: v, CloseWait: 500 * time.Millisecond})
	// Registered after mustLoop's, so it runs first: a Close that waits
	// for the loop then fails this test instead of hanging it.
	t.Cleanup(func() { close(v.release) })
	mustInsert(t, reader0, ektp.VirtualCardATR, vcard.Func(func([]byte) []byte { return nil }))
	waitClosed(t, v.entered, "the vendor SDK was never called")
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		if err == nil {
			t.Fatal("Close says the loop stopped while the vendor SDK still holds it")
		}
		t.Logf("Close: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("Close blocked by a stuck vendor SDK")
	}
	if _, err := l.ReadNIK(context.Background()); !errors.Is(err, smartcard.ErrClosed) {
		t.Fatalf("ReadNIK after Close: %v", err)
	}
}

// waitClosed waits for ch; the deadline only stops a hung test.
func waitClosed(tb testing.TB, ch <-chan struct{}, msg string) {
	tb.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		tb.Fatal(msg)
	}
}
