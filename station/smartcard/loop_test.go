package smartcard_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/smartcard"
	"github.com/anjungan/anjungan/station/smartcard/ektp"
	"github.com/anjungan/anjungan/station/smartcard/vcard"
	"github.com/anjungan/anjungan/station/ticket"
)

const (
	reader0 = "Virtual PCD 00 00"
	reader1 = "Virtual PCD 00 01"
	nikA    = "3171012503900001"
	nikB    = "3273015708850002"
)

// retapPause is how long a test waits before putting a card back after
// one was pulled mid-command (see TestLoopCardPulledAtEveryAPDU).
const retapPause = 1500 * time.Millisecond

var (
	registryKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	masterKey   = bytes.Repeat([]byte{0x5a}, 32)
)

func emulation() *ektp.Emulation {
	pub := registryKey.Public().(ed25519.PublicKey)
	return &ektp.Emulation{Verifier: &ektp.Verifier{Keys: ticket.KeySet{ticket.KeyID(pub): pub}}}
}

// mustCard personalises a virtual e-KTP.
func mustCard(tb testing.TB, nik string, serial byte) *ektp.VirtualCard {
	tb.Helper()
	c, err := ektp.NewVirtualCard(ektp.CardSpec{
		NIK:       station.MustParseNIK(nik),
		Serial:    bytes.Repeat([]byte{serial}, 8),
		MasterKey: masterKey,
		Registry:  registryKey,
		Issuer:    "dukcapil-test",
		IssuedAt:  time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC),
		Rand:      rand.NewChaCha8([32]byte{serial}),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func vpcdAddr(reader string) string {
	if reader == reader1 {
		return fmt.Sprintf("127.0.0.1:%d", vcard.Port1)
	}
	return fmt.Sprintf("127.0.0.1:%d", vcard.Port0)
}

// mustInsert puts a virtual chip in a vpcd reader until the test ends.
func mustInsert(tb testing.TB, reader string, atr []byte, a vcard.Applet) *vcard.Card {
	tb.Helper()
	c, err := vcard.InsertApplet(vpcdAddr(reader), atr, a)
	if err != nil {
		tb.Fatalf("vpcd: %v", err)
	}
	tb.Cleanup(func() {
		c.Remove()
		// The next test starts with an empty slot, as pcscd sees it.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := smartcard.WaitEmpty(ctx, reader); err != nil {
			tb.Errorf("slot %s not empty: %v", reader, err)
		}
	})
	return c
}

// mustInsertSAM inserts a SAM and waits until pcscd sees it, as on a
// kiosk where the SAM sits in its slot from boot.
func mustInsertSAM(tb testing.TB, reader string, a vcard.Applet) *vcard.Card {
	tb.Helper()
	c := mustInsert(tb, reader, ektp.VirtualSAMATR, a)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sc, err := smartcard.WaitCard(ctx, reader)
	if err != nil {
		tb.Fatalf("SAM not seen: %v", err)
	}
	sc.Close()
	return c
}

// mustLoop starts a reader loop with its event stream; it waits until the
// loop watches the reader.
func mustLoop(tb testing.TB, cfg smartcard.Config) (*smartcard.Loop, <-chan smartcard.Event) {
	tb.Helper()
	if cfg.CardReader == "" {
		cfg.CardReader, cfg.SAMReader = reader0, reader1
	}
	if cfg.Profile == nil && cfg.Vendor == nil {
		cfg.Profile = emulation()
	}
	cfg.Logger = zerolog.Nop()
	if testing.Verbose() {
		cfg.Logger = zerolog.New(zerolog.NewTestWriter(tb))
	}
	l := smartcard.Start(cfg)
	events, cancel := l.Subscribe()
	tb.Cleanup(func() { cancel(); l.Close() })
	waitEvent(tb, events, smartcard.EventReady)
	return l, events
}

// mustReadNIK waits for the loop's next read and checks its NIK; the
// deadline only stops a hung test.
func mustReadNIK(tb testing.TB, l *smartcard.Loop, want string, within time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if nik, err := l.ReadNIK(ctx); err != nil || nik.Reveal() != want {
		tb.Fatalf("ReadNIK = %v, %v; want %s", nik, err, want)
	}
}

// waitEvent returns the first event of kind; the deadline only stops a
// hung test.
func waitEvent(tb testing.TB, events <-chan smartcard.Event, kind smartcard.EventKind) smartcard.Event {
	tb.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-events:
			if testing.Verbose() {
				tb.Logf("event %s %v", e.Kind, e.Err)
			}
			if e.Kind == kind {
				return e
			}
		case <-deadline:
			tb.Fatalf("no %s event", kind)
		}
	}
}

