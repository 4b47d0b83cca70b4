package registry

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// PINLimit counts wrong PINs at this kiosk: at most PerNIK per NIK within
// NIKWindow and PerKiosk in all within KioskWindow. NIKs are kept only as
// an HMAC under a key drawn at start, never as digits; the counts live in
// memory (the upstream keeps its own per-NIK limit across restarts).
// Every NIK is counted alike, so a refusal never tells whether it exists.
type PINLimit struct {
	PerNIK      int
	NIKWindow   time.Duration
	PerKiosk    int
	KioskWindow time.Duration

	key []byte
	now func() time.Time

	mu    sync.Mutex
	byNIK map[string][]time.Time // HMAC of the NIK → times of wrong PINs, oldest first
	kiosk []time.Time
	swept time.Time
}

// NewPINLimit returns the default limits (5 per NIK per hour, 20 per
// kiosk per 10 minutes) with a fresh key from rnd.
func NewPINLimit(rnd io.Reader, now func() time.Time) (*PINLimit, error) {
	key := make([]byte, 32)
	if _, err := io.ReadFull(rnd, key); err != nil {
		return nil, fault.Internal.With(err)
	}
	return &PINLimit{PerNIK: 5, NIKWindow: time.Hour, PerKiosk: 20, KioskWindow: 10 * time.Minute,
		key: key, now: now, byNIK: map[string][]time.Time{}}, nil
}

func (l *PINLimit) subject(nik station.NIK) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(nik.Reveal()))
	return string(m.Sum(nil))
}

// recent drops the times before now-window.
func recent(ts []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-window)) {
		i++
	}
	return ts[i:]
}

// Check refuses a login attempt for nik when either limit is reached.
func (l *PINLimit) Check(nik station.NIK) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.kiosk = recent(l.kiosk, now, l.KioskWindow)
	if len(l.kiosk) >= l.PerKiosk {
		return tooMany(l.kiosk[0].Add(l.KioskWindow), "kiosk: %d wrong PINs within %s", len(l.kiosk), l.KioskWindow)
	}
	k := l.subject(nik)
	ts := recent(l.byNIK[k], now, l.NIKWindow)
	l.byNIK[k] = ts
	if len(ts) >= l.PerNIK {
		return tooMany(ts[0].Add(l.NIKWindow), "NIK %s: %d wrong PINs within %s", nik, len(ts), l.NIKWindow)
	}
	return nil
}

// Failed counts a wrong PIN for nik and returns how many attempts the NIK
// has left.
func (l *PINLimit) Failed(nik station.NIK) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweepLocked(now)
	k := l.subject(nik)
	l.byNIK[k] = append(recent(l.byNIK[k], now, l.NIKWindow), now)
	l.kiosk = append(recent(l.kiosk, now, l.KioskWindow), now)
	return max(0, l.PerNIK-len(l.byNIK[k]))
}

// Succeeded forgets the NIK's wrong PINs. The kiosk's count stays.
func (l *PINLimit) Succeeded(nik station.NIK) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.byNIK, l.subject(nik))
}

// sweepLocked drops NIKs without recent failures, at most once a window,
// so memory follows the traffic of the last hour.
func (l *PINLimit) sweepLocked(now time.Time) {
	if now.Sub(l.swept) < l.NIKWindow {
		return
	}
	l.swept = now
	for k, ts := range l.byNIK {
		if len(recent(ts, now, l.NIKWindow)) == 0 {
			delete(l.byNIK, k)
		}
	}
}

// tooMany is ErrTooManyAttempts with the lockout's end as its cause: the
// kiosk says that time in the hall's zone (station.Hall.Locked).
func tooMany(until time.Time, format string, args ...any) *fault.Error {
	return station.ErrTooManyAttempts.With(station.Lockout{Until: until, Why: fmt.Sprintf(format, args...)})
}

// wrongPIN is ErrCredentialsRejected saying how many attempts are left;
// the last one is the lockout itself (locked), with its end.
func wrongPIN(left int, locked error, cause error) error {
	if left == 0 && locked != nil {
		return locked
	}
	e := station.ErrCredentialsRejected.With(cause)
	e.ID += fmt.Sprintf(" Sisa percobaan: %d.", left)
	e.EN += fmt.Sprintf(" Attempts left: %d.", left)
	return e
}
