package account

import (
	"context"
	"sync"
	"time"
)

// FailureStore keeps failed logins across restarts (station/sqlite's
// Accounts implements it).
type FailureStore interface {
	// AddFailure records a failure of key at t and forgets every failure
	// at or before expired.
	AddFailure(ctx context.Context, key string, t, expired time.Time) error
	// CountFailures returns how many failures of key are after since.
	CountFailures(ctx context.Context, key string, since time.Time) (int, error)
	// ClearFailures forgets key's failures.
	ClearFailures(ctx context.Context, key string) error
}

// Throttle counts failed logins per key (an account name, a client
// address) and refuses a key that failed Max times within Window. Made
// by NewThrottle it is in memory and a restart forgets; made by
// NewStoredThrottle it keeps the failures in a FailureStore.
type Throttle struct {
	Max    int
	Window time.Duration

	now      func() time.Time
	store    FailureStore
	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewStoredThrottle returns a throttle of max failures per window whose
// failures outlive the process. A store that fails refuses the login:
// the throttle fails closed.
func NewStoredThrottle(max int, window time.Duration, now func() time.Time, store FailureStore) *Throttle {
	return &Throttle{Max: max, Window: window, now: now, store: store}
}

// maxKeys bounds the memory a flood of distinct keys can take; past it,
// keys with no failure inside the window are dropped.
const maxKeys = 10000

// NewThrottle returns a throttle of max failures per window.
func NewThrottle(max int, window time.Duration, now func() time.Time) *Throttle {
	return &Throttle{Max: max, Window: window, now: now, failures: map[string][]time.Time{}}
}

// Allowed reports whether key may try again now.
func (t *Throttle) Allowed(key string) bool {
	if t.store != nil {
		n, err := t.store.CountFailures(context.Background(), key, t.now().Add(-t.Window))
		return err == nil && n < t.Max
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.recent(key)) < t.Max
}

// Fail records a failure of key. The error is the store's; the
// in-memory throttle never fails.
func (t *Throttle) Fail(key string) error {
	if t.store != nil {
		now := t.now()
		return t.store.AddFailure(context.Background(), key, now, now.Add(-t.Window))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.failures) >= maxKeys {
		for k := range t.failures {
			t.recent(k)
		}
	}
	f := append(t.recent(key), t.now())
	if len(f) > t.Max {
		f = f[len(f)-t.Max:]
	}
	t.failures[key] = f
	return nil
}

// Reset forgets key's failures (after a successful login).
func (t *Throttle) Reset(key string) error {
	if t.store != nil {
		return t.store.ClearFailures(context.Background(), key)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
	return nil
}

// recent drops key's failures older than the window and returns the
// rest. t.mu is held.
func (t *Throttle) recent(key string) []time.Time {
	f := t.failures[key]
	cut := t.now().Add(-t.Window)
	i := 0
	for i < len(f) && !f[i].After(cut) {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(t.failures, key)
		return nil
	}
	t.failures[key] = f
	return f
}
