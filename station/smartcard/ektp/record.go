package ektp

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/ticket"
)

// Identity record format (docs/card-profile.md): EF 6FF1 holds an untagged
// COSE_Sign1, EdDSA, whose protected header carries exactly alg, kid
// (first 8 bytes of SHA-256 of the public key, as in tickets) and this
// content type. The content type keeps a record from ever passing as a
// ticket and a ticket from passing as a record, though both are signed by
// the registry's key.
const (
	ContentType   = "application/vnd.anjungan.ektp-identity+cbor"
	MaxRecordLen  = 1024 // longer records are refused before decoding
	recordVersion = 1
	SerialLen     = 8
)

// record is the payload: a CBOR map in core deterministic encoding.
type record struct {
	Version  int    `cbor:"1,keyasint"`
	NIK      string `cbor:"2,keyasint"`
	Serial   []byte `cbor:"3,keyasint"` // binds the record to its chip
	IssuedAt int64  `cbor:"4,keyasint"` // unix seconds
	Issuer   string `cbor:"5,keyasint"`
}

var (
	recordEnc cbor.EncMode
	recordDec cbor.DecMode
)

func init() {
	var err error
	if recordEnc, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	recordDec, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   4,
		MaxMapPairs:       16,
		MaxArrayElements:  16,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// SignRecord makes the identity record the registry writes to EF 6FF1 at
// personalisation.
func SignRecord(key ed25519.PrivateKey, id Identity) ([]byte, error) {
	serial, err := hex.DecodeString(id.CardSerial)
	if err != nil || len(serial) != SerialLen {
		return nil, fmt.Errorf("ektp: card serial must be %d bytes of hex", SerialLen)
	}
	if len(key) != ed25519.PrivateKeySize || id.NIK.IsZero() || id.Issuer == "" || id.IssuedAt.Unix() <= 0 {
		return nil, errors.New("ektp: key, NIK, issuer and issue time are required")
	}
	payload, err := recordEnc.Marshal(record{
		Version:  recordVersion,
		NIK:      id.NIK.Reveal(),
		Serial:   serial,
		IssuedAt: id.IssuedAt.Unix(),
		Issuer:   id.Issuer,
	})
	if err != nil {
		return nil, err
	}
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, key)
	if err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	kid, _ := hex.DecodeString(ticket.KeyID(pub))
	headers := cose.Headers{Protected: cose.ProtectedHeader{
		cose.HeaderLabelAlgorithm:   cose.AlgorithmEdDSA,
		cose.HeaderLabelKeyID:       kid,
		cose.HeaderLabelContentType: ContentType,
	}}
	return cose.Sign1Untagged(nil, signer, headers, payload, nil)
}

// Verifier checks identity records offline against the registry's pinned
// keys (the same key set as tickets: ticket.KeySet).
type Verifier struct {
	Keys ticket.KeySet
}

// Verify checks raw, read from a chip whose EF 6FF0 gave serial, and
// returns its identity. Every failure is ErrCardNotGenuine with the
// reason as cause.
func (v *Verifier) Verify(raw, serial []byte) (Identity, error) {
	bad := ErrCardNotGenuine
	if len(raw) > MaxRecordLen {
		return Identity{}, bad.Withf("record of %d bytes exceeds %d", len(raw), MaxRecordLen)
	}
	var msg cose.UntaggedSign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		return Identity{}, bad.With(fmt.Errorf("cose: %w", err))
	}
	if msg.Payload == nil {
		return Identity{}, bad.Withf("detached payload")
	}
	pub, err := v.key(&msg)
	if err != nil {
		return Identity{}, bad.With(err)
	}
	verifier, err := cose.NewVerifier(cose.AlgorithmEdDSA, pub)
	if err != nil {
		return Identity{}, bad.With(err)
	}
	if err := msg.Verify(nil, verifier); err != nil {
		return Identity{}, bad.With(fmt.Errorf("signature: %w", err))
	}
	id, err := parseRecord(msg.Payload)
	if err != nil {
		return Identity{}, bad.With(err)
	}
	// A genuine record copied onto another chip must not log anyone in.
	if id.CardSerial != hex.EncodeToString(serial) {
		return Identity{}, bad.Withf("record belongs to another chip")
	}
	return id, nil
}

func (v *Verifier) key(msg *cose.UntaggedSign1Message) (ed25519.PublicKey, error) {
	if len(msg.Headers.Unprotected) != 0 {
		return nil, errors.New("unprotected header not empty")
	}
	if len(msg.Headers.Protected) != 3 {
		return nil, fmt.Errorf("%d protected headers, want alg, kid and content type", len(msg.Headers.Protected))
	}
	alg, err := msg.Headers.Protected.Algorithm()
	if err != nil || alg != cose.AlgorithmEdDSA {
		return nil, fmt.Errorf("alg %v not allowed (%v)", alg, err)
	}
	if ct, _ := msg.Headers.Protected[cose.HeaderLabelContentType].(string); ct != ContentType {
		return nil, fmt.Errorf("content type %q", ct)
	}
	kid, ok := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	if !ok || len(kid) == 0 {
		return nil, errors.New("missing kid")
	}
	pub, ok := v.Keys[hex.EncodeToString(kid)]
	if !ok {
		return nil, fmt.Errorf("unknown kid %x", kid)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("pinned key %x has %d bytes", kid, len(pub))
	}
	return pub, nil
}

// parseRecord decodes and checks the payload.
func parseRecord(payload []byte) (Identity, error) {
	var r record
	if err := recordDec.Unmarshal(payload, &r); err != nil {
		return Identity{}, fmt.Errorf("record: %w", err)
	}
	// Re-encoding must give the same bytes: only core deterministic CBOR
	// is accepted, so one identity has one encoding.
	if again, err := recordEnc.Marshal(r); err != nil || !bytes.Equal(again, payload) {
		return Identity{}, errors.New("record: not in core deterministic encoding")
	}
	switch {
	case r.Version != recordVersion:
		return Identity{}, fmt.Errorf("record: version %d", r.Version)
	case len(r.Serial) != SerialLen:
		return Identity{}, fmt.Errorf("record: serial of %d bytes", len(r.Serial))
	case r.IssuedAt <= 0:
		return Identity{}, errors.New("record: missing issue time")
	case r.Issuer == "":
		return Identity{}, errors.New("record: missing issuer")
	}
	nik, err := station.ParseNIK(r.NIK)
	if err != nil {
		return Identity{}, fmt.Errorf("record: %w", err)
	}
	return Identity{
		NIK:        nik,
		CardSerial: hex.EncodeToString(r.Serial),
		Issuer:     r.Issuer,
		IssuedAt:   time.Unix(r.IssuedAt, 0).UTC(),
	}, nil
}
