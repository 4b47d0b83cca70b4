package account

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's costs. The default (1 pass, 64 MiB, 2 lanes) is
// the second choice of RFC 9106 §4 scaled to a kiosk PC with 2 cores:
// about 50–100 ms a login, and 64 MiB per concurrent attempt, which the
// login throttle bounds.
type Params struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultParams are the costs of new hashes.
func DefaultParams() Params { return Params{Time: 1, Memory: 64 << 10, Threads: 2} }

// Lengths of salts, keys and session ids.
const (
	saltLen = 16
	keyLen  = 32
	idLen   = 32 // 256 bits
)

// Limits on what a stored hash may ask for, so a forged row cannot make
// a login allocate gigabytes.
const (
	maxMemory = 1 << 20 // 1 GiB in KiB
	maxTime   = 16
)

// MaxPassword bounds a password (argon2 takes any length; a form field
// should not).
const MaxPassword = 1024

// MinPassword is the shortest password anjunganctl accepts.
const MinPassword = 12

// Hash returns password's argon2id hash in the PHC string format:
// $argon2id$v=19$m=65536,t=1,p=2$<salt>$<key> (unpadded base64).
func Hash(password string, rand io.Reader, p Params) (string, error) {
	if len(password) > MaxPassword {
		return "", ErrInvalid.Withf("password longer than %d bytes", MaxPassword)
	}
	if p.Time == 0 || p.Memory < 8*uint32(p.Threads) || p.Threads == 0 {
		return "", ErrInvalid.Withf("argon2 parameters %+v", p)
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", ErrInvalid.With(err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Check reports whether password matches the PHC hash encoded. The
// comparison takes the same time wherever the keys differ. A hash that
// does not parse is an error, never a match.
func Check(encoded, password string) (bool, error) {
	if len(password) > MaxPassword {
		return false, nil
	}
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

func parseHash(encoded string) (Params, []byte, []byte, error) {
	bad := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, ErrInvalid.Withf("password hash: %s", why)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return bad("version")
	}
	var p Params
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || n != 3 {
		return bad("parameters")
	}
	if p.Time == 0 || p.Time > maxTime || p.Threads == 0 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory {
		return bad("parameters out of range")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return bad("salt")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return bad("key")
	}
	return p, salt, key, nil
}

// NewSessionID returns a random 256-bit session id for the cookie and
// the hash the store keeps.
func NewSessionID(rand io.Reader) (id, idHash string, err error) {
	b := make([]byte, idLen)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", "", err
	}
	id = base64.RawURLEncoding.EncodeToString(b)
	return id, HashSessionID(id), nil
}

// HashSessionID is the SHA-256 (hex) of a session id as the store keeps
// it. A 256-bit random id needs no salt or slow hash.
func HashSessionID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// NewToken returns a random 256-bit token (base64url), e.g. for CSRF.
func NewToken(rand io.Reader) (string, error) {
	b := make([]byte, idLen)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// SameToken compares two tokens in constant time; empty never matches.
func SameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
