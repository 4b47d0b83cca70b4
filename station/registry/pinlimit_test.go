package registry

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/ticket"
)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func MustPINLimit(tb testing.TB, c *testClock) *PINLimit {
	tb.Helper()
	l, err := NewPINLimit(rand.Reader, c.Now)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

var (
	nikA = station.MustParseNIK("3171091203850007")
	nikB = station.MustParseNIK("3171095507880002")
)

// TestPINLimit drives a client with a PIN limit against an upstream that
// rejects every PIN: each step is one login attempt and what it gives.
func TestPINLimit(t *testing.T) {
	type step struct {
		advance time.Duration
		nik     station.NIK
		want    *fault.Error
		says    string // in the English message
		until   string // a lockout's end (UTC HH:MM), if any
		hits    int32  // upstream requests so far
	}
	wrong := func(nik station.NIK, left string, hits int32) step {
		return step{nik: nik, want: station.ErrCredentialsRejected, says: left, hits: hits}
	}
	tests := []struct {
		name  string
		setup func(l *PINLimit)
		steps []step
	}{
		{"five per NIK, then locked, unlocked an hour after the first", nil, []step{
			wrong(nikA, "Attempts left: 4.", 1),
			wrong(nikA, "Attempts left: 3.", 2),
			wrong(nikA, "Attempts left: 2.", 3),
			wrong(nikA, "Attempts left: 1.", 4),
			{nik: nikA, want: station.ErrTooManyAttempts, until: "10:00", hits: 5}, // the fifth wrong PIN locks
			{nik: nikA, want: station.ErrTooManyAttempts, until: "10:00", hits: 5},
			{advance: 59 * time.Minute, nik: nikA, want: station.ErrTooManyAttempts, until: "10:00", hits: 5},
			{advance: time.Minute, nik: nikA, want: station.ErrCredentialsRejected, says: "Attempts left: 4.", hits: 6},
		}},
		{"another NIK is not locked", nil, []step{
			wrong(nikA, "4", 1), wrong(nikA, "3", 2), wrong(nikA, "2", 3), wrong(nikA, "1", 4), {nik: nikA, want: station.ErrTooManyAttempts, hits: 5},
			{nik: nikA, want: station.ErrTooManyAttempts, hits: 5},
			wrong(nikB, "Attempts left: 4.", 6),
		}},
		{"per kiosk across NIKs", func(l *PINLimit) { l.PerKiosk = 3 }, []step{
			wrong(nikA, "4", 1), wrong(nikB, "4", 2), wrong(nikA, "3", 3),
			{nik: nikB, want: station.ErrTooManyAttempts, until: "09:10", hits: 3},
			{advance: 10 * time.Minute, nik: nikB, want: station.ErrCredentialsRejected, says: "Attempts left: 3.", hits: 4},
		}},
		{"malformed PIN counts without asking the upstream", nil, []step{
			{nik: nikA, want: station.ErrCredentialsRejected, says: "Attempts left: 4.", hits: 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, answer{401, jsonType, errBody("credentials_rejected")})
			clock := &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
			c := newClient(f.URL)
			c.PINLimit = MustPINLimit(t, clock)
			if tt.setup != nil {
				tt.setup(c.PINLimit)
			}
			pin := "123456"
			if strings.HasPrefix(tt.name, "malformed") {
				pin = "12345"
			}
			for i, s := range tt.steps {
				clock.Advance(s.advance)
				_, err := c.AuthenticatePIN(context.Background(), s.nik, pin)
				if !errors.Is(err, s.want) || !strings.Contains(fault.As(err).EN, s.says) {
					t.Fatalf("step %d: %v (%q), want %s saying %q", i, err, fault.As(err).EN, s.want.Code, s.says)
				}
				var l station.Lockout
				if s.until != "" && (!errors.As(err, &l) || l.Until.UTC().Format("15:04") != s.until) {
					t.Fatalf("step %d: %v, want locked until %s", i, err, s.until)
				}
				if got := f.hits.Load(); got != s.hits {
					t.Fatalf("step %d: %d upstream requests, want %d", i, got, s.hits)
				}
				if strings.Contains(err.Error(), s.nik.Reveal()) {
					t.Fatalf("step %d: error shows the NIK: %v", i, err)
				}
			}
		})
	}
}

func TestPINLimitResetsOnSuccess(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	l := MustPINLimit(t, clock)
	for range 4 {
		l.Failed(nikA)
	}
	l.Succeeded(nikA)
	if left := l.Failed(nikA); left != 4 {
		t.Fatalf("after a success, %d left", left)
	}
}

// TestTicketBinding: with the binding key, a ticket login is refused
// when the upstream answers for another NIK than the ticket is bound to.
func TestTicketBinding(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	bound := func(nik station.NIK) station.Ticket {
		tk := testTicket
		tk.NIKBinding = ticket.Binding(key, nik)
		return tk
	}
	tests := []struct {
		name   string
		key    []byte
		ticket station.Ticket
		want   error
	}{
		{"bound to the subject", key, bound(testNIK), nil},
		{"bound to another NIK", key, bound(nikB), station.ErrSubjectMismatch},
		{"no binding", key, testTicket, station.ErrSubjectMismatch},
		{"another key", []byte(strings.Repeat("x", 32)), bound(testNIK), station.ErrSubjectMismatch},
		{"no key configured", nil, bound(nikB), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, authzAnswer)
			c := newClient(f.URL)
			c.BindingKey = tt.key
			_, err := c.AuthenticateTicket(context.Background(), tt.ticket)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPINLimitLift(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	l, err := NewPINLimit(rand.Reader, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustPINNIK(t, "3171014107990001"), mustPINNIK(t, "3171014107990002")
	if l.Lift(a) {
		t.Error("a NIK with no wrong PINs was lifted")
	}
	for range l.PerNIK {
		l.Failed(a)
	}
	l.Failed(b)
	if err := l.Check(a); err == nil {
		t.Fatal("not locked after 5 wrong PINs")
	}
	if !l.Lift(a) {
		t.Error("the lockout lifted nothing")
	}
	if err := l.Check(a); err != nil {
		t.Errorf("still locked after the lift: %v", err)
	}
	if got := l.Failed(b); got != l.PerNIK-2 {
		t.Errorf("another NIK's count changed: %d left", got)
	}
}

func mustPINNIK(t *testing.T, s string) station.NIK {
	t.Helper()
	n, err := station.ParseNIK(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
