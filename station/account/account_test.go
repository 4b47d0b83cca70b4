package account_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station/account"
)

// cheap are argon2id costs small enough for tests; the format and the
// comparison are what is under test, not the cost.
var cheap = account.Params{Time: 1, Memory: 64, Threads: 1}

func MustHash(tb testing.TB, password string) string {
	tb.Helper()
	h, err := account.Hash(password, rand.Reader, cheap)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func TestHashCheck(t *testing.T) {
	h := MustHash(t, "kata sandi panjang")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string", h)
	}
	if h2 := MustHash(t, "kata sandi panjang"); h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		name, hash, password string
		want                 bool
		wantErr              bool
	}{
		{"match", h, "kata sandi panjang", true, false},
		{"wrong password", h, "kata sandi panjanG", false, false},
		{"empty password", h, "", false, false},
		{"too long password", h, strings.Repeat("a", account.MaxPassword+1), false, false},
		{"argon2i", strings.Replace(h, "argon2id", "argon2i", 1), "kata sandi panjang", false, true},
		{"huge memory", strings.Replace(h, "m=64", "m=99999999", 1), "x", false, true},
		{"zero time", strings.Replace(h, "t=1", "t=0", 1), "x", false, true},
		{"bad salt", strings.Replace(h, "$argon2id$v=19$m=64,t=1,p=1$", "$argon2id$v=19$m=64,t=1,p=1$!", 1), "x", false, true},
		{"truncated", h[:len(h)-30], "x", false, true},
		{"empty", "", "x", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := account.Check(tt.hash, tt.password)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("Check = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDefaultParams(t *testing.T) {
	p := account.DefaultParams()
	if p.Time != 1 || p.Memory != 64<<10 || p.Threads != 2 {
		t.Errorf("DefaultParams = %+v", p)
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		perm                     account.Permission
		supervisor, tech, audito bool
	}{
		{account.SeeOverview, true, true, true},
		{account.SeeJobs, true, true, true},
		{account.ResolveJobs, true, false, false},
		{account.ReleaseJobs, true, true, false},
		{account.ManagePrinters, true, true, false},
		{account.SeeLedger, true, true, false},
		{account.LoadCards, true, true, false},
		{account.SeeAudit, true, false, true},
		{account.LookupNIK, true, false, false},
		{account.SeeIntegrity, true, false, true},
		{account.Export, true, false, true},
		{account.VerifyLog, true, false, true},
		{account.LiftPINLockout, true, false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.perm), func(t *testing.T) {
			for role, want := range map[account.Role]bool{account.Supervisor: tt.supervisor, account.Technician: tt.tech, account.Auditor: tt.audito} {
				if got := role.Can(tt.perm); got != want {
					t.Errorf("%s.Can(%s) = %v, want %v", role, tt.perm, got, want)
				}
			}
			if account.Role("root").Can(tt.perm) {
				t.Error("an unknown role may do something")
			}
		})
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{"siti": true, "budi.s_2-x": true, "": false, "Siti": false,
		"a b": false, "nama\n": false, strings.Repeat("a", 65): false, strings.Repeat("a", 64): true} {
		if err := account.ValidName(name); (err == nil) != ok {
			t.Errorf("ValidName(%q) = %v", name, err)
		}
	}
}

func TestSessionExpired(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		lastSeen time.Time
		now      time.Time
		want     bool
	}{
		{"fresh", t0, t0.Add(time.Minute), false},
		{"idle just under", t0, t0.Add(account.IdleTimeout - time.Second), false},
		{"idle", t0, t0.Add(account.IdleTimeout), true},
		{"busy but old", t0.Add(8*time.Hour - time.Minute), t0.Add(8 * time.Hour), true},
		{"busy and young", t0.Add(7 * time.Hour), t0.Add(7*time.Hour + time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := account.Session{Created: t0, LastSeen: tt.lastSeen}
			if got := s.Expired(tt.now); got != tt.want {
				t.Errorf("Expired = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSessionID(t *testing.T) {
	id, h, err := account.NewSessionID(bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 43 || h != account.HashSessionID(id) || len(h) != 64 || strings.Contains(h, id) {
		t.Errorf("id %q hash %q", id, h)
	}
	if _, _, err := account.NewSessionID(bytes.NewReader(nil)); err == nil {
		t.Error("NewSessionID without randomness succeeded")
	}
	if account.SameToken("", "") || !account.SameToken("a", "a") || account.SameToken("a", "b") {
		t.Error("SameToken")
	}
}

func TestDelays(t *testing.T) {
	d := account.Delays{Free: 5, First: time.Second, Max: 30 * time.Second, Window: 15 * time.Minute}
	for n, want := range map[int]time.Duration{
		0: 0, 4: 0, // typos cost nothing
		5: time.Second, 6: 2 * time.Second, 7: 4 * time.Second, 9: 16 * time.Second,
		10: 30 * time.Second, 1000: 30 * time.Second, // never more than Max
	} {
		if got := d.After(n); got != want {
			t.Errorf("After(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestThrottleNeverLocksOut: a stranger's wrong passwords make the next
// attempt wait (counted from the latest one, doubling up to Max), but no
// number of them refuses an attempt; attempts made at the same instant
// each wait longer than the one before; a reset and the window end it.
func TestThrottleNeverLocksOut(t *testing.T) {
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	th := account.NewThrottle(account.Delays{Free: 5, First: time.Second, Max: 30 * time.Second, Window: 15 * time.Minute},
		func() time.Time { return now })
	attempt := func(key string) time.Duration {
		t.Helper()
		w, err := th.Attempt(key)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	for i := 0; i < 5; i++ {
		if w := attempt("account:siti"); w != 0 {
			t.Fatalf("attempt %d waits %v", i+1, w)
		}
	}
	// Five strangers' attempts at the same instant: each waits longer.
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second} {
		if w := attempt("account:siti"); w != want {
			t.Errorf("concurrent attempt %d waits %v, want %v", i+6, w, want)
		}
	}
	if w := attempt("account:budi"); w != 0 {
		t.Errorf("another key waits %v", w)
	}
	// The wait counts from the latest attempt.
	now = now.Add(20 * time.Second)
	if w := attempt("account:siti"); w != 10*time.Second {
		t.Errorf("20 s after the latest attempt: wait %v, want 10s", w)
	}
	if err := th.Reset("account:siti"); err != nil {
		t.Fatal(err)
	}
	if w := attempt("account:siti"); w != 0 {
		t.Errorf("after a reset: wait %v", w)
	}
	for i := 0; i < 10; i++ {
		attempt("account:tono")
	}
	now = now.Add(15*time.Minute + time.Second)
	if w := attempt("account:tono"); w != 0 {
		t.Errorf("after the window: wait %v", w)
	}
}

// TestGateBoundsChecks: however many attempts arrive together, no more
// checks than the gate's slots run at once; attempts beyond its queue,
// or that wait longer than its wait, are refused unchecked.
func TestGateBoundsChecks(t *testing.T) {
	tests := []struct {
		name                 string
		slots, queue, n      int
		wait, hold           time.Duration
		wantMax, wantRefused int
	}{
		{"one at a time, all queued", 1, 64, 30, 10 * time.Second, time.Millisecond, 1, 0},
		{"two at a time", 2, 64, 30, 10 * time.Second, time.Millisecond, 2, 0},
		{"queue full", 1, 4, 30, 10 * time.Second, 50 * time.Millisecond, 1, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := account.NewGate(tt.slots, tt.queue, tt.wait)
			var mu sync.Mutex
			running, most, refused := 0, 0, 0
			release := make(chan struct{})
			started := make(chan struct{}, tt.n)
			var wg sync.WaitGroup
			attempt := func() {
				defer wg.Done()
				err := g.Do(context.Background(), func() {
					mu.Lock()
					running++
					most = max(most, running)
					mu.Unlock()
					started <- struct{}{}
					<-release
					time.Sleep(tt.hold)
					mu.Lock()
					running--
					mu.Unlock()
				})
				if err != nil {
					if !errors.Is(err, account.ErrThrottled) {
						t.Errorf("refusal %v", err)
					}
					mu.Lock()
					refused++
					mu.Unlock()
				}
			}
			// The first attempt holds its slot while the others arrive.
			wg.Add(1)
			go attempt()
			<-started
			for i := 1; i < tt.n; i++ {
				wg.Add(1)
				go attempt()
			}
			// Let every attempt arrive before the first check ends.
			time.Sleep(100 * time.Millisecond)
			close(release)
			wg.Wait()
			if most > tt.wantMax || most == 0 {
				t.Errorf("%d checks ran at once, want at most %d", most, tt.wantMax)
			}
			if refused != tt.wantRefused {
				t.Errorf("%d refused, want %d", refused, tt.wantRefused)
			}
		})
	}
	t.Run("turn waited too long", func(t *testing.T) {
		g := account.NewGate(1, 8, 20*time.Millisecond)
		hold := make(chan struct{})
		go func() { _ = g.Do(context.Background(), func() { <-hold }) }()
		time.Sleep(10 * time.Millisecond)
		if err := g.Do(context.Background(), func() { t.Error("ran without a slot") }); !errors.Is(err, account.ErrThrottled) {
			t.Errorf("Do = %v, want ErrThrottled", err)
		}
		close(hold)
	})
}

// FuzzCheck feeds stored hashes to the parser: it must never panic, never
// match a password against a hash that does not parse, and never run
// argon2 with costs beyond the limits.
func FuzzCheck(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5", "pw")
	f.Fuzz(func(t *testing.T, hash, password string) {
		ok, err := account.Check(hash, password)
		if ok && err != nil {
			t.Fatalf("match with error %v", err)
		}
	})
}

// BenchmarkCheckDefault measures a login's password check at the default
// costs (1 pass, 64 MiB, 2 lanes).
func BenchmarkCheckDefault(b *testing.B) {
	h, err := account.Hash("kata sandi panjang", rand.Reader, account.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := account.Check(h, "kata sandi panjang"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
