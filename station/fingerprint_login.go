package station

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// AuthCardFingerprint is a login with an e-KTP tap and a fingerprint
// matched at the station instead of the PIN.
const AuthCardFingerprint AuthMethod = "card_fingerprint"

// MaxFingerprintAttempts is how many fingerprints one card read may try.
const MaxFingerprintAttempts = 4

// Sensor is the kiosk's fingerprint sensor.
type Sensor interface {
	// Capture waits until a finger is placed, or ctx ends, and returns
	// the sample. A sample it cannot read is ErrFingerprintUnreadable.
	Capture(ctx context.Context) ([]byte, error)
}

// FingerprintMatcher compares a sample with the enrolment of nik (the
// reference template of the e-KTP chip or the registry). It returns true
// and nil for a match; false and ErrFingerprintNoMatch (whose cause may
// be an AttemptsLeft) or ErrFingerprintLocked for a miss; false and
// another error when it could not compare. station/fingerprint has one.
type FingerprintMatcher interface {
	Match(ctx context.Context, nik NIK, sample []byte) (bool, error)
}

// FingerprintRegistry is the upstream's login with a card read and a
// fingerprint the station matched (upstream method card_fingerprint). The
// station's registry client implements it next to Registry.
type FingerprintRegistry interface {
	AuthenticateCardFingerprint(ctx context.Context, nik NIK, matcher string) (Authorization, error)
}

// Errors of the fingerprint second factor.
var (
	ErrFingerprintNoMatch = fault.New("fingerprint_no_match",
		"Sidik jari tidak cocok. Silakan coba lagi.",
		"The fingerprint does not match. Please try again.")
	ErrFingerprintLocked = fault.New("fingerprint_locked",
		"Terlalu banyak percobaan sidik jari. Silakan coba lagi nanti, gunakan PIN, atau hubungi petugas.",
		"Too many fingerprint attempts. Please try again later, use your PIN, or ask an officer.")
	ErrFingerprintUnreadable = fault.New("fingerprint_unreadable",
		"Sidik jari tidak terbaca. Angkat jari Anda, lalu letakkan lagi di sensor.",
		"The fingerprint could not be read. Lift your finger and place it on the sensor again.")
)

// ErrFingerprintWaiting says no finger was placed before the wait ended;
// the page simply asks again. It costs no attempt.
var ErrFingerprintWaiting = errors.New("station: no finger yet")

// AttemptsLeft is the cause of an ErrFingerprintNoMatch: the attempts
// left. Get it with errors.As.
type AttemptsLeft int

func (n AttemptsLeft) Error() string { return fmt.Sprintf("%d attempts left", int(n)) }

// FingerprintNoMatch is ErrFingerprintNoMatch telling the citizen how many
// attempts are left.
func FingerprintNoMatch(left int) *Error {
	e := ErrFingerprintNoMatch.With(AttemptsLeft(left))
	e.ID = fmt.Sprintf("Sidik jari tidak cocok. Sisa %d kali percobaan.", left)
	e.EN = fmt.Sprintf("The fingerprint does not match. %d attempts left.", left)
	if left == 1 {
		e.EN = "The fingerprint does not match. 1 attempt left."
	}
	return e
}

// errReadLocked ends a card read after its last fingerprint attempt: the
// citizen taps again and uses the PIN.
var errReadLocked = fault.New(ErrFingerprintLocked.Code,
	"Terlalu banyak percobaan sidik jari. Tempelkan lagi KTP-el Anda dan masuk dengan PIN, atau hubungi petugas.",
	"Too many fingerprint attempts. Tap your e-KTP again and log in with your PIN, or ask an officer.")

// FingerprintConfig configures a FingerprintLogin.
type FingerprintConfig struct {
	Sensor  Sensor
	Matcher FingerprintMatcher
	// MatcherID names the matcher to the upstream, e.g. "simulated-v1".
	MatcherID string
	// Attempts per card read; default and at most MaxFingerprintAttempts.
	Attempts int
	// Finger is the finger the screen asks for (default DefaultFinger).
	Finger Finger
}

// FingerprintLogin completes a kiosk's pending card reads with a
// fingerprint instead of the PIN: capture, match locally against the
// card holder's reference template, then log in upstream. A card read
// allows Attempts misses; the last one ends the read.
type FingerprintLogin struct {
	k   *Kiosk
	cfg FingerprintConfig
	reg FingerprintRegistry

	mu    sync.Mutex
	reads map[string]*fingerRead // by card read id
}

// fingerRead is what FingerprintLogin keeps of one card read.
type fingerRead struct {
	when   time.Time // of the card read
	failed int
	gen    int                // numbers captures: a new one replaces the one in flight
	cancel context.CancelFunc // of the capture in flight, or nil
}

// NewFingerprintLogin adds the fingerprint second factor to k. The
// kiosk's Registry must implement FingerprintRegistry.
func NewFingerprintLogin(k *Kiosk, cfg FingerprintConfig) (*FingerprintLogin, error) {
	reg, ok := k.cfg.Registry.(FingerprintRegistry)
	switch {
	case !ok:
		return nil, fmt.Errorf("station: the registry %T has no fingerprint login", k.cfg.Registry)
	case cfg.Sensor == nil || cfg.Matcher == nil:
		return nil, errors.New("station: a fingerprint login needs a sensor and a matcher")
	case !validMatcherID(cfg.MatcherID):
		return nil, fmt.Errorf("station: matcher id %q is not 1 to 64 of [A-Za-z0-9_.-]", cfg.MatcherID)
	}
	if cfg.Attempts <= 0 || cfg.Attempts > MaxFingerprintAttempts {
		cfg.Attempts = MaxFingerprintAttempts
	}
	if cfg.Finger == "" {
		cfg.Finger = DefaultFinger
	}
	if _, err := ParseFinger(string(cfg.Finger)); err != nil {
		return nil, err
	}
	return &FingerprintLogin{k: k, cfg: cfg, reg: reg, reads: map[string]*fingerRead{}}, nil
}

