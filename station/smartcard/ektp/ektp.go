// Package ektp is the card profile of the e-KTP: the domain of a card read
// (Identity, the Profile and Vendor contracts, the errors) and the
// emulation profile documented in docs/card-profile.md, with a virtual
// card and SAM that speak it. It imports no PC/SC library: the reader loop
// in station/smartcard hands it Channels.
package ektp

import (
	"context"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// Identity is what a card read yields.
type Identity struct {
	NIK        station.NIK
	CardSerial string // hex; identifies the chip, not the citizen
	Issuer     string
	IssuedAt   time.Time
}

// Channel carries command APDUs to one card and returns its response
// APDUs (data and the two status bytes). Implementations report a card
// that left the reader as an error.
type Channel interface {
	Transmit(apdu []byte) ([]byte, error)
}

// Profile reads an identity from a connected card, with the help of the
// SAM in the second reader slot. The caller holds a transaction on the
// card for the whole call.
type Profile interface {
	Read(ctx context.Context, card, sam Channel) (Identity, error)
}

// Readers names the PC/SC readers a Vendor SDK should use.
type Readers struct {
	Card string // contactless slot
	SAM  string // SAM slot
}

// Vendor is a licensed e-KTP SDK: it does its own PC/SC access and SAM
// protocol and returns the identity. The reader loop calls it once a card
// is present, without connecting to the card itself.
type Vendor interface {
	ReadIdentity(ctx context.Context, r Readers) (Identity, error)
}

// Errors of a card read, besides station.ErrCardUnreadable (the card left
// the reader: tap again).
var (
	ErrNotEKTP = fault.New("card_not_ektp",
		"Kartu ini bukan KTP-el. Tempelkan KTP-el Anda.",
		"This card is not an e-KTP. Please tap your e-KTP.")
	ErrSAMUnavailable = fault.New("card_sam_unavailable",
		"Pembaca KTP-el belum siap. Silakan hubungi petugas atau gunakan tiket QR.",
		"The e-KTP reader is not ready. Please ask an officer or use your QR ticket.")
	ErrCardNotGenuine = fault.New("card_not_genuine",
		"KTP-el ini tidak dapat diverifikasi. Silakan hubungi petugas.",
		"This e-KTP cannot be verified. Please ask an officer.")
)
