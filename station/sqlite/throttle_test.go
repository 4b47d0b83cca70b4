package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station/account"
	"github.com/anjungan/anjungan/station/sqlite"
)

// TestThrottleSurvivesReopen fails logins, closes the database, opens the
// same file again and finds the throttle still closed; once the window
// has passed it opens. No address is stored in clear.
func TestThrottleSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	now := t0
	clk := func() time.Time { return now }
	open := func() (*sqlite.DB, *account.Throttle) {
		t.Helper()
		db, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		return db, account.NewStoredThrottle(5, 15*time.Minute, clk, sqlite.NewAccounts(db))
	}
	const client = "client:198.51.100.77"
	db, th := open()
	for i := 0; i < 5; i++ {
		if !th.Allowed(client) {
			t.Fatalf("refused after %d failures", i)
		}
		if err := th.Fail(client); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
	}
	if th.Allowed(client) {
		t.Fatal("allowed after 5 failures")
	}
	if !th.Allowed("client:198.51.100.78") {
		t.Error("another address is refused")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, th = open()
	defer db.Close()
	if th.Allowed(client) {
		t.Fatal("a reopen forgot the failures")
	}
	// The first failure was at t0; it leaves the window at t0+15m.
	now = t0.Add(15 * time.Minute)
	if !th.Allowed(client) {
		t.Error("still refused once the oldest failure left the window")
	}
	if err := th.Fail(client); err != nil {
		t.Fatal(err)
	}
	if th.Allowed(client) {
		t.Error("allowed with 5 failures in the window")
	}
	if err := th.Reset(client); err != nil {
		t.Fatal(err)
	}
	if !th.Allowed(client) {
		t.Error("refused after a reset")
	}
	if err := th.Fail(client); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Neither the database nor its WAL holds the address.
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("198.51.100.77")) {
			t.Errorf("%s holds the client address in clear", filepath.Base(f))
		}
	}
}

// TestThrottleExpiry: a failure older than the window is pruned when the
// next one is recorded.
func TestThrottleExpiry(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpen(t)
	a := sqlite.NewAccounts(db)
	if err := a.AddFailure(ctx, "account:siti", t0, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := a.AddFailure(ctx, "account:tono", t0.Add(2*time.Hour), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := a.CountFailures(ctx, "account:siti", time.Time{}); err != nil || n != 0 {
		t.Errorf("an expired failure is kept: %d, %v", n, err)
	}
	if n, err := a.CountFailures(ctx, "account:tono", t0); err != nil || n != 1 {
		t.Errorf("tono: %d failures, %v; want 1", n, err)
	}
	raw := MustRaw(t, path)
	var rows int
	if err := raw.QueryRow(`SELECT count(*) FROM login_failures`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("%d rows, %v; want 1", rows, err)
	}
}
