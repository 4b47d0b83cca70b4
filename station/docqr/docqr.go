// Package docqr signs and verifies the QR code printed on every document
// (see docs/document-qr.md): "DQ1:" + base45 of an untagged COSE_Sign1
// (EdDSA / Ed25519, kid in the protected header) over a CBOR map of the
// document's key fields and the SHA-256 of its canonical content.
package docqr

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/base45"
	"github.com/anjungan/anjungan/station/ticket"
)

// Prefix starts every document QR text; the digit is the format version.
const Prefix = "DQ1:"

// MaxTextLen caps a text before anything is decoded. A QR of the longest
// names is under 500 characters.
const MaxTextLen = 1024

// Errors. Codes are stable.
var (
	ErrInvalid = fault.New("document_qr_invalid",
		"Kode QR ini tidak dapat dibaca atau bukan dari dokumen asli.",
		"This QR code cannot be read or does not come from a genuine document.")
	ErrSign = fault.New("document_qr_sign_failed",
		"Kode QR dokumen tidak dapat dibuat. Silakan hubungi petugas.",
		"The document's QR code could not be made. Please ask an officer.")
)

// IssuedLayout is the form of the issue date (tanggal_terbit, claim 4):
// DD-MM-YYYY, two digits, two digits, four digits, a real date.
const IssuedLayout = "02-01-2006"

// checkIssued refuses an issue date in any other form. The value is not
// quoted: causes go to the log.
func checkIssued(s string) error {
	if t, err := time.Parse(IssuedLayout, s); err != nil || t.Format(IssuedLayout) != s {
		return errors.New("issue date is not a DD-MM-YYYY date")
	}
	return nil
}

// Claims are what a document QR states, once verified.
type Claims struct {
	Type        station.DocumentType
	Number      string // NIK (KTP-el, KIA) or KK number: personal data, show masked
	Name        string // nama, or nama_kepala_keluarga on a KK
	Issued      string // tanggal_terbit, DD-MM-YYYY
	ContentHash []byte // SHA-256 of the canonical content (ContentHash)
	KeyID       string // hex kid of the key that signed it
}

// MaskedNumber is Number with the middle digits hidden, for display.
func (c Claims) MaskedNumber() string {
	if n, err := station.ParseNIK(c.Number); err == nil {
		return n.Masked()
	}
	if len(c.Number) <= 8 {
		return "****"
	}
	masked := []byte(c.Number)
	for i := 4; i < len(masked)-4; i++ {
		masked[i] = '*'
	}
	return string(masked)
}

// payload is the signed CBOR map. Integer keys keep the QR small.
type payload struct {
	Type    string `cbor:"1,keyasint"`
	Number  string `cbor:"2,keyasint"`
	Name    string `cbor:"3,keyasint"`
	Issued  string `cbor:"4,keyasint"`
	Content []byte `cbor:"5,keyasint"`
}

// claimFields names the fields whose values the QR of document type t
// claims, from its registered spec (station.DocumentSpec.QR).
func claimFields(t station.DocumentType) (station.QRClaims, bool) {
	spec, ok := station.SpecOf(t)
	if !ok || spec.QR.Number == "" || spec.QR.Name == "" || spec.QR.Issued == "" {
		return station.QRClaims{}, false
	}
	return spec.QR, true
}

// content is the canonical form of a document that ContentHash hashes:
// every field, every row, and the SHA-256 of every image, in core
// deterministic CBOR (sorted map keys, shortest forms).
type content struct {
	_      struct{} `cbor:",toarray"`
	Domain string   // "anjungan-document-v1": a hash of this form is never confused with another
	Type   string
	Fields map[string]string
	Rows   []map[string]string
	Images map[string][]byte
}

const contentDomain = "anjungan-document-v1"

var (
	detEnc  cbor.EncMode
	claimsD cbor.DecMode
)

