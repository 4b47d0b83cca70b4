// Package fingerprint is the second factor after a card read: a Matcher
// compares a sample from the kiosk's sensor with the citizen's enrolment,
// and a Simulated matcher stands in for the real one (which needs the
// registry's templates and a licensed algorithm) in tests and demos.
package fingerprint

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// Matcher compares a fingerprint sample with the enrolment of nik (the
// interface is the station's, where it is consumed). It
// returns true and nil for a match. A sample that does not match returns
// false and ErrNoMatch (its cause is the Remaining attempts) or, when no
// attempts are left, ErrLocked; other failures return false and another
// *fault.Error. It never returns false with a nil error.
type Matcher = station.FingerprintMatcher

// Errors of a fingerprint match, the station's own: the kiosk shows the
// copies Match returns, which give the attempts left or the time to wait.
var (
	ErrNoMatch = station.ErrFingerprintNoMatch
	ErrLocked  = station.ErrFingerprintLocked
)

// Remaining is the cause of an ErrNoMatch: the attempts left before the
// lockout. Get it with errors.As.
type Remaining = station.AttemptsLeft

// LockedUntil is the cause of an ErrLocked: when attempts are allowed again.
type LockedUntil time.Time

func (l LockedUntil) Error() string { return "locked until " + time.Time(l).UTC().Format(time.RFC3339) }

func noMatch(left int) *fault.Error { return station.FingerprintNoMatch(left) }

func locked(until time.Time, wait time.Duration) *fault.Error {
	mins := int((wait + time.Minute - 1) / time.Minute) // rounded up: never promise too early
	e := ErrLocked.With(LockedUntil(until))
	e.ID = fmt.Sprintf("Terlalu banyak percobaan sidik jari. Silakan coba lagi dalam %d menit, gunakan PIN, atau hubungi petugas.", mins)
	e.EN = fmt.Sprintf("Too many fingerprint attempts. Please try again in %d minutes, use your PIN, or ask an officer.", mins)
	if mins == 1 {
		e.EN = "Too many fingerprint attempts. Please try again in 1 minute, use your PIN, or ask an officer."
	}
	return e
}

// templateLabel separates simulated templates from any other hash of a NIK.
const templateLabel = "anjungan simulated fingerprint v1\n"

// Template is the enrolment template the Simulated matcher expects for
// nik: SHA-256 of templateLabel followed by the 16 digits. A demo makes
// one with
//
//	printf 'anjungan simulated fingerprint v1\n%s' 3171012503900001 | sha256sum
//
// (the sample is the 32 raw bytes, not the hex). Anyone who knows a NIK
// can compute it: it is for tests and demos, never a kiosk in service.
func Template(nik station.NIK) []byte {
	h := sha256.New()
	h.Write([]byte(templateLabel))
	h.Write([]byte(nik.Reveal()))
	return h.Sum(nil)
}

// SimulatedConfig configures a Simulated matcher.
type SimulatedConfig struct {
	Now      func() time.Time // default time.Now
	Rand     io.Reader        // the key of the NIK hashes; default crypto/rand
	Attempts int              // failed attempts before the lockout; default and at most 4
	Lockout  time.Duration    // default 15 min
}

// Simulated is a deterministic Matcher: a sample matches when it equals
// Template(nik). It allows Attempts failed attempts per NIK, then refuses
// every attempt for Lockout. A match resets the count, and so does a
// Lockout period without failures. It keeps only an HMAC of each NIK,
// under a key made at start, and forgets it once it has nothing to count.
type Simulated struct {
	now      func() time.Time
	key      []byte
	attempts int
	lockout  time.Duration

	mu    sync.Mutex
	state map[[sha256.Size]byte]*tries
}

// tries is what Simulated remembers of one NIK.
type tries struct {
	failed int
	last   time.Time // of the last failure
}

var _ Matcher = (*Simulated)(nil)

// NewSimulated makes a Simulated matcher.
func NewSimulated(cfg SimulatedConfig) (*Simulated, error) {
	s := &Simulated{now: cfg.Now, attempts: cfg.Attempts, lockout: cfg.Lockout, key: make([]byte, 32),
		state: map[[sha256.Size]byte]*tries{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.attempts <= 0 || s.attempts > 4 {
		s.attempts = 4
	}
	if s.lockout <= 0 {
		s.lockout = 15 * time.Minute
	}
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, s.key); err != nil {
		return nil, fmt.Errorf("fingerprint: key: %w", err)
	}
	return s, nil
}

// Match implements Matcher.
func (s *Simulated) Match(ctx context.Context, nik station.NIK, sample []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fault.Internal.With(err)
	}
	if nik.IsZero() {
		return false, station.ErrNIKInvalid.Withf("no NIK")
	}
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(nik.Reveal()))
	var k [sha256.Size]byte
	mac.Sum(k[:0])

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.forget(now)
	t := s.state[k]
	if t != nil && t.failed >= s.attempts {
		until := t.last.Add(s.lockout)
		return false, locked(until, until.Sub(now))
	}
	if subtle.ConstantTimeCompare(sample, Template(nik)) == 1 {
		delete(s.state, k)
		return true, nil
	}
	if t == nil {
		t = &tries{}
		s.state[k] = t
	}
	t.failed++
	t.last = now
	if t.failed >= s.attempts {
		return false, locked(now.Add(s.lockout), s.lockout)
	}
	return false, noMatch(s.attempts - t.failed)
}

// forget drops the NIKs whose last failure is a Lockout period ago: their
// lockout has ended and their count starts again.
func (s *Simulated) forget(now time.Time) {
	for k, t := range s.state {
		if !now.Before(t.last.Add(s.lockout)) {
			delete(s.state, k)
		}
	}
}