func validMatcherID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Login waits (until ctx ends or Cancel) for a finger on the sensor and
// completes the card read readID with it. No finger: ErrFingerprintWaiting,
// and the read stays pending. A miss: ErrFingerprintNoMatch with the
// attempts left (AttemptsLeft). The last miss, or a matcher that locks the
// NIK: ErrFingerprintLocked, and the read is gone. A match logs in upstream
// and uses the read up, whatever the upstream answers.
func (f *FingerprintLogin) Login(ctx context.Context, readID string) (*Session, error) {
	k := f.k
	nik, when, err := f.pending(readID)
	if err != nil {
		f.forget(readID)
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: AuthCardFingerprint, Err: err})
		return nil, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f.mu.Lock()
	r := f.reads[readID]
	if r == nil {
		r = &fingerRead{when: when}
		f.reads[readID] = r
	}
	if r.cancel != nil {
		r.cancel() // the page asked again: the newest request waits for the finger
	}
	r.gen++
	gen := r.gen
	r.cancel = cancel
	f.mu.Unlock()

	sample, err := f.cfg.Sensor.Capture(ctx)
	if err == nil {
		var ok bool
		ok, err = f.cfg.Matcher.Match(ctx, nik, sample)
		if err == nil && !ok {
			err = fault.Internal.Withf("matcher %s said no without an error", f.cfg.MatcherID)
		}
	}
	f.mu.Lock()
	if r.gen == gen {
		r.cancel = nil
	}
	f.mu.Unlock()
	miss := errors.Is(err, ErrFingerprintNoMatch) || errors.Is(err, ErrFingerprintLocked)
	if err != nil && !miss && ctx.Err() != nil {
		return nil, ErrFingerprintWaiting // nothing was compared: no attempt used
	}
	if err != nil {
		err = f.missed(readID, r, err)
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: AuthCardFingerprint, Subject: nik, Err: err})
		return nil, err
	}

	// A match: the read is used up here, so a PIN login of the same read
	// (or a second match) cannot log in twice.
	k.mu.Lock()
	_, ok := k.cards[readID]
	delete(k.cards, readID)
	k.mu.Unlock()
	f.forget(readID)
	if !ok {
		err := ErrCardUnreadable.Withf("card read used or expired during the fingerprint")
		k.cfg.Recorder.Record(ctx, Event{Kind: EventLoginRefused, Method: AuthCardFingerprint, Subject: nik, Err: err})
		return nil, err
	}
	authz, err := f.reg.AuthenticateCardFingerprint(ctx, nik, f.cfg.MatcherID)
	if err == nil && authz.Subject != nik {
		err = ErrSubjectMismatch.Withf("upstream answered for another subject")
	}
	return k.open(ctx, AuthCardFingerprint, authz, err)
}

// pending returns the NIK and time of a card read still waiting for its
// second factor.
func (f *FingerprintLogin) pending(readID string) (NIK, time.Time, error) {
	k := f.k
	k.mu.Lock()
	defer k.mu.Unlock()
	r, ok := k.cards[readID]
	if !ok || k.cfg.Now().Sub(r.when) > cardReadTTL {
		delete(k.cards, readID)
		return NIK{}, time.Time{}, ErrCardUnreadable.Withf("no pending card read")
	}
	return r.nik, r.when, nil
}

// missed counts a failed attempt and returns what the citizen is told.
// Errors other than a miss or a lockout (an unreadable sample, a broken
// matcher) cost no attempt.
func (f *FingerprintLogin) missed(readID string, r *fingerRead, err error) error {
	switch {
	case errors.Is(err, ErrFingerprintLocked):
		f.end(readID) // the matcher locked the NIK: its message says for how long
		return err
	case !errors.Is(err, ErrFingerprintNoMatch):
		return err
	}
	f.mu.Lock()
	r.failed++
	left := f.cfg.Attempts - r.failed
	f.mu.Unlock()
	// The matcher may count across card reads and have fewer left.
	var m interface{ AttemptsLeft() int }
	if errors.As(err, &m) {
		left = min(left, m.AttemptsLeft())
	}
	if left <= 0 {
		f.end(readID)
		return errReadLocked.Withf("%d misses on this card read", f.cfg.Attempts-left)
	}
	return FingerprintNoMatch(left)
}

// AttemptsLeft lets errors.As find the count behind an interface.
func (n AttemptsLeft) AttemptsLeft() int { return int(n) }

// end drops the card read: the next try starts with a tap.
func (f *FingerprintLogin) end(readID string) {
	f.k.mu.Lock()
	delete(f.k.cards, readID)
	f.k.mu.Unlock()
	f.forget(readID)
}

// forget drops what is kept of readID and of reads past their time.
func (f *FingerprintLogin) forget(readID string) {
	now := f.k.cfg.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.reads, readID)
	for id, r := range f.reads {
		if now.Sub(r.when) > cardReadTTL && r.cancel == nil {
			delete(f.reads, id)
		}
	}
}

// Cancel stops the capture in flight for readID, if any: the page left
// the fingerprint screen. The read stays pending for the PIN.
func (f *FingerprintLogin) Cancel(readID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.reads[readID]; r != nil && r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
}

// Attempts is how many fingerprints one card read may try.
func (f *FingerprintLogin) Attempts() int { return f.cfg.Attempts }

// Finger is the finger the fingerprint screen asks for.
func (f *FingerprintLogin) Finger() Finger { return f.cfg.Finger }
