package ektp

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/anjungan/anjungan/station"
)

// ATRs of the virtual chips (docs/card-profile.md). The card's is the
// public ATR of an NXP e-KTP; the SAM's historical bytes read "ANJ-SAM-V1".
var (
	VirtualCardATR = []byte{0x3B, 0x8B, 0x80, 0x01, 0x65, 0x4B, 0x54, 0x50, 0x30, 0x44, 0x32, 0x65, 0x4B, 0x54, 0x50, 0x4C}
	VirtualSAMATR  = []byte{0x3B, 0x8A, 0x80, 0x01, 0x41, 0x4E, 0x4A, 0x2D, 0x53, 0x41, 0x4D, 0x2D, 0x56, 0x31, 0x0D}
)

// VirtualCard is an e-KTP chip of the emulation profile, for tests and the
// demo (anjunganctl card insert). Its Handle answers one command APDU the
// way a T=0 card does (6Cxx for a wrong Le), or as its Behaviour says.
type VirtualCard struct {
	serial []byte
	key    []byte // the chip's own key, derived from the master key
	record []byte // EF 6FF1
	rand   io.Reader
	b      Behaviour

	gone     chan struct{} // closed by Removed: a mute command returns
	goneOnce sync.Once
	muted    chan struct{} // closed when the card goes silent

	mu              sync.Mutex
	inDF            bool
	ef              uint16
	challenge       []byte
	authed          bool
	commands        int
	pending         []byte // the rest of a chained answer, for GET RESPONSE
	final           uint16 // the status word after the last chained byte
	refuseChallenge []uint16
	refuseAuth      []uint16
}

// Behaviour is how the virtual card follows ISO/IEC 7816-4 where real
// cards and readers differ (docs/card-profile.md, "Status words and
// chaining"). The zero value is the T=0 card of the read sequence: 6Cxx
// for a wrong Le, 6B00 past the end of a file.
type Behaviour struct {
	// Chunk caps a READ BINARY answer at this many bytes (a reader's or
	// card's frame size, e.g. 223), with 9000; 0: no cap.
	Chunk int
	// ChainStep makes READ BINARY answer 61xx and hand its data out
	// through GET RESPONSE, this many bytes a step; 0: no chaining.
	ChainStep int
	// WrongLeMidChain announces the last step of a chain as 6100 and
	// answers the GET RESPONSE for 256 bytes with 6Cxx.
	WrongLeMidChain bool
	// EOFWarning answers a READ BINARY for more than the file holds with
	// what it holds and 6282, as common T=1 cards do, instead of 6Cxx.
	EOFWarning bool
	// PastEnd answers a READ BINARY at or past the end of a file: 6B00
	// (also for 0), 6A86, or 9000 (an answer without data).
	PastEnd uint16
	// WholeFile answers a READ BINARY with everything from its offset to
	// the end of the file, whatever the Le.
	WholeFile bool
	// FileSize makes EF 6FF1 a fixed-size file: the record, then Pad up
	// to FileSize bytes; or the record cut at FileSize when it is longer.
	FileSize int
	Pad      byte
	// RefuseChallenge answers the first GET CHALLENGEs with these status
	// words in turn (e.g. 6985: not ready); RefuseAuth the first
	// EXTERNAL AUTHENTICATEs (e.g. 6982). A refusal uses up the challenge.
	RefuseChallenge, RefuseAuth []uint16
	// MuteAt (counted from 1) is the command the card never answers: it
	// stays silent until it is removed. 0: none.
	MuteAt int
}

// CardSpec says what to personalise a virtual card with.
type CardSpec struct {
	NIK       station.NIK
	Serial    []byte // 8 bytes
	MasterKey []byte // the scheme key the SAM holds
	Registry  ed25519.PrivateKey
	Issuer    string
	IssuedAt  time.Time
	Rand      io.Reader // challenges
	Behaviour Behaviour
	// RecordLen, when set, lengthens the issuer until the record is
	// exactly this many bytes (records across or on chunk boundaries).
	RecordLen int
}