// waitOutcome returns the next outcome event (read, removed_early,
// not_ektp or error).
func waitOutcome(tb testing.TB, events <-chan smartcard.Event) smartcard.Event {
	tb.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-events:
			if testing.Verbose() {
				tb.Logf("event %s %v", e.Kind, e.Err)
			}
			if e.Kind.Outcome() {
				return e
			}
		case <-deadline:
			tb.Fatal("no read outcome")
		}
	}
}

// wantOutcome checks an outcome's kind and its error's code ("" for none).
func wantOutcome(tb testing.TB, e smartcard.Event, kind smartcard.EventKind, code fault.Code) {
	tb.Helper()
	if e.Kind != kind || fault.CodeOf(e.Err) != code {
		tb.Fatalf("event %s (err %v), want %s with code %q", e.Kind, e.Err, kind, code)
	}
}

// tapEvents collects the kinds of events up to and including the next
// removed: what a kiosk page sees for one tap. remove pulls the card
// once the outcome is in.
func tapEvents(tb testing.TB, events <-chan smartcard.Event, remove func()) []smartcard.EventKind {
	tb.Helper()
	var kinds []smartcard.EventKind
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-events:
			if testing.Verbose() {
				tb.Logf("event %s %v", e.Kind, e.Err)
			}
			kinds = append(kinds, e.Kind)
			if e.Kind.Outcome() {
				remove()
			}
			if e.Kind == smartcard.EventRemoved {
				return kinds
			}
		case <-deadline:
			tb.Fatalf("tap not over; events so far %v", kinds)
		}
	}
}

func wantKinds(tb testing.TB, got []smartcard.EventKind, want ...smartcard.EventKind) {
	tb.Helper()
	if !slices.Equal(got, want) {
		tb.Fatalf("events %v, want %v", got, want)
	}
}

func TestLoopReadsCard(t *testing.T) {
	mustPCSC(t)
	l, events := mustLoop(t, smartcard.Config{})
	mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))
	card := mustInsert(t, reader0, ektp.VirtualCardATR, mustCard(t, nikA, 1))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nik, err := l.ReadNIK(ctx)
	if err != nil || nik.Reveal() != nikA {
		t.Fatalf("ReadNIK = %v, %v", nik, err)
	}
	if e := waitEvent(t, events, smartcard.EventPresent); e.ATRHint == "" {
		t.Error("present event without an ATR hint")
	}
	card.Remove()
	waitEvent(t, events, smartcard.EventRemoved)
	if l.Present() {
		t.Error("Present after removal")
	}
	// The read was taken: a second ReadNIK waits for the next card.
	mustInsert(t, reader0, ektp.VirtualCardATR, mustCard(t, nikB, 2))
	if nik, err := l.ReadNIK(ctx); err != nil || nik.Reveal() != nikB {
		t.Fatalf("second ReadNIK = %v, %v", nik, err)
	}
}

// counting wraps an applet: it counts command APDUs and pulls the card at
// APDU pullAt (-1: never); delay slows every answer.
type counting struct {
	vcard.Applet
	n      atomic.Int32
	pullAt int32
	delay  time.Duration
}

func (c *counting) Handle(apdu []byte) []byte {
	i := c.n.Add(1) - 1
	if i == c.pullAt {
		return nil
	}
	time.Sleep(c.delay) // a slow chip, not an assertion
	return c.Applet.Handle(apdu)
}

