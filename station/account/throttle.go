package account

import (
	"context"
	"sync"
	"time"
)

// FailureStore keeps login attempts across restarts (station/sqlite's
// Accounts implements it). An attempt is kept until the window passes or
// a successful login of its key clears it.
type FailureStore interface {
	// RecordAttempt forgets every attempt (of any key) at or before
	// expired, records an attempt of key at t, and returns how many
	// attempts of key it had before this one and the latest of them
	// (zero when none).
	RecordAttempt(ctx context.Context, key string, t, expired time.Time) (n int, latest time.Time, err error)
	// ClearFailures forgets key's attempts.
	ClearFailures(ctx context.Context, key string) error
}

// Delays is the throttle's schedule: the first Free attempts within
// Window wait for nothing; the next waits First after the one before it,
// and each further one twice as long as the last, up to Max. Nothing is
// ever refused: a correct password is checked once its wait is over, so
// a stranger who keeps guessing slows a supervisor down by at most Max
// but never locks them out.
type Delays struct {
	Free   int
	First  time.Duration
	Max    time.Duration
	Window time.Duration
}

// After returns the wait after n attempts within the window.
func (d Delays) After(n int) time.Duration {
	if n < d.Free {
		return 0
	}
	w := d.First
	for i := d.Free; i < n && w < d.Max; i++ {
		w *= 2
	}
	return min(w, d.Max)
}

// Throttle slows down password guessing per key (an account name, a
// client address). Every attempt is recorded before its password is
// checked, in one step with reading the attempts before it, so attempts
// that arrive together each see the others and each wait longer than the
// one before. Made by NewThrottle it is in memory and a restart forgets;
// made by NewStoredThrottle it keeps the attempts in a FailureStore.
type Throttle struct {
	Delays

	now      func() time.Time
	store    FailureStore
	mu       sync.Mutex // one attempt at a time is read and recorded
	attempts map[string][]time.Time
}

// NewThrottle returns a throttle of schedule d kept in memory.
func NewThrottle(d Delays, now func() time.Time) *Throttle {
	return &Throttle{Delays: d, now: now, attempts: map[string][]time.Time{}}
}

// NewStoredThrottle returns a throttle of schedule d whose attempts
// outlive the process. A store that fails refuses the login: the
// throttle fails closed.
func NewStoredThrottle(d Delays, now func() time.Time, store FailureStore) *Throttle {
	return &Throttle{Delays: d, now: now, store: store}
}

// maxKeys bounds the memory a flood of distinct keys can take; past it,
// keys with no attempt inside the window are dropped.
const maxKeys = 10000

// Attempt records an attempt of key now and returns how long it must
// wait before its password is checked: the schedule's wait after the
// key's earlier attempts within the window, counted from the latest of
// them. The error is the store's; the in-memory throttle never fails.
func (t *Throttle) Attempt(key string) (time.Duration, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var n int
	var latest time.Time
	if t.store != nil {
		var err error
		n, latest, err = t.store.RecordAttempt(context.Background(), key, now, now.Add(-t.Window))
		if err != nil {
			return 0, err
		}
	} else {
		if len(t.attempts) >= maxKeys {
			for k := range t.attempts {
				t.recent(k, now)
			}
		}
		a := t.recent(key, now)
		n = len(a)
		if n > 0 {
			latest = a[n-1]
		}
		a = append(a, now)
		// The schedule reaches Max within a few dozen attempts; older
		// ones change nothing but the count.
		if keep := t.Free + 64; len(a) > keep {
			a = a[len(a)-keep:]
		}
		t.attempts[key] = a
	}
	if n == 0 {
		return 0, nil
	}
	return max(latest.Add(t.After(n)).Sub(now), 0), nil
}

// Reset forgets key's attempts (after a successful login).
func (t *Throttle) Reset(key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.store != nil {
		return t.store.ClearFailures(context.Background(), key)
	}
	delete(t.attempts, key)
	return nil
}

// recent drops key's attempts older than the window and returns the
// rest. t.mu is held.
func (t *Throttle) recent(key string, now time.Time) []time.Time {
	a := t.attempts[key]
	cut := now.Add(-t.Window)
	i := 0
	for i < len(a) && !a[i].After(cut) {
		i++
	}
	a = a[i:]
	if len(a) == 0 {
		delete(t.attempts, key)
		return nil
	}
	t.attempts[key] = a
	return a
}
