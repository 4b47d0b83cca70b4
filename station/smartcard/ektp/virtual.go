package ektp

import (
	"crypto/ed25519"
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"io"
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
// way a T=0 card does: 6Cxx for a wrong Le.
type VirtualCard struct {
	serial []byte
	key    []byte // the chip's own key, derived from the master key
	record []byte // EF 6FF1
	rand   io.Reader

	mu        sync.Mutex
	inDF      bool
	ef        uint16
	challenge []byte
	authed    bool
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
}

// NewVirtualCard personalises a chip: its key from the master key and
// its serial, and the identity record signed with the registry's key.
func NewVirtualCard(s CardSpec) (*VirtualCard, error) {
	if len(s.Serial) != SerialLen || len(s.MasterKey) == 0 || s.Rand == nil {
		return nil, errors.New("ektp: serial, master key and rand are required")
	}
	rec, err := SignRecord(s.Registry, Identity{
		NIK: s.NIK, CardSerial: hex.EncodeToString(s.Serial), Issuer: s.Issuer, IssuedAt: s.IssuedAt,
	})
	if err != nil {
		return nil, err
	}
	return &VirtualCard{serial: s.Serial, key: CardKey(s.MasterKey, s.Serial), record: rec, rand: s.Rand}, nil
}

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
}

// Handle answers one command APDU.
func (c *VirtualCard) Handle(apdu []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(apdu) < 4 {
		return sw(swWrongLength)
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
	case 0x84: // GET CHALLENGE
		if len(body) != 1 || body[0] != ChallengeLen {
			return sw(0x6C00 | ChallengeLen)
		}
		c.challenge = make([]byte, ChallengeLen)
		if _, err := io.ReadFull(c.rand, c.challenge); err != nil {
			return sw(0x6F00)
		}
		return append(append([]byte{}, c.challenge...), 0x90, 0x00)
	case 0x82: // EXTERNAL AUTHENTICATE
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
		return sw(swWrongOffset)
	}
	rest := file[off:]
	if le > len(rest) {
		return sw(0x6C00 | uint16(len(rest))) // T=0: wrong Le, here is the right one
	}
	return append(append([]byte{}, rest[:le]...), 0x90, 0x00)
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
