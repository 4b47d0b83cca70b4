// Package ticket reads and writes the signed QR ticket the upstream issues
// after an approval (docs/ticket.md): "TK1:" + base45 of an untagged
// COSE_Sign1 signed with Ed25519, whose payload is a CWT claims map in core
// deterministic CBOR. The ticket is signed, not encrypted, so it carries no
// readable NIK: only a keyed binding the upstream can check.
package ticket

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/anjungan/anjungan/station/base45"
	"io"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// Format constants.
const (
	Prefix     = "TK1:" // version 1 of the ticket text
	MaxTextLen = 1024   // longer texts are refused before any decoding

	// DefaultSkew is the clock difference tolerated between the issuer
	// and the kiosk.
	DefaultSkew = 2 * time.Minute

	idLen      = 16 // cti bytes
	bindingLen = 16 // truncated HMAC-SHA256
)

// ErrIssue is returned when a ticket cannot be issued (bad request or key).
var ErrIssue = fault.New("ticket_issue_failed",
	"Tiket tidak dapat dibuat. Silakan hubungi petugas.",
	"The ticket could not be issued. Please ask an officer.")

// KeySet pins the issuer keys a kiosk trusts, by key id.
type KeySet map[string]ed25519.PublicKey

// KeyID names pub: hex of the first 8 bytes of its SHA-256. The ticket's
// kid header holds those 8 raw bytes.
func KeyID(pub ed25519.PublicKey) string { return hex.EncodeToString(keyIDBytes(pub)) }

func keyIDBytes(pub ed25519.PublicKey) []byte {
	sum := sha256.Sum256(pub)
	return sum[:8]
}

// Binding is the ticket's NIK binding: the first 16 bytes of
// HMAC-SHA256(bindingKey, NIK digits). Only the holder of the binding key
// (the upstream) can link a ticket to a NIK; a NIK alone, whose digits are
// guessable from region and birth date, is not enough.
func Binding(bindingKey []byte, nik station.NIK) []byte {
	m := hmac.New(sha256.New, bindingKey)
	m.Write([]byte(nik.Reveal()))
	return m.Sum(nil)[:bindingLen]
}

// claims is the CWT claims map (RFC 8392 keys); the approval sits in the
// private claim -70001.
type claims struct {
	Issuer    string   `cbor:"1,keyasint"`
	Expires   int64    `cbor:"4,keyasint"`
	NotBefore int64    `cbor:"5,keyasint,omitempty"`
	IssuedAt  int64    `cbor:"6,keyasint"`
	ID        []byte   `cbor:"7,keyasint"`
	Approval  approval `cbor:"-70001,keyasint"`
}

// approval is the private claim -70001.
type approval struct {
	Registration string   `cbor:"1,keyasint"`
	Documents    []string `cbor:"2,keyasint"`
	Binding      []byte   `cbor:"3,keyasint"`
	Site         string   `cbor:"4,keyasint,omitempty"`
}

var (
	claimsEnc cbor.EncMode
	claimsDec cbor.DecMode
)

