package ektp_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/smartcard/ektp"
	"github.com/anjungan/anjungan/station/ticket"
)

var (
	registryKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	masterKey   = bytes.Repeat([]byte{0x5a}, 32)
	serialA     = []byte{1, 2, 3, 4, 5, 6, 7, 8}
)

const nikA = "3171012503900001"

func mustCard(tb testing.TB, master []byte, key ed25519.PrivateKey) *ektp.VirtualCard {
	tb.Helper()
	c, err := ektp.NewVirtualCard(ektp.CardSpec{
		NIK: station.MustParseNIK(nikA), Serial: serialA, MasterKey: master, Registry: key,
		Issuer: "dukcapil-test", IssuedAt: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC),
		Rand: rand.NewChaCha8([32]byte{1}),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func emulation() *ektp.Emulation {
	pub := registryKey.Public().(ed25519.PublicKey)
	return &ektp.Emulation{Verifier: &ektp.Verifier{Keys: ticket.KeySet{ticket.KeyID(pub): pub}}}
}

// direct is a Channel straight into a virtual chip (no PC/SC).
type direct struct {
	handle func([]byte) []byte
	log    *[][]byte
}

func (d direct) Transmit(apdu []byte) ([]byte, error) {
	if d.log != nil {
		*d.log = append(*d.log, apdu)
	}
	rsp := d.handle(apdu)
	if rsp == nil {
		return nil, errors.New("card gone")
	}
	return rsp, nil
}

func TestEmulationRead(t *testing.T) {
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	copied := mustCard(t, masterKey, registryKey)
	// A genuine record of another chip copied onto this one.
	rec, err := ektp.SignRecord(registryKey, ektp.Identity{NIK: station.MustParseNIK(nikA), CardSerial: "0909090909090909", Issuer: "x", IssuedAt: time.Unix(1e9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	copied.SetRecord(rec)
	for _, tt := range []struct {
		name string
		card *ektp.VirtualCard
		sam  ektp.Channel
		want fault.Code
	}{
		{"genuine", mustCard(t, masterKey, registryKey), direct{handle: ektp.NewVirtualSAM(masterKey).Handle}, ""},
		{"record signed by another key", mustCard(t, masterKey, other), direct{handle: ektp.NewVirtualSAM(masterKey).Handle}, ektp.ErrCardNotGenuine.Code},
		{"record copied from another chip", copied, direct{handle: ektp.NewVirtualSAM(masterKey).Handle}, ektp.ErrCardNotGenuine.Code},
		{"SAM of another scheme", mustCard(t, masterKey, registryKey), direct{handle: ektp.NewVirtualSAM([]byte("other")).Handle}, ektp.ErrCardNotGenuine.Code},
		{"no SAM", mustCard(t, masterKey, registryKey), nil, ektp.ErrSAMUnavailable.Code},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id, err := emulation().Read(context.Background(), direct{handle: tt.card.Handle}, tt.sam)
			if fault.CodeOf(err) != tt.want {
				t.Fatalf("Read: %v, want code %q", err, tt.want)
			}
			if err == nil && (id.NIK.Reveal() != nikA || id.CardSerial != hex.EncodeToString(serialA)) {
				t.Errorf("identity %+v", id)
			}
		})
	}
}

// quirkCard personalises a virtual e-KTP that plays q.
func quirkCard(tb testing.TB, q ektp.Quirk) *ektp.VirtualCard {
	tb.Helper()
	c, err := ektp.NewVirtualCard(ektp.CardSpec{
		NIK: station.MustParseNIK(nikA), Serial: serialA, MasterKey: masterKey, Registry: registryKey,
		Issuer: "dukcapil-test", IssuedAt: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC),
		Rand: rand.NewChaCha8([32]byte{1}), Behaviour: q.Behaviour, RecordLen: q.RecordLen,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestEmulationReadsQuirks reads every card behaviour of ektp.Quirks
// straight from the virtual card (TestLoopQuirks taps them through
// pcscd): the right NIK, or the right typed error.
func TestEmulationReadsQuirks(t *testing.T) {
	for _, q := range ektp.Quirks {
		t.Run(q.Name, func(t *testing.T) {
			if q.Behaviour.MuteAt > 0 {
				t.Skip("a card that never answers needs a reader with a time limit (TestLoopQuirks)")
			}
			card := quirkCard(t, q)
			if q.RecordLen > 0 && len(card.Record()) != q.RecordLen {
				t.Fatalf("record of %d bytes, want %d", len(card.Record()), q.RecordLen)
			}
			id, err := emulation().Read(context.Background(), direct{handle: card.Handle}, direct{handle: ektp.NewVirtualSAM(masterKey).Handle})
			if fault.CodeOf(err) != q.Want {
				t.Fatalf("Read: %v, want code %q", err, q.Want)
			}
			if err == nil && id.NIK.Reveal() != nikA {
				t.Fatalf("NIK %v", id.NIK)
			}
		})
	}
}

// TestChainIsBoundedByBytes: a card that keeps chaining is cut off after
// maxChain bytes, however small its steps, and answers without data
// count too.
func TestChainIsBoundedByBytes(t *testing.T) {
	for _, tt := range []struct {
		name string
		rsp  []byte
	}{
		{"16 bytes a step", append(make([]byte, 16), 0x61, 0x10)},
		{"no data a step", []byte{0x61, 0x10}},
		{"6C00 again and again", []byte{0x6C, 0x00}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			card := func(apdu []byte) []byte {
				n++
				if apdu[1] == 0xA4 {
					return []byte{0x90, 0x00}
				}
				return tt.rsp
			}
			_, err := emulation().Read(context.Background(), direct{handle: card}, nil)
			if fault.CodeOf(err) != station.ErrCardUnreadable.Code {
				t.Fatalf("Read: %v, want card_unreadable", err)
			}
			if n > 4096/16+3 {
				t.Errorf("%d commands before giving up", n)
			}
		})
	}
}

func TestEmulationFollowsT0Quirks(t *testing.T) {
	var cardLog, samLog [][]byte
	card := mustCard(t, masterKey, registryKey)
	if _, err := emulation().Read(context.Background(), direct{card.Handle, &cardLog}, direct{ektp.NewVirtualSAM(masterKey).Handle, &samLog}); err != nil {
		t.Fatal(err)
	}
	// 6Cxx: READ BINARY with Le 00 is resent with the exact length.
	if got := cardLog[3]; !bytes.Equal(got, []byte{0x00, 0xB0, 0x00, 0x00, 0x08}) {
		t.Errorf("resend after 6C08: % X", got)
	}
	// 61xx: the SAM's answer is fetched with GET RESPONSE.
	if len(samLog) != 2 || !bytes.Equal(samLog[1], []byte{0x00, 0xC0, 0x00, 0x00, 0x10}) {
		t.Errorf("SAM APDUs % X", samLog)
	}
}

func TestIdentityNeedsAuthentication(t *testing.T) {
	card := mustCard(t, masterKey, registryKey)
	for _, apdu := range [][]byte{{0x00, 0xA4, 0x01, 0x0C, 0x02, 0x7F, 0x0A}, {0x00, 0xA4, 0x02, 0x0C, 0x02, 0x6F, 0xF1}} {
		card.Handle(apdu)
	}
	if rsp := card.Handle([]byte{0x00, 0xB0, 0x00, 0x00, 0x00}); !bytes.Equal(rsp, []byte{0x69, 0x82}) {
		t.Fatalf("READ BINARY of 6FF1 before authentication: % X", rsp)
	}
}

func TestCheckATR(t *testing.T) {
	for _, tt := range []struct {
		name string
		atr  []byte
		want fault.Code
	}{
		{"virtual e-KTP", ektp.VirtualCardATR, ""},
		{"unknown: read anyway", []byte{0x3B, 0x00}, ""},
		{"SAM in the card slot", ektp.VirtualSAMATR, ektp.ErrNotEKTP.Code},
	} {
		if got := fault.CodeOf(ektp.CheckATR(tt.atr)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// script is a Channel that answers from a list of responses.
type script struct{ rsps [][]byte }

func (s *script) Transmit([]byte) ([]byte, error) {
	if len(s.rsps) == 0 {
		return nil, errors.New("no more responses")
	}
	r := s.rsps[0]
	s.rsps = s.rsps[1:]
	return r, nil
}

// splitScript cuts fuzz input into responses: a 1-byte length, or FF and
// a 2-byte big-endian one (answers longer than 254 bytes), then the bytes.
func splitScript(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := int(b[0])
		b = b[1:]
		if n == 0xFF && len(b) >= 2 {
			n, b = int(binary.BigEndian.Uint16(b)), b[2:]
		}
		n = min(n, len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// joinScript is splitScript's inverse.
func joinScript(rsps [][]byte) []byte {
	var b []byte
	for _, r := range rsps {
		if len(r) < 0xFF {
			b = append(b, byte(len(r)))
		} else {
			b = append(b, 0xFF, byte(len(r)>>8), byte(len(r)))
		}
		b = append(b, r...)
	}
	return b
}

// readCodes are the outcomes a card read may have.
var readCodes = []fault.Code{"", station.ErrCardUnreadable.Code, ektp.ErrNotEKTP.Code, ektp.ErrSAMUnavailable.Code, ektp.ErrCardNotGenuine.Code}

// FuzzRead feeds arbitrary card and SAM responses to the whole read: every
// APDU response parser (status words, 61xx/6Cxx, READ BINARY chunks, the
// chip serial, the challenge, the cryptogram) and the identity record. A
// read ends with one of the card errors, never another; it succeeds only
// with the record the test registry signed for serialA (the quirk seeds
// replay it). Seeds: testdata/fuzz/FuzzRead, with a transcript of every
// ektp.Quirk (quirk_*, TestFuzzReadQuirkSeeds).
func FuzzRead(f *testing.F) {
	f.Add([]byte{2, 0x90, 0x00}, []byte{2, 0x61, 0x10, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x90, 0x00})
	f.Add([]byte{2, 0x90, 0x00, 2, 0x90, 0x00, 2, 0x6C, 0x08, 10, 1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00}, []byte{})
	f.Fuzz(func(t *testing.T, cardRsps, samRsps []byte) {
		id, err := emulation().Read(context.Background(), &script{rsps: splitScript(cardRsps)}, &script{rsps: splitScript(samRsps)})
		if code := fault.CodeOf(err); !slices.Contains(readCodes, code) {
			t.Fatalf("Read ended with %v (code %q), not a card error", err, code)
		}
		if err == nil && (id.NIK.Reveal() != nikA || id.CardSerial != hex.EncodeToString(serialA)) {
			t.Fatalf("a scripted card read as %v, serial %s", id.NIK, id.CardSerial)
		}
	})
}

// recorder is a Channel into a virtual chip that keeps its responses.
type recorder struct {
	handle func([]byte) []byte
	rsps   [][]byte
}

func (r *recorder) Transmit(apdu []byte) ([]byte, error) {
	rsp := r.handle(apdu)
	r.rsps = append(r.rsps, rsp)
	return rsp, nil
}

// TestFuzzReadQuirkSeeds holds FuzzRead's seeds and ektp.Quirks together:
// each quirk_<name> file is the transcript of a read of that quirk's
// card (cut at its mute command, for a card that never answers), and
// replayed it ends as the quirk says. -update rewrites them.
func TestFuzzReadQuirkSeeds(t *testing.T) {
	for _, q := range ektp.Quirks {
		t.Run(q.Name, func(t *testing.T) {
			mute := q.Behaviour.MuteAt
			q.Behaviour.MuteAt = 0
			card := &recorder{handle: quirkCard(t, q).Handle}
			sam := &recorder{handle: ektp.NewVirtualSAM(masterKey).Handle}
			emulation().Read(context.Background(), card, sam)
			if mute > 0 {
				card.rsps = card.rsps[:mute-1]
			}
			cardB, samB := joinScript(card.rsps), joinScript(sam.rsps)
			path := filepath.Join("testdata", "fuzz", "FuzzRead", "quirk_"+q.Name)
			want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\n", cardB, samB)
			if u := flag.Lookup("update"); u != nil && u.Value.String() == "true" {
				if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != want {
				t.Fatalf("%s is not the transcript of %s (go test -run TestFuzzReadQuirkSeeds -update): %v", path, q.Name, err)
			}
			_, err = emulation().Read(context.Background(), &script{rsps: splitScript(cardB)}, &script{rsps: splitScript(samB)})
			if fault.CodeOf(err) != q.Want {
				t.Fatalf("replayed: %v, want code %q", err, q.Want)
			}
		})
	}
}

// FuzzVerifyRecord feeds arbitrary bytes to the identity record parser.
func FuzzVerifyRecord(f *testing.F) {
	rec, err := ektp.SignRecord(registryKey, ektp.Identity{NIK: station.MustParseNIK(nikA), CardSerial: hex.EncodeToString(serialA), Issuer: "dukcapil", IssuedAt: time.Unix(1e9, 0)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rec)
	f.Add(rec[:len(rec)-1])
	f.Add([]byte{0x84, 0x40, 0xa0, 0x40, 0x40})
	v := emulation().Verifier
	f.Fuzz(func(t *testing.T, raw []byte) {
		id, err := v.Verify(raw, serialA)
		if err == nil && !bytes.Equal(raw, rec) {
			t.Fatalf("a different record verified: %v", id.NIK)
		}
	})
}

func TestScriptLengths(t *testing.T) {
	// Guards the fuzz input format.
	got := splitScript([]byte{2, 0x90, 0x00, 5, 1})
	if len(got) != 2 || binary.BigEndian.Uint16(got[0]) != 0x9000 || len(got[1]) != 1 {
		t.Fatalf("splitScript: % X", got)
	}
	long := [][]byte{bytes.Repeat([]byte{1}, 600), {0x90, 0x00}, bytes.Repeat([]byte{2}, 254), bytes.Repeat([]byte{3}, 255)}
	if got := splitScript(joinScript(long)); !slices.EqualFunc(got, long, bytes.Equal) {
		t.Fatalf("splitScript(joinScript(x)) = % X", got)
	}
}

// FuzzVirtualChips sends arbitrary command APDUs to the virtual card and
// SAM, which `anjunganctl card insert` serves to pcscd: after any command
// they answer with at least a status word and never panic.
func FuzzVirtualChips(f *testing.F) {
	f.Add([]byte{0x00, 0xA4, 0x01, 0x0C, 0x02, 0x7F, 0x0A})
	f.Add([]byte{0x00, 0xB0, 0x00, 0x00, 0x00})
	f.Add(append([]byte{0x80, 0x8A, 0x00, 0x00, 0x10}, make([]byte, 17)...))
	f.Add([]byte{0x00, 0x82, 0x00, 0x00, 0x10})
	card := mustCard(f, masterKey, registryKey)
	sam := ektp.NewVirtualSAM(masterKey)
	// Walk the card into the DF so commands after the first reach deeper.
	card.Handle([]byte{0x00, 0xA4, 0x01, 0x0C, 0x02, 0x7F, 0x0A})
	f.Fuzz(func(t *testing.T, apdu []byte) {
		for name, h := range map[string]func([]byte) []byte{"card": card.Handle, "sam": sam.Handle} {
			if rsp := h(apdu); len(rsp) < 2 {
				t.Fatalf("%s answered % X to % X", name, rsp, apdu)
			}
		}
	})
}
