package smartcard_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/smartcard"
	"github.com/anjungan/anjungan/station/smartcard/ektp"
	"github.com/anjungan/anjungan/station/smartcard/vcard"
	"github.com/anjungan/anjungan/station/smartcard/vendorexec"
)

func TestLoopTapEvents(t *testing.T) {
	mustPCSC(t)
	_, events := mustLoop(t, smartcard.Config{})
	mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))
	c := mustInsert(t, reader0, ektp.VirtualCardATR, mustCard(t, nikA, 1))
	wantKinds(t, tapEvents(t, events, c.Remove),
		smartcard.EventPresent, smartcard.EventReading, smartcard.EventRead, smartcard.EventRemoved)
}

// A card already on the reader when the loop starts is read like a tap:
// the citizen may have laid it down while the station restarted. The
// outcome is still dropped when the card leaves, and the PIN follows.
func TestLoopReadsCardPresentAtStart(t *testing.T) {
	mustPCSC(t)
	mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))
	mustInsert(t, reader0, ektp.VirtualCardATR, mustCard(t, nikA, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sc, err := smartcard.WaitCard(ctx, reader0)
	if err != nil {
		t.Fatalf("card not seen before the loop starts: %v", err)
	}
	sc.Close()

	l, events := mustLoop(t, smartcard.Config{})
	if nik, err := l.ReadNIK(ctx); err != nil || nik.Reveal() != nikA {
		t.Fatalf("ReadNIK = %v, %v", nik, err)
	}
	wantOutcome(t, waitOutcome(t, events), smartcard.EventRead, "")
}

// TestLoopReaderUnplugAndReplug takes vpcd's readers away at the PC/SC
// level (pcscd restarted with an empty reader configuration) and brings
// them back. The loop says reader_missing once, stays quiet while the
// reader is gone, and reads a card once it is back.
func TestLoopReaderUnplugAndReplug(t *testing.T) {
	mustPCSC(t)
	if ownPCSCD == nil {
		t.Skip("pcscd was started by someone else: this test restarts only its own")
	}
	const poll = 100 * time.Millisecond
	l, events := mustLoop(t, smartcard.Config{Poll: poll, MinBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond})
	mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))
	card := mustInsert(t, reader0, ektp.VirtualCardATR, mustCard(t, nikA, 1))
	waitOutcome(t, events)

	debug, err := os.Create(filepath.Join(t.TempDir(), "pcscd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer debug.Close()
	unplugReaders(t, debug)
	card.Remove() // its vpcd connection died with pcscd
	// The card on the reader counts as removed, then the reader as gone.
	waitEvent(t, events, smartcard.EventRemoved)
	e := waitEvent(t, events, smartcard.EventReaderMissing)
	if l.Present() {
		t.Error("Present with the reader gone")
	}
	t.Logf("reader missing: %v", e.Err)

	// Let the reader stay away for a while (this paces the test and
	// asserts nothing about time), then count what the loop did: no more
	// events, and a few requests to pcscd per poll period, not a spin.
	// The bound follows the measured pause, so a slow machine only
	// lowers the count.
	before := commands(t, debug.Name())
	start := time.Now()
	time.Sleep(10 * poll)
	elapsed := time.Since(start)
	n := commands(t, debug.Name()) - before
	if limit := 8 * (int(elapsed/poll) + 2); n > limit {
		t.Errorf("%d requests to pcscd in %v with the reader missing (poll %v): the loop spins", n, elapsed, poll)
	}
	t.Logf("%d requests to pcscd in %v with the reader missing", n, elapsed)
	select {
	case e := <-events:
		t.Fatalf("event %s (%v) while the reader stays missing", e.Kind, e.Err)
	default:
	}

	replugReaders(t)
	waitEvent(t, events, smartcard.EventReady)
	mustInsertSAM(t, reader1, ektp.NewVirtualSAM(masterKey))
	mustInsert(t, reader0, ektp.VirtualCardATR, mustCard(t, nikB, 2))
	mustReadNIK(t, l, nikB, 30*time.Second)
}

// commands counts the client requests in pcscd's debug log so far.
func commands(tb testing.TB, path string) int {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.Count(b, []byte("Received command:"))
}

// TestLoopVendorProgram chooses a vendor program with the station's card
// options and taps cards through the real loop and pcscd: the program
// runs once a card is tapped, with the configured readers, and its
// answer becomes the loop's outcome.
func TestLoopVendorProgram(t *testing.T) {
	mustPCSC(t)
	flazz := []byte{0x3B, 0x6B, 0x00, 0x00, 0x00, 0x31, 0xC0, 0x64, 0xBC, 0x02, 0x01, 0x00, 0x82, 0x90, 0x00}
	for _, tt := range []struct {
		name, answer string
		atr          []byte
		kind         smartcard.EventKind
		code         fault.Code
		runs         int
	}{
		{"identity", "read", ektp.VirtualCardATR, smartcard.EventRead, "", 1},
		{"card lost", "card_lost", ektp.VirtualCardATR, smartcard.EventRemovedEarly, station.ErrCardUnreadable.Code, 1},
		{"not an e-KTP", "not_ektp", ektp.VirtualCardATR, smartcard.EventNotEKTP, ektp.ErrNotEKTP.Code, 1},
		{"unknown error code", "printer_on_fire", ektp.VirtualCardATR, smartcard.EventError, vendorexec.ErrProgramFailed.Code, 1},
		{"known other card: the program never runs", "read", flazz, smartcard.EventNotEKTP, ektp.ErrNotEKTP.Code, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			runlog := filepath.Join(t.TempDir(), "runs")
			cfg, err := smartcard.NewConfig(smartcard.Options{
				CardReader: reader0, SAMReader: reader1,
				VendorExec: filepath.Join("testdata", "vendor-answers.sh"),
				VendorArgs: []string{tt.answer, runlog, nikB},
				// Only stops a hung test.
				VendorTimeout: time.Minute,
			}, nil, zerolog.Nop(), nil)
			if err != nil {
				t.Fatal(err)
			}
			l, events := mustLoop(t, cfg)
			if got := runLines(t, runlog); len(got) != 0 {
				t.Fatalf("the program ran before a tap: %q", got)
			}
			mustInsert(t, reader0, tt.atr, vcard.Func(func([]byte) []byte { return nil })) // the program reads, not the loop
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			nik, err := l.ReadNIK(ctx)
			if fault.CodeOf(err) != tt.code {
				t.Fatalf("ReadNIK: %v, want code %q", err, tt.code)
			}
			if tt.code == "" && nik.Reveal() != nikB {
				t.Fatalf("ReadNIK = %v, want the program's NIK", nik)
			}
			wantOutcome(t, waitOutcome(t, events), tt.kind, tt.code)
			got := runLines(t, runlog)
			if len(got) != tt.runs {
				t.Fatalf("the program ran %d times, want %d: %q", len(got), tt.runs, got)
			}
			if tt.runs > 0 && got[0] != reader0+"|"+reader1 {
				t.Errorf("the program got readers %q", got[0])
			}
		})
	}
}