func init() {
	var err error
	if claimsEnc, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	claimsDec, err = cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  4, // claims map > approval map > documents array
		MaxArrayElements: 16,
		MaxMapPairs:      16,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// Verifier checks ticket texts offline against pinned keys. It implements
// station.TicketVerifier.
type Verifier struct {
	Keys KeySet
	// Skew is the clock difference tolerated on iat, nbf and exp.
	Skew time.Duration
	// Site, when set, refuses tickets restricted to another site. Tickets
	// without a restriction are valid everywhere.
	Site string
}

var _ station.TicketVerifier = (*Verifier)(nil)

// Verify checks text in the order of docs/ticket.md and returns the
// ticket. A text without the prefix is station.ErrNotATicket (another
// QR code); every other failure is station.ErrTicketInvalid or
// station.ErrTicketExpired with the reason as cause. Whether the ticket
// was already used is the upstream's decision, not checked here.
func (v *Verifier) Verify(text string, now time.Time) (station.Ticket, error) {
	invalid := station.ErrTicketInvalid
	if len(text) < len(Prefix) || text[:len(Prefix)] != Prefix {
		return station.Ticket{}, station.ErrNotATicket.Withf("missing %s prefix", Prefix)
	}
	if len(text) > MaxTextLen {
		return station.Ticket{}, invalid.Withf("text of %d bytes exceeds %d", len(text), MaxTextLen)
	}
	raw, err := base45.Decode(text[len(Prefix):])
	if err != nil {
		return station.Ticket{}, invalid.With(err)
	}
	var msg cose.UntaggedSign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		return station.Ticket{}, invalid.With(fmt.Errorf("cose: %w", err))
	}
	if msg.Payload == nil {
		return station.Ticket{}, invalid.Withf("detached payload")
	}
	pub, err := v.key(&msg)
	if err != nil {
		return station.Ticket{}, invalid.With(err)
	}
	verifier, err := cose.NewVerifier(cose.AlgorithmEdDSA, pub)
	if err != nil {
		return station.Ticket{}, invalid.With(err)
	}
	if err := msg.Verify(nil, verifier); err != nil {
		return station.Ticket{}, invalid.With(fmt.Errorf("signature: %w", err))
	}
	t, err := parseClaims(msg.Payload)
	if err != nil {
		return station.Ticket{}, invalid.With(err)
	}
	if v.Site != "" && t.Site != "" && t.Site != v.Site {
		return station.Ticket{}, invalid.Withf("ticket restricted to another site")
	}
	switch {
	case t.IssuedAt.After(now.Add(v.Skew)):
		return station.Ticket{}, invalid.Withf("issued in the future")
	case !t.NotBefore.IsZero() && t.NotBefore.After(now.Add(v.Skew)):
		return station.Ticket{}, invalid.Withf("not valid before %s", t.NotBefore.Format(time.RFC3339))
	case !now.Add(-v.Skew).Before(t.Expires):
		return station.Ticket{}, station.ErrTicketExpired.Withf("expired at %s", t.Expires.Format(time.RFC3339))
	}
	return t, nil
}

// key checks the protected header (alg EdDSA, a kid, nothing else; an
// empty unprotected header) and returns the pinned key for the kid.
func (v *Verifier) key(msg *cose.UntaggedSign1Message) (ed25519.PublicKey, error) {
	if len(msg.Headers.Unprotected) != 0 {
		return nil, errors.New("unprotected header not empty")
	}
	alg, err := msg.Headers.Protected.Algorithm()
	if err != nil {
		return nil, fmt.Errorf("alg: %w", err)
	}
	if alg != cose.AlgorithmEdDSA {
		return nil, fmt.Errorf("alg %v not allowed", alg)
	}
	kid, ok := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	if !ok || len(kid) == 0 {
		return nil, errors.New("missing kid")
	}
	for label := range msg.Headers.Protected {
		if label != cose.HeaderLabelAlgorithm && label != cose.HeaderLabelKeyID {
			return nil, fmt.Errorf("unexpected protected header %v", label)
		}
	}
	pub, ok := v.Keys[hex.EncodeToString(kid)]
	if !ok {
		return nil, fmt.Errorf("unknown kid %x", kid)
	}
	// ed25519.Verify panics on a key of the wrong size.
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("pinned key %x has %d bytes", kid, len(pub))
	}
	return pub, nil
}

// parseClaims decodes and checks the claims map.
func parseClaims(payload []byte) (station.Ticket, error) {
	var c claims
	if err := claimsDec.Unmarshal(payload, &c); err != nil {
		return station.Ticket{}, fmt.Errorf("claims: %w", err)
	}
	switch {
	case c.Issuer == "":
		return station.Ticket{}, errors.New("claims: missing iss")
	case c.IssuedAt <= 0 || c.Expires <= 0:
		return station.Ticket{}, errors.New("claims: missing iat or exp")
	case c.Expires <= c.IssuedAt:
		return station.Ticket{}, errors.New("claims: exp not after iat")
	case c.NotBefore < 0:
		return station.Ticket{}, errors.New("claims: negative nbf")
	case len(c.ID) != idLen:
		return station.Ticket{}, fmt.Errorf("claims: cti of %d bytes", len(c.ID))
	case c.Approval.Registration == "":
		return station.Ticket{}, errors.New("claims: missing registration number")
	case len(c.Approval.Binding) != bindingLen:
		return station.Ticket{}, fmt.Errorf("claims: NIK binding of %d bytes", len(c.Approval.Binding))
	}
	docs, err := documentTypes(c.Approval.Documents)
	if err != nil {
		return station.Ticket{}, fmt.Errorf("claims: %w", err)
	}
	t := station.Ticket{
		ID:           hex.EncodeToString(c.ID),
		Issuer:       c.Issuer,
		IssuedAt:     time.Unix(c.IssuedAt, 0).UTC(),
		Expires:      time.Unix(c.Expires, 0).UTC(),
		Registration: c.Approval.Registration,
		Documents:    docs,
		NIKBinding:   c.Approval.Binding,
		Site:         c.Approval.Site,
	}
	if c.NotBefore > 0 {
		t.NotBefore = time.Unix(c.NotBefore, 0).UTC()
	}
	return t, nil
}