// NewVirtualCard personalises a chip: its key from the master key and
// its serial, and the identity record signed with the registry's key.
func NewVirtualCard(s CardSpec) (*VirtualCard, error) {
	if len(s.Serial) != SerialLen || len(s.MasterKey) == 0 || s.Rand == nil {
		return nil, errors.New("ektp: serial, master key and rand are required")
	}
	id := Identity{NIK: s.NIK, CardSerial: hex.EncodeToString(s.Serial), Issuer: s.Issuer, IssuedAt: s.IssuedAt}
	rec, err := SignRecord(s.Registry, id)
	// Length headers grow at 24 and 256 bytes: a few rounds settle it.
	for i := 0; err == nil && s.RecordLen > 0 && len(rec) != s.RecordLen; i++ {
		n := len(id.Issuer) + s.RecordLen - len(rec)
		if i == 8 || n <= 0 {
			return nil, fmt.Errorf("ektp: no record of exactly %d bytes", s.RecordLen)
		}
		id.Issuer = (id.Issuer + strings.Repeat("-", n))[:n]
		rec, err = SignRecord(s.Registry, id)
	}
	if err != nil {
		return nil, err
	}
	return &VirtualCard{serial: s.Serial, key: CardKey(s.MasterKey, s.Serial), record: rec, rand: s.Rand,
		b: s.Behaviour, gone: make(chan struct{}), muted: make(chan struct{}),
		refuseChallenge: s.Behaviour.RefuseChallenge, refuseAuth: s.Behaviour.RefuseAuth}, nil
}

// Record returns EF 6FF1's record.
func (c *VirtualCard) Record() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.record
}

// Muted is closed when the card received the command it never answers.
func (c *VirtualCard) Muted() <-chan struct{} { return c.muted }

// Removed tells the card it left the reader: a command it never answers
// (Behaviour.MuteAt) returns, so the virtual reader can let it go.
func (c *VirtualCard) Removed() { c.goneOnce.Do(func() { close(c.gone) }) }

// SetRecord replaces EF 6FF1 (tests of forged and copied records).
func (c *VirtualCard) SetRecord(rec []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.record = rec
}

// Reset forgets the selection and the authentication, as a power cycle
// does.
func (c *VirtualCard) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inDF, c.ef, c.challenge, c.authed = false, 0, nil, false
	c.pending = nil
}

// Handle answers one command APDU.
func (c *VirtualCard) Handle(apdu []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commands++
	if c.commands == c.b.MuteAt {
		close(c.muted)
		<-c.gone
		return nil
	}
	if len(apdu) < 4 {
		return sw(swWrongLength)
	}
	if apdu[1] != 0xC0 {
		c.pending = nil // a chain ends with any other command
	}
	if apdu[0] != 0x00 {
		return sw(swClaNotSupported)
	}
	body := apdu[4:]
	switch apdu[1] {
	case 0xA4: // SELECT
		fid, ok := fileID(body)
		switch {
		case !ok:
			return sw(swWrongLength)
		case apdu[2] == 0x01 && fid == DF:
			c.inDF, c.ef = true, 0
			return sw(swOK)
		case apdu[2] == 0x02 && c.inDF && fid >= 0x6FF0 && fid <= 0x6FF6:
			c.ef = fid
			return sw(swOK)
		}
		return sw(swFileNotFound)
	case 0xB0: // READ BINARY
		return c.readBinary(apdu)
	case 0xC0: // GET RESPONSE
		return c.getResponse(apdu)
	case 0x84: // GET CHALLENGE
		if len(body) != 1 || body[0] != ChallengeLen {
			return sw(0x6C00 | ChallengeLen)
		}
		if len(c.refuseChallenge) > 0 {
			w := c.refuseChallenge[0]
			c.refuseChallenge, c.challenge = c.refuseChallenge[1:], nil
			return sw(w)
		}
		c.challenge = make([]byte, ChallengeLen)
		if _, err := io.ReadFull(c.rand, c.challenge); err != nil {
			return sw(0x6F00)
		}
		return append(append([]byte{}, c.challenge...), 0x90, 0x00)
	case 0x82: // EXTERNAL AUTHENTICATE
		if len(c.refuseAuth) > 0 {
			w := c.refuseAuth[0]
			c.refuseAuth, c.challenge = c.refuseAuth[1:], nil
			return sw(w)
		}
		want := Cryptogram(c.key, c.challenge, c.serial)
		got := body
		if len(got) > 0 {
			got = got[1:]
		}
		ok := c.challenge != nil && hmac.Equal(got, want)
		c.challenge = nil // one attempt per challenge
		if !ok {
			return sw(swAuthFailed)
		}
		c.authed = true
		return sw(swOK)
	}
	return sw(swInsNotSupported)
}

