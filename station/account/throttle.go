package account

import (
	"sync"
	"time"
)

// Throttle counts failed logins per key (an account name, a client
// address) and refuses a key that failed Max times within Window. It is
// in memory: a restart forgets, which only gives an attacker who can
// restart the station another few tries.
type Throttle struct {
	Max    int
	Window time.Duration

	now      func() time.Time
	mu       sync.Mutex
	failures map[string][]time.Time
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
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.recent(key)) < t.Max
}

// Fail records a failure of key.
func (t *Throttle) Fail(key string) {
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
}

// Reset forgets key's failures (after a successful login).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
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
