package ektp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// File identifiers of the emulation profile (docs/card-profile.md).
const (
	DF         = 0x7F0A // the e-KTP application
	EFCardInfo = 0x6FF0 // chip serial, readable without authentication
	EFIdentity = 0x6FF1 // the signed identity record
	// 6FF2–6FF6 (photo, signature image, fingerprint templates, extra
	// data) are reserved: the station never reads them.

	ChallengeLen  = 8
	CryptogramLen = 16
	maxEFLen      = 4096
)

// Emulation is the emulation profile's reader side. It implements Profile.
type Emulation struct {
	Verifier *Verifier
}

var _ Profile = (*Emulation)(nil)

// Read selects the application, reads the chip serial, lets the SAM answer
// the card's challenge (EXTERNAL AUTHENTICATE), then reads and verifies the
// identity record. sam may be nil when no SAM is connected.
func (e *Emulation) Read(ctx context.Context, card, sam Channel) (Identity, error) {
	if _, sw, err := exchange(card, selectDF(DF)); err != nil {
		return Identity{}, err
	} else if sw != swOK {
		return Identity{}, ErrNotEKTP.Withf("SELECT DF %04X: SW %04X", DF, sw)
	}
	serial, err := readEF(ctx, card, EFCardInfo)
	if err != nil {
		return Identity{}, err
	}
	if len(serial) != SerialLen {
		return Identity{}, ErrNotEKTP.Withf("EF %04X holds %d bytes, want %d", EFCardInfo, len(serial), SerialLen)
	}
	if err := authenticate(ctx, card, sam, serial); err != nil {
		return Identity{}, err
	}
	raw, err := readEF(ctx, card, EFIdentity)
	if err != nil {
		return Identity{}, err
	}
	return e.Verifier.Verify(raw, serial)
}

// authenticate proves the station holds a SAM of the scheme: the card's
// challenge goes to the SAM, the SAM's cryptogram back to the card.
func authenticate(ctx context.Context, card, sam Channel, serial []byte) error {
	if sam == nil {
		return ErrSAMUnavailable.Withf("no SAM connected")
	}
	if err := ctx.Err(); err != nil {
		return station.ErrCardUnreadable.With(err)
	}
	challenge, sw, err := exchange(card, getChallenge())
	if err != nil {
		return err
	}
	if sw != swOK || len(challenge) != ChallengeLen {
		return ErrNotEKTP.Withf("GET CHALLENGE: SW %04X, %d bytes", sw, len(challenge))
	}
	cryptogram, sw, err := exchange(sam, samComputeAuth(challenge, serial))
	if err != nil {
		// The SAM left its slot or never was there: not the citizen's fault.
		return ErrSAMUnavailable.With(fault.As(err).Cause)
	}
	if sw != swOK || len(cryptogram) != CryptogramLen {
		return ErrSAMUnavailable.Withf("SAM refused: SW %04X, %d bytes", sw, len(cryptogram))
	}
	if err := ctx.Err(); err != nil {
		return station.ErrCardUnreadable.With(err)
	}
	_, sw, err = exchange(card, externalAuthenticate(cryptogram))
	if err != nil {
		return err
	}
	if sw != swOK {
		return ErrCardNotGenuine.Withf("EXTERNAL AUTHENTICATE: SW %04X", sw)
	}
	return nil
}

// readEF selects an EF and reads it whole with READ BINARY. The card
// answers 6Cxx when fewer bytes remain than asked; exchange then resends
// with the exact Le, which also marks the end of the file.
func readEF(ctx context.Context, card Channel, fid uint16) ([]byte, error) {
	if _, sw, err := exchange(card, selectEF(fid)); err != nil {
		return nil, err
	} else if sw != swOK {
		return nil, ErrNotEKTP.Withf("SELECT EF %04X: SW %04X", fid, sw)
	}
	var out []byte
	for {
		if err := ctx.Err(); err != nil {
			return nil, station.ErrCardUnreadable.With(err)
		}
		data, sw, err := exchange(card, readBinary(len(out), 0))
		if err != nil {
			return nil, err
		}
		switch {
		case sw == swWrongOffset && len(out) > 0:
			return out, nil // the file ended on a 256-byte boundary
		case sw != swOK:
			return nil, ErrNotEKTP.Withf("READ BINARY %04X at %d: SW %04X", fid, len(out), sw)
		case len(data) > 256:
			return nil, ErrNotEKTP.Withf("READ BINARY %04X: %d bytes for Le 256", fid, len(data))
		}
		out = append(out, data...)
		if len(out) > maxEFLen {
			return nil, ErrNotEKTP.Withf("EF %04X longer than %d bytes", fid, maxEFLen)
		}
		if len(data) < 256 {
			return out, nil
		}
	}
}

// CardKey derives a chip's authentication key from the scheme's master
// key, which only SAMs hold. A chip holds its own key only, so one
// extracted chip key opens no other card.
func CardKey(master, serial []byte) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("anjungan ektp card key v1"))
	m.Write(serial)
	return m.Sum(nil)
}

// Cryptogram is what EXTERNAL AUTHENTICATE carries: the first 16 bytes of
// HMAC-SHA256(card key, "ext-auth" || challenge || serial).
func Cryptogram(cardKey, challenge, serial []byte) []byte {
	m := hmac.New(sha256.New, cardKey)
	m.Write([]byte("ext-auth"))
	m.Write(challenge)
	m.Write(serial)
	return m.Sum(nil)[:CryptogramLen]
}
