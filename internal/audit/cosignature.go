package audit

import (
	"context"

	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"golang.org/x/mod/sumdb/tlog"
	"io"
	"strconv"
	"strings"
	"time"
)

// A witness cosigns checkpoints it has checked (C2SP tlog-cosignature,
// cosignature/v1). Its keys are written like note keys, with algorithm
// byte 0x04:
//
//	vkey: <name>+<key ID, 8 hex>+base64(0x04 || Ed25519 public key)
//	skey: PRIVATE+KEY+<name>+<key ID, 8 hex>+base64(0x04 || Ed25519 seed)
//
// where the key ID is the first 4 bytes of SHA-256(name || "\n" || 0x04 ||
// public key). A cosignature is a note signature line
//
//	— <name> base64(key ID || timestamp, 8 bytes big-endian || Ed25519 signature)
//
// over the message "cosignature/v1\ntime <timestamp>\n" followed by the
// checkpoint's body (its note text), timestamp in seconds since 1970 UTC.

const cosigAlg = 0x04

func witnessKeyID(name string, pub ed25519.PublicKey) []byte {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{cosigAlg})
	h.Write(pub)
	return h.Sum(nil)[:4]
}

func validKeyName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "+ \t\n") && len(name) <= 256
}

// GenerateWitnessKey makes a witness key pair named name.
func GenerateWitnessKey(name string, rand io.Reader) (skey, vkey string, err error) {
	if !validKeyName(name) {
		return "", "", fmt.Errorf("audit: witness key name %q", name)
	}
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return "", "", err
	}
	id := hex.EncodeToString(witnessKeyID(name, pub))
	skey = "PRIVATE+KEY+" + name + "+" + id + "+" + base64.StdEncoding.EncodeToString(append([]byte{cosigAlg}, priv.Seed()...))
	vkey = name + "+" + id + "+" + base64.StdEncoding.EncodeToString(append([]byte{cosigAlg}, pub...))
	return skey, vkey, nil
}

func parseWitnessKey(s string, private bool) (name string, id, key []byte, err error) {
	if private {
		var ok bool
		if s, ok = strings.CutPrefix(s, "PRIVATE+KEY+"); !ok {
			return "", nil, nil, errors.New("audit: witness private key lacks PRIVATE+KEY+")
		}
	}
	parts := strings.SplitN(s, "+", 3)
	if len(parts) != 3 || !validKeyName(parts[0]) {
		return "", nil, nil, errors.New("audit: witness key is not name+id+key")
	}
	id, err = hex.DecodeString(parts[1])
	if err != nil || len(id) != 4 {
		return "", nil, nil, errors.New("audit: witness key ID is not 8 hex digits")
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != cosigAlg {
		return "", nil, nil, errors.New("audit: witness key is not a cosignature/v1 Ed25519 key")
	}
	return parts[0], id, raw[1:], nil
}

// Cosigner cosigns checkpoints with a witness's private key.
type Cosigner struct {
	name string
	id   []byte
	priv ed25519.PrivateKey
}

// NewCosigner returns the Cosigner of a witness private key (GenerateWitnessKey).
func NewCosigner(skey string) (*Cosigner, error) {
	name, id, seed, err := parseWitnessKey(skey, true)
	if err != nil {
		return nil, err
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if got := witnessKeyID(name, priv.Public().(ed25519.PublicKey)); string(got) != string(id) {
		return nil, errors.New("audit: witness key ID does not match its key")
	}
	return &Cosigner{name: name, id: id, priv: priv}, nil
}

// Name is the witness's key name, the name in its cosignature lines.
func (c *Cosigner) Name() string { return c.name }

// Cosign returns the cosignature line (ending in a newline) of the
// checkpoint body at time at.
func (c *Cosigner) Cosign(body string, at time.Time) string {
	ts := uint64(at.Unix())
	sig := ed25519.Sign(c.priv, cosignedMessage(body, ts))
	raw := make([]byte, 0, 4+8+ed25519.SignatureSize)
	raw = append(raw, c.id...)
	raw = binary.BigEndian.AppendUint64(raw, ts)
	raw = append(raw, sig...)
	return "\u2014 " + c.name + " " + base64.StdEncoding.EncodeToString(raw) + "\n"
}

func cosignedMessage(body string, ts uint64) []byte {
	return []byte("cosignature/v1\ntime " + strconv.FormatUint(ts, 10) + "\n" + body)
}

// MaxCosignatureLine bounds one cosignature line as stored or received.
const MaxCosignatureLine = 400

// VerifyCosignature checks a cosignature line (as Cosign returns it) over
// the checkpoint body with the witness's vkey and returns its time.
func VerifyCosignature(body, line, vkey string) (time.Time, error) {
	name, id, pub, err := parseWitnessKey(vkey, false)
	if err != nil {
		return time.Time{}, err
	}
	if string(witnessKeyID(name, pub)) != string(id) {
		return time.Time{}, errors.New("audit: witness vkey ID does not match its key")
	}
	if len(line) > MaxCosignatureLine {
		return time.Time{}, errors.New("audit: cosignature line too long")
	}
	rest, ok := strings.CutPrefix(line, "\u2014 "+name+" ")
	if !ok {
		return time.Time{}, fmt.Errorf("audit: not a cosignature by %s", name)
	}
	rest, ok = strings.CutSuffix(rest, "\n")
	if !ok {
		return time.Time{}, errors.New("audit: cosignature line does not end in a newline")
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(rest)
	if err != nil || len(raw) != 4+8+ed25519.SignatureSize || base64.StdEncoding.EncodeToString(raw) != rest {
		return time.Time{}, errors.New("audit: cosignature is not key ID, timestamp and signature in canonical base64")
	}
	if string(raw[:4]) != string(id) {
		return time.Time{}, errors.New("audit: cosignature by another key of the same name")
	}
	ts := binary.BigEndian.Uint64(raw[4:12])
	if ts > 1<<62 || !ed25519.Verify(pub, cosignedMessage(body, ts), raw[12:]) {
		return time.Time{}, errors.New("audit: cosignature does not verify")
	}
	return time.Unix(int64(ts), 0).UTC(), nil
}

// Prove returns the consistency proof from the tree of size old to the
// tree of size n, from the stored hashes (empty when old is 0 or n).
func Prove(ctx context.Context, q Querier, old, n int64) (tlog.TreeProof, error) {
	if old == 0 || old == n {
		return nil, nil
	}
	return tlog.ProveTree(n, old, txHashReader{ctx, q})
}