// documentTypes checks a list of document types: known, not empty, no
// duplicates.
func documentTypes(names []string) ([]station.DocumentType, error) {
	if len(names) == 0 {
		return nil, errors.New("no document types")
	}
	docs := make([]station.DocumentType, 0, len(names))
	for _, n := range names {
		d := station.DocumentType(n)
		if !d.Valid() {
			return nil, fmt.Errorf("unknown document type %q", n)
		}
		for _, seen := range docs {
			if seen == d {
				return nil, fmt.Errorf("duplicate document type %q", n)
			}
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// IssueRequest is what a ticket says.
type IssueRequest struct {
	Registration string
	Documents    []station.DocumentType
	NIK          station.NIK
	Site         string    // optional site restriction
	IssuedAt     time.Time // truncated to whole seconds
	NotBefore    time.Time // optional
	Expires      time.Time
}

// Issuer signs tickets. The upstream (and registry-sim) holds it; a kiosk
// never does.
type Issuer struct {
	Key        ed25519.PrivateKey
	Issuer     string
	BindingKey []byte
	Rand       io.Reader // source of the ticket id
}

// Issue signs a ticket for c and returns its text and its verified form.
func (is *Issuer) Issue(c IssueRequest) (string, station.Ticket, error) {
	if len(is.Key) != ed25519.PrivateKeySize {
		return "", station.Ticket{}, ErrIssue.Withf("no signing key")
	}
	if is.Issuer == "" || len(is.BindingKey) == 0 || is.Rand == nil {
		return "", station.Ticket{}, ErrIssue.Withf("issuer, binding key and rand are required")
	}
	if c.Registration == "" || c.NIK.IsZero() {
		return "", station.Ticket{}, ErrIssue.Withf("registration number and NIK are required")
	}
	names := make([]string, len(c.Documents))
	for i, d := range c.Documents {
		names[i] = string(d)
	}
	if _, err := documentTypes(names); err != nil {
		return "", station.Ticket{}, ErrIssue.With(err)
	}
	if c.IssuedAt.Unix() <= 0 || !c.Expires.After(c.IssuedAt) {
		return "", station.Ticket{}, ErrIssue.Withf("expiry must follow issue time")
	}
	id := make([]byte, idLen)
	if _, err := io.ReadFull(is.Rand, id); err != nil {
		return "", station.Ticket{}, ErrIssue.With(err)
	}
	cl := claims{
		Issuer:   is.Issuer,
		Expires:  c.Expires.Unix(),
		IssuedAt: c.IssuedAt.Unix(),
		ID:       id,
		Approval: approval{
			Registration: c.Registration,
			Documents:    names,
			Binding:      Binding(is.BindingKey, c.NIK),
			Site:         c.Site,
		},
	}
	if !c.NotBefore.IsZero() {
		cl.NotBefore = c.NotBefore.Unix()
	}
	payload, err := claimsEnc.Marshal(cl)
	if err != nil {
		return "", station.Ticket{}, ErrIssue.With(err)
	}
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, is.Key)
	if err != nil {
		return "", station.Ticket{}, ErrIssue.With(err)
	}
	headers := cose.Headers{Protected: cose.ProtectedHeader{
		cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA,
		cose.HeaderLabelKeyID:     keyIDBytes(is.Key.Public().(ed25519.PublicKey)),
	}}
	// Ed25519 signatures are deterministic: the signer needs no rand.
	raw, err := cose.Sign1Untagged(nil, signer, headers, payload, nil)
	if err != nil {
		return "", station.Ticket{}, ErrIssue.With(err)
	}
	text := Prefix + base45.Encode(raw)
	if len(text) > MaxTextLen {
		return "", station.Ticket{}, ErrIssue.Withf("ticket of %d bytes exceeds %d", len(text), MaxTextLen)
	}
	t, err := parseClaims(payload)
	if err != nil {
		return "", station.Ticket{}, ErrIssue.With(err)
	}
	return text, t, nil
}
