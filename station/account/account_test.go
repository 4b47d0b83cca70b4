package account_test

import (
	"bytes"
	"crypto/rand"
	"strings"
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

func TestThrottle(t *testing.T) {
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	th := account.NewThrottle(5, 15*time.Minute, func() time.Time { return now })
	for i := 0; i < 5; i++ {
		if !th.Allowed("acct:siti") {
			t.Fatalf("refused after %d failures", i)
		}
		th.Fail("acct:siti")
		now = now.Add(time.Minute)
	}
	if th.Allowed("acct:siti") {
		t.Error("allowed after 5 failures")
	}
	if !th.Allowed("acct:budi") {
		t.Error("another key is refused")
	}
	now = now.Add(11 * time.Minute) // failures at 0 and 1 min leave the window: 3 are left
	if !th.Allowed("acct:siti") {
		t.Error("still refused once the oldest failures left the window")
	}
	th.Fail("acct:siti")
	th.Fail("acct:siti")
	if th.Allowed("acct:siti") {
		t.Error("allowed again with 5 failures in the window")
	}
	th.Reset("acct:siti")
	if !th.Allowed("acct:siti") {
		t.Error("refused after Reset")
	}
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