func TestLoopCardPulledAtEveryAPDU(t *testing.T) {
	mustPCSC(t)
	l, events := mustLoop(t, smartcard.Config{})
	mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))

	// Count the APDUs of one good read.
	good := &counting{Applet: mustCard(t, nikA, 1), pullAt: -1}
	c := mustInsert(t, reader0, ektp.VirtualCardATR, good)
	if e := waitOutcome(t, events); e.Kind != smartcard.EventRead {
		t.Fatalf("good read: %v", e.Err)
	}
	c.Remove()
	waitEvent(t, events, smartcard.EventRemoved)
	total := good.n.Load()
	if total < 5 {
		t.Fatalf("a read took %d APDUs", total)
	}
	for i := range total {
		t.Run(fmt.Sprint("apdu", i), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := mustInsert(t, reader0, ektp.VirtualCardATR, &counting{Applet: mustCard(t, nikB, 2), pullAt: i})
			// A card pulled mid-read is its own kind of outcome, so the
			// kiosk can say "removed too early" rather than "error".
			wantKinds(t, tapEvents(t, events, c.Remove), smartcard.EventPresent, smartcard.EventReading,
				smartcard.EventRemovedEarly, smartcard.EventRemoved)
			// Pace the re-tap like a person: vpcd loses a card connected
			// before pcscd's poller (about 400 ms) saw the slot empty
			// after a card pulled mid-command. This paces the peer; it
			// asserts nothing.
			time.Sleep(retapPause)
			// The failed tap is dropped with its card: the next ReadNIK
			// returns the next card's NIK.
			c = mustInsert(t, reader0, ektp.VirtualCardATR, mustCard(t, nikA, 1))
			if nik, err := l.ReadNIK(ctx); err != nil || nik.Reveal() != nikA {
				t.Fatalf("next tap: %v, %v", nik, err)
			}
			c.Remove()
			waitEvent(t, events, smartcard.EventRemoved)
		})
	}
}

func TestLoopWrongCard(t *testing.T) {
	mustPCSC(t)
	_, events := mustLoop(t, smartcard.Config{})
	mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))
	for _, tt := range []struct {
		name string
		atr  []byte
		a    vcard.Applet
		want []smartcard.EventKind
	}{
		{"unknown card without the DF", []byte{0x3B, 0x02, 0x14, 0x50}, vcard.Func(func([]byte) []byte { return []byte{0x6A, 0x82} }),
			[]smartcard.EventKind{smartcard.EventPresent, smartcard.EventReading, smartcard.EventNotEKTP, smartcard.EventRemoved}},
		{"known other card (no APDU sent)", []byte{0x3B, 0x6B, 0x00, 0x00, 0x00, 0x31, 0xC0, 0x64, 0xBC, 0x02, 0x01, 0x00, 0x82, 0x90, 0x00}, vcard.Func(func([]byte) []byte { return nil }),
			[]smartcard.EventKind{smartcard.EventPresent, smartcard.EventNotEKTP, smartcard.EventRemoved}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := mustInsert(t, reader0, tt.atr, tt.a)
			wantKinds(t, tapEvents(t, events, c.Remove), tt.want...)
		})
	}
}

func TestLoopSAM(t *testing.T) {
	mustPCSC(t)
	_, events := mustLoop(t, smartcard.Config{})
	for _, tt := range []struct {
		name string
		sam  vcard.Applet // nil: no SAM in its slot
		want fault.Code
	}{
		{"missing", nil, ektp.ErrSAMUnavailable.Code},
		{"refusing", func() vcard.Applet { s := ektp.NewVirtualSAM(masterKey); s.Refuse(true); return s }(), ektp.ErrSAMUnavailable.Code},
		{"pulled", &counting{Applet: ektp.NewVirtualSAM(masterKey), pullAt: 0}, ektp.ErrSAMUnavailable.Code},
		{"another scheme's key", ektp.NewVirtualSAM(bytes.Repeat([]byte{1}, 32)), ektp.ErrCardNotGenuine.Code},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var sam *vcard.Card
			if tt.sam != nil {
				sam = mustInsertSAM(t, reader1, tt.sam)
			}
			c := mustInsert(t, reader0, ektp.VirtualCardATR, mustCard(t, nikA, 1))
			wantOutcome(t, waitOutcome(t, events), smartcard.EventError, tt.want)
			c.Remove()
			waitEvent(t, events, smartcard.EventRemoved)
			if sam != nil {
				sam.Remove()
			}
		})
	}
}

