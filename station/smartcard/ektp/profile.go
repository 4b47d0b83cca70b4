package ektp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"

	"github.com/fxamacker/cbor/v2"

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
	serial, err := readEF(ctx, card, EFCardInfo, wholeSerial)
	if err != nil {
		return Identity{}, err
	}
	if len(serial) != SerialLen {
		return Identity{}, ErrNotEKTP.Withf("EF %04X holds %d bytes, want %d", EFCardInfo, len(serial), SerialLen)
	}
	if err := authenticate(ctx, card, sam, serial); err != nil {
		return Identity{}, err
	}
	raw, err := readEF(ctx, card, EFIdentity, wholeItem)
	if err != nil {
		return Identity{}, err
	}
	return e.Verifier.Verify(raw, serial)
}

// authenticate proves the station holds a SAM of the scheme: the card's
// challenge goes to the SAM, the SAM's cryptogram back to the card. A
// card that answers 6982 or 6985 (it lost its challenge, or was not
// ready) gets one more try with a fresh challenge; refusing again, it
// cannot be read (tap again). Only a cryptogram the card rejects with
// another status word (6300) makes it "not genuine".
func authenticate(ctx context.Context, card, sam Channel, serial []byte) error {
	if sam == nil {
		return ErrSAMUnavailable.Withf("no SAM connected")
	}
	var err error
	for range 2 {
		var refused bool
		if refused, err = tryAuthenticate(ctx, card, sam, serial); !refused {
			return err
		}
	}
	return err
}

// refusal reports whether sw is a refusal worth a second try.
func refusal(sw uint16) bool { return sw == swSecurityStatus || sw == swConditions }

// tryAuthenticate is one challenge and its answer. refused says the card
// refused (err is then card_unreadable) and a fresh challenge may pass.
func tryAuthenticate(ctx context.Context, card, sam Channel, serial []byte) (refused bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, station.ErrCardUnreadable.With(err)
	}
	challenge, sw, err := exchange(card, getChallenge())
	switch {
	case err != nil:
		return false, err
	case refusal(sw):
		return true, station.ErrCardUnreadable.Withf("GET CHALLENGE: SW %04X", sw)
	case sw != swOK || len(challenge) != ChallengeLen:
		return false, ErrNotEKTP.Withf("GET CHALLENGE: SW %04X, %d bytes", sw, len(challenge))
	}
	cryptogram, sw, err := exchange(sam, samComputeAuth(challenge, serial))
	if err != nil {
		// The SAM left its slot or never was there: not the citizen's fault.
		return false, ErrSAMUnavailable.With(fault.As(err).Cause)
	}
	if sw != swOK || len(cryptogram) != CryptogramLen {
		return false, ErrSAMUnavailable.Withf("SAM refused: SW %04X, %d bytes", sw, len(cryptogram))
	}
	if err := ctx.Err(); err != nil {
		return false, station.ErrCardUnreadable.With(err)
	}
	_, sw, err = exchange(card, externalAuthenticate(cryptogram))
	switch {
	case err != nil:
		return false, err
	case refusal(sw):
		return true, station.ErrCardUnreadable.Withf("EXTERNAL AUTHENTICATE: SW %04X", sw)
	case sw != swOK:
		return false, ErrCardNotGenuine.Withf("EXTERNAL AUTHENTICATE: SW %04X", sw)
	}
	return false, nil
}

// readEF selects an EF and reads it with READ BINARY (Le 256), each time
// at the offset after the bytes so far, until whole finds a complete
// record in them or the card says the file ended: 6282 with the last
// bytes, 6B00 or 6A86 past the end, or an answer without data. A chunk
// shorter than asked is not the end (cards and readers cut answers to
// their frame size), and an answer longer than asked is taken: only
// maxEFLen bounds the file. What follows the record in a fixed-size EF
// is padding: it is neither read nor returned.
func readEF(ctx context.Context, card Channel, fid uint16, whole func([]byte) (int, bool)) ([]byte, error) {
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
		switch sw {
		case swOK, swEndOfFile:
		case swWrongOffset, swWrongParams:
			return out, nil // past the end: the file ended with the last chunk
		default:
			return nil, ErrNotEKTP.Withf("READ BINARY %04X at %d: SW %04X", fid, len(out), sw)
		}
		if len(out)+len(data) > maxEFLen {
			return nil, ErrNotEKTP.Withf("EF %04X longer than %d bytes", fid, maxEFLen)
		}
		out = append(out, data...)
		if n, ok := whole(out); ok {
			return out[:n], nil
		}
		if sw == swEndOfFile || len(data) == 0 {
			return out, nil
		}
	}
}

// wholeSerial finds the chip serial: the first SerialLen bytes of EF 6FF0.
func wholeSerial(b []byte) (int, bool) { return SerialLen, len(b) >= SerialLen }

// wholeItem finds the identity record: one CBOR data item (a COSE_Sign1)
// at the start of EF 6FF1, complete once its last byte arrived. Bytes
// that are not well-formed CBOR never complete: the file is then read to
// its end and fails verification.
func wholeItem(b []byte) (int, bool) {
	var raw cbor.RawMessage
	rest, err := cbor.UnmarshalFirst(b, &raw)
	if err != nil {
		return 0, false
	}
	return len(b) - len(rest), true
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