func runLines(tb testing.TB, path string) []string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestNewConfig(t *testing.T) {
	keys := emulation().Verifier.Keys
	for _, tt := range []struct {
		name string
		o    smartcard.Options
		keys bool
		want string // "profile", "vendor" or "error"
	}{
		{"emulation profile by default", smartcard.Options{CardReader: reader0, SAMReader: reader1}, true, "profile"},
		{"vendor program", smartcard.Options{CardReader: reader0, VendorExec: "testdata/vendor-answers.sh", VendorArgs: []string{"read"}, VendorTimeout: time.Second}, false, "vendor"},
		{"no card reader", smartcard.Options{SAMReader: reader1}, true, "error"},
		{"emulation without keys", smartcard.Options{CardReader: reader0}, false, "error"},
		{"vendor arguments without a program", smartcard.Options{CardReader: reader0, VendorArgs: []string{"x"}}, true, "error"},
		{"vendor timeout without a program", smartcard.Options{CardReader: reader0, VendorTimeout: time.Second}, true, "error"},
		{"vendor program missing", smartcard.Options{CardReader: reader0, VendorExec: "testdata/no-such-program"}, false, "error"},
		{"negative timeout", smartcard.Options{CardReader: reader0, VendorExec: "testdata/vendor-answers.sh", VendorTimeout: -time.Second}, false, "error"},
		{"APDU time limit", smartcard.Options{CardReader: reader0, SAMReader: reader1, APDUTimeout: time.Second}, true, "profile"},
		{"negative APDU time limit", smartcard.Options{CardReader: reader0, APDUTimeout: -time.Second}, true, "error"},
		{"APDU time limit with a vendor program", smartcard.Options{CardReader: reader0, VendorExec: "testdata/vendor-answers.sh", APDUTimeout: time.Second}, false, "error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := keys
			if !tt.keys {
				k = nil
			}
			cfg, err := smartcard.NewConfig(tt.o, k, zerolog.Nop(), time.Now)
			got := "error"
			switch {
			case err != nil:
			case cfg.Profile != nil && cfg.Vendor == nil:
				got = "profile"
			case cfg.Vendor != nil && cfg.Profile == nil:
				got = "vendor"
			}
			if got != tt.want {
				t.Fatalf("NewConfig = %+v, %v; want %s", cfg, err, tt.want)
			}
			if err == nil && (cfg.CardReader != tt.o.CardReader || cfg.SAMReader != tt.o.SAMReader || cfg.APDUTimeout != tt.o.APDUTimeout) {
				t.Errorf("readers %q, %q, APDU time limit %v", cfg.CardReader, cfg.SAMReader, cfg.APDUTimeout)
			}
		})
	}
}