func TestLoopTwoReadersRolesFollowConfig(t *testing.T) {
	mustPCSC(t)
	l, _ := mustLoop(t, smartcard.Config{CardReader: reader1, SAMReader: reader0})
	mustInsertSAM(t, reader0, ektp.NewVirtualSAM(masterKey))
	mustInsert(t, reader1, ektp.VirtualCardATR, mustCard(t, nikB, 2))
	mustReadNIK(t, l, nikB, 30*time.Second)
}

func TestLoopSlowCard(t *testing.T) {
	mustPCSC(t)
	l, _ := mustLoop(t, smartcard.Config{})
	mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))
	mustInsert(t, reader0, ektp.VirtualCardATR, &counting{Applet: mustCard(t, nikA, 1), pullAt: -1, delay: 300 * time.Millisecond})
	mustReadNIK(t, l, nikA, 60*time.Second)
}

func TestLoopSurvivesPCSCDRestart(t *testing.T) {
	mustPCSC(t)
	if ownPCSCD == nil {
		t.Skip("pcscd was started by someone else: this test restarts only its own")
	}
	l, events := mustLoop(t, smartcard.Config{MinBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond})
	killPCSCD(t)
	waitEvent(t, events, smartcard.EventServiceDown)
	startPCSCDAgain(t)
	waitEvent(t, events, smartcard.EventReady)
	mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))
	mustInsert(t, reader0, ektp.VirtualCardATR, mustCard(t, nikA, 1))
	mustReadNIK(t, l, nikA, 30*time.Second)
}

func TestLoopCloseUnblocksRead(t *testing.T) {
	mustPCSC(t)
	l, _ := mustLoop(t, smartcard.Config{})
	var wg sync.WaitGroup
	var err error
	wg.Add(1)
	go func() { defer wg.Done(); _, err = l.ReadNIK(context.Background()) }()
	l.Close()
	wg.Wait()
	if !errors.Is(err, smartcard.ErrClosed) {
		t.Fatalf("ReadNIK after Close: %v", err)
	}
}

// TestLoopSetAside: a card left on the reader at the end of a visit is
// not the next visitor's tap, whether its read was taken, waiting, or
// still running; once lifted and tapped again it is read.
func TestLoopSetAside(t *testing.T) {
	mustPCSC(t)
	for _, tc := range []struct {
		name  string
		taken bool          // the visit took the read before it ended
		delay time.Duration // each APDU slowed: the visit ends during the read
	}{
		{"read taken", true, 0},
		{"read never taken", false, 0},
		{"visit ends during the read", false, 40 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, events := mustLoop(t, smartcard.Config{})
			mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))
			applet := &counting{Applet: mustCard(t, nikA, 1), pullAt: -1, delay: tc.delay}
			card := mustInsert(t, reader0, ektp.VirtualCardATR, applet)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if tc.taken {
				if _, err := l.ReadNIK(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if tc.delay > 0 {
				waitEvent(t, events, smartcard.EventReading)
			} else {
				waitEvent(t, events, smartcard.EventRead)
			}
			l.SetAside()
			waitEvent(t, events, smartcard.EventSetAside)
			if !l.Present() || !l.SetAsideNow() {
				t.Fatal("the card set aside is not known to lie on the reader")
			}
			// The next visitor waits: the card left behind gives nothing.
			short, stop := context.WithTimeout(ctx, 2*time.Second)
			nik, err := l.ReadNIK(short)
			stop()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("a card set aside was read as a tap: %v, %v", nik, err)
			}
			// Lifted and tapped again, it is a tap.
			card.Remove()
			waitEvent(t, events, smartcard.EventRemoved)
			mustInsert(t, reader0, ektp.VirtualCardATR, mustCard(t, nikA, 1))
			if nik, err := l.ReadNIK(ctx); err != nil || nik.Reveal() != nikA {
				t.Fatalf("tapped again: %v, %v", nik, err)
			}
		})
	}
}