func (c *VirtualCard) readBinary(apdu []byte) []byte {
	var file []byte
	switch {
	case c.ef == EFCardInfo:
		file = c.serial
	case c.ef == EFIdentity && !c.authed:
		return sw(swSecurityStatus)
	case c.ef == EFIdentity:
		file = c.record
		switch pad := c.b.FileSize - len(file); {
		case pad > 0:
			file = append(append([]byte{}, file...), bytes.Repeat([]byte{c.b.Pad}, pad)...)
		case c.b.FileSize > 0:
			file = file[:c.b.FileSize] // a file too small for its record
		}
	case c.ef != 0 && !c.authed:
		return sw(swSecurityStatus)
	default:
		return sw(swFileNotFound) // nothing selected, or a reserved EF
	}
	if len(apdu) != 5 {
		return sw(swWrongLength)
	}
	off := int(apdu[2])<<8 | int(apdu[3])
	le := int(apdu[4])
	if le == 0 {
		le = 256
	}
	if off >= len(file) {
		switch c.b.PastEnd {
		case 0:
			return sw(swWrongOffset)
		case swOK:
			return sw(swOK) // an answer without data
		}
		return sw(c.b.PastEnd)
	}
	rest := file[off:]
	n, final := le, uint16(swOK)
	switch {
	case c.b.WholeFile:
		n = len(rest)
	case le > len(rest) && c.b.EOFWarning:
		n, final = len(rest), swEndOfFile
	case le > len(rest) && (c.b.Chunk > 0 || c.b.ChainStep > 0):
		n = len(rest) // a short answer, 9000
	case le > len(rest):
		return sw(0x6C00 | uint16(len(rest))) // T=0: wrong Le, here is the right one
	}
	if c.b.Chunk > 0 && n > c.b.Chunk {
		n, final = c.b.Chunk, swOK // the file goes on after this chunk
	}
	if c.b.ChainStep > 0 {
		c.pending, c.final = append([]byte{}, rest[:n]...), final
		return sw(c.announce())
	}
	return append(append([]byte{}, rest[:n]...), byte(final>>8), byte(final))
}

// announce is the 61xx that tells how many chained bytes the next GET
// RESPONSE gets.
func (c *VirtualCard) announce() uint16 {
	next := min(c.b.ChainStep, len(c.pending))
	if c.b.WrongLeMidChain && next == len(c.pending) {
		return 0x6100 // "some bytes": the GET RESPONSE for 256 gets 6Cxx
	}
	return 0x6100 | uint16(byte(next))
}

// getResponse hands out the next step of a chained answer.
func (c *VirtualCard) getResponse(apdu []byte) []byte {
	if c.pending == nil {
		return sw(swConditions)
	}
	if len(apdu) != 5 {
		return sw(swWrongLength)
	}
	le := int(apdu[4])
	if le == 0 {
		le = 256
	}
	next := min(c.b.ChainStep, len(c.pending))
	if le != next {
		return sw(0x6C00 | uint16(byte(next)))
	}
	out := append([]byte{}, c.pending[:next]...)
	if c.pending = c.pending[next:]; len(c.pending) > 0 {
		w := c.announce()
		return append(out, byte(w>>8), byte(w))
	}
	c.pending = nil
	return append(out, byte(c.final>>8), byte(c.final))
}

// VirtualSAM is the SAM of the emulation profile: it holds the master key
// and answers COMPUTE AUTHENTICATION (80 8A) the T=0 way, 6110 then GET
// RESPONSE.
type VirtualSAM struct {
	masterKey []byte

	mu      sync.Mutex
	pending []byte
	refuse  bool
}

// NewVirtualSAM returns a SAM holding masterKey.
func NewVirtualSAM(masterKey []byte) *VirtualSAM { return &VirtualSAM{masterKey: masterKey} }

// Refuse makes the SAM answer 6982 (e.g. locked by the issuer).
func (s *VirtualSAM) Refuse(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = refuse
}

// Reset drops a pending response.
func (s *VirtualSAM) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = nil
}

// Handle answers one command APDU.
func (s *VirtualSAM) Handle(apdu []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(apdu) >= 5 && apdu[0] == 0x80 && apdu[1] == 0x8A:
		if s.refuse {
			return sw(swSecurityStatus)
		}
		lc := int(apdu[4])
		if lc != ChallengeLen+SerialLen || len(apdu) < 5+lc {
			return sw(swWrongLength)
		}
		challenge, serial := apdu[5:5+ChallengeLen], apdu[5+ChallengeLen:5+lc]
		s.pending = Cryptogram(CardKey(s.masterKey, serial), challenge, serial)
		return sw(0x6100 | CryptogramLen)
	case len(apdu) == 5 && apdu[0] == 0x00 && apdu[1] == 0xC0:
		if s.pending == nil {
			return sw(0x6985) // conditions of use not satisfied
		}
		if int(apdu[4]) != len(s.pending) {
			return sw(0x6C00 | uint16(len(s.pending)))
		}
		out := append(append([]byte{}, s.pending...), 0x90, 0x00)
		s.pending = nil
		return out
	}
	return sw(swInsNotSupported)
}

func sw(w uint16) []byte { return []byte{byte(w >> 8), byte(w)} }

// fileID reads "Lc=2, FID" from a SELECT body.
func fileID(body []byte) (uint16, bool) {
	if len(body) < 3 || body[0] != 2 {
		return 0, false
	}
	return uint16(body[1])<<8 | uint16(body[2]), true
}