func init() {
	var err error
	if detEnc, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	claimsD, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   4, // the minimum cbor allows; the payload is one flat map
		MaxMapPairs:       16,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// ContentHash is the SHA-256 of d's canonical content: its type, fields,
// rows and image hashes. It does not depend on the PDF, which holds the
// QR and so cannot be hashed into it; the PDF is a deterministic function
// of the content and the templates, and its own SHA-256 is in the audit
// log.
func ContentHash(d station.Document) ([]byte, error) {
	// nil and empty encode differently in CBOR; both mean "none" here.
	c := content{Domain: contentDomain, Type: string(d.Type), Fields: d.Fields,
		Rows: make([]map[string]string, len(d.Rows)), Images: map[string][]byte{}}
	if c.Fields == nil {
		c.Fields = map[string]string{}
	}
	for i, r := range d.Rows {
		c.Rows[i] = r
		if r == nil {
			c.Rows[i] = map[string]string{}
		}
	}
	for k, img := range d.Images {
		if len(img) == 0 {
			continue // a missing image and an empty one are the same
		}
		sum := sha256.Sum256(img)
		c.Images[k] = sum[:]
	}
	b, err := detEnc.Marshal(c)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

// Signer signs document QRs with the station's document key.
type Signer struct {
	kid   []byte
	cose  cose.Signer
	keyID string
}

// NewSigner returns a signer for key (see ticket.LoadPrivateKey for the
// file var/keys/document.key).
func NewSigner(key ed25519.PrivateKey) (*Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, ErrSign.Withf("key has %d bytes", len(key))
	}
	s, err := cose.NewSigner(cose.AlgorithmEdDSA, key)
	if err != nil {
		return nil, ErrSign.With(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	keyID := ticket.KeyID(pub)
	kid, _ := hex.DecodeString(keyID)
	return &Signer{kid: kid, cose: s, keyID: keyID}, nil
}

// KeyID is the hex kid the signer puts in every QR.
func (s *Signer) KeyID() string { return s.keyID }

// Sign returns the QR text of d. Ed25519 signatures are deterministic, so
// the same document always gives the same text, and its PDF the same
// bytes.
func (s *Signer) Sign(d station.Document) (string, error) {
	claim, ok := claimFields(d.Type)
	if !ok {
		return "", ErrSign.Withf("unknown document type %q", d.Type)
	}
	p := payload{Type: string(d.Type), Number: d.Fields[claim.Number], Name: d.Fields[claim.Name], Issued: d.Fields[claim.Issued]}
	if p.Number == "" || p.Name == "" || p.Issued == "" {
		return "", ErrSign.Withf("%s, %s and %s are required", claim.Number, claim.Name, claim.Issued)
	}
	if err := checkIssued(p.Issued); err != nil {
		return "", ErrSign.With(err)
	}
	var err error
	if p.Content, err = ContentHash(d); err != nil {
		return "", ErrSign.With(err)
	}
	b, err := detEnc.Marshal(p)
	if err != nil {
		return "", ErrSign.With(err)
	}
	msg := cose.UntaggedSign1Message{
		Headers: cose.Headers{Protected: cose.ProtectedHeader{
			cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA,
			cose.HeaderLabelKeyID:     s.kid,
		}},
		Payload: b,
	}
	if err := msg.Sign(nil, nil, s.cose); err != nil {
		return "", ErrSign.With(err)
	}
	raw, err := msg.MarshalCBOR()
	if err != nil {
		return "", ErrSign.With(err)
	}
	text := Prefix + base45.Encode(raw)
	if len(text) > MaxTextLen {
		return "", ErrSign.Withf("QR text of %d bytes exceeds %d", len(text), MaxTextLen)
	}
	return text, nil
}

// Verifier checks document QR texts offline against pinned public keys
// (kid → key, see ticket.KeyID and ticket.LoadPublicKey for
// var/keys/document.pub).
type Verifier struct {
	Keys ticket.KeySet
}

// Verify checks text in this order: prefix, length cap, base45, COSE
// decode, pinned key by kid and only EdDSA, signature, then the claims
// (duplicate keys, unknown keys and nesting refused). Every failure is
// ErrInvalid with the reason as cause.
func (v *Verifier) Verify(text string) (Claims, error) {
	if len(text) < len(Prefix) || text[:len(Prefix)] != Prefix {
		return Claims{}, ErrInvalid.Withf("missing %s prefix", Prefix)
	}
	if len(text) > MaxTextLen {
		return Claims{}, ErrInvalid.Withf("text of %d bytes exceeds %d", len(text), MaxTextLen)
	}
	raw, err := base45.Decode(text[len(Prefix):])
	if err != nil {
		return Claims{}, ErrInvalid.With(err)
	}
	var msg cose.UntaggedSign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		return Claims{}, ErrInvalid.With(fmt.Errorf("cose: %w", err))
	}
	if msg.Payload == nil {
		return Claims{}, ErrInvalid.Withf("detached payload")
	}
	pub, kid, err := v.key(&msg)
	if err != nil {
		return Claims{}, ErrInvalid.With(err)
	}
	cv, err := cose.NewVerifier(cose.AlgorithmEdDSA, pub)
	if err != nil {
		return Claims{}, ErrInvalid.With(err)
	}
	if err := msg.Verify(nil, cv); err != nil {
		return Claims{}, ErrInvalid.With(fmt.Errorf("signature: %w", err))
	}
	var p payload
	if err := claimsD.Unmarshal(msg.Payload, &p); err != nil {
		return Claims{}, ErrInvalid.With(fmt.Errorf("claims: %w", err))
	}
	t := station.DocumentType(p.Type)
	switch {
	case !t.Valid():
		return Claims{}, ErrInvalid.Withf("unknown document type %q", p.Type)
	case p.Number == "" || p.Name == "" || p.Issued == "":
		return Claims{}, ErrInvalid.Withf("a key field is missing")
	case len(p.Content) != sha256.Size:
		return Claims{}, ErrInvalid.Withf("content hash has %d bytes", len(p.Content))
	}
	if err := checkIssued(p.Issued); err != nil {
		return Claims{}, ErrInvalid.With(err)
	}
	return Claims{Type: t, Number: p.Number, Name: p.Name, Issued: p.Issued, ContentHash: p.Content, KeyID: kid}, nil
}

// key checks the headers (alg EdDSA and a kid, nothing else) and returns
// the pinned key for the kid.
func (v *Verifier) key(msg *cose.UntaggedSign1Message) (ed25519.PublicKey, string, error) {
	if len(msg.Headers.Unprotected) != 0 {
		return nil, "", errors.New("unprotected header not empty")
	}
	alg, err := msg.Headers.Protected.Algorithm()
	if err != nil {
		return nil, "", fmt.Errorf("alg: %w", err)
	}
	if alg != cose.AlgorithmEdDSA {
		return nil, "", fmt.Errorf("alg %v not allowed", alg)
	}
	kid, ok := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	if !ok || len(kid) == 0 {
		return nil, "", errors.New("missing kid")
	}
	for label := range msg.Headers.Protected {
		if label != cose.HeaderLabelAlgorithm && label != cose.HeaderLabelKeyID {
			return nil, "", fmt.Errorf("unexpected protected header %v", label)
		}
	}
	id := hex.EncodeToString(kid)
	pub, ok := v.Keys[id]
	if !ok {
		return nil, "", fmt.Errorf("unknown kid %s", id)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, "", fmt.Errorf("pinned key %s has %d bytes", id, len(pub))
	}
	return pub, id, nil
}
