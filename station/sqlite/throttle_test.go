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

// TestThrottleSurvivesReopen records attempts, closes the database, opens
// the same file again and finds the next attempt still made to wait; once
// the window has passed it waits for nothing. No address is stored in
// clear.
func TestThrottleSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	now := t0
	clk := func() time.Time { return now }
	delays := account.Delays{Free: 5, First: time.Second, Max: 30 * time.Second, Window: 15 * time.Minute}
	open := func() (*sqlite.DB, *account.Throttle) {
		t.Helper()
		db, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		return db, account.NewStoredThrottle(delays, clk, sqlite.NewAccounts(db))
	}
	attempt := func(th *account.Throttle, key string) time.Duration {
		t.Helper()
		w, err := th.Attempt(key)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	const client = "client:198.51.100.77"
	db, th := open()
	for i := 0; i < 5; i++ {
		if w := attempt(th, client); w != 0 {
			t.Fatalf("attempt %d waits %v", i+1, w)
		}
		now = now.Add(time.Minute)
	}
	// The fifth attempt was a minute ago: the sixth waits nothing more,
	// but the seventh, right after it, waits 2 s.
	if w := attempt(th, client); w != 0 {
		t.Fatalf("sixth attempt a minute later waits %v", w)
	}
	if w := attempt(th, client); w != 2*time.Second {
		t.Fatalf("seventh attempt at once waits %v, want 2s", w)
	}
	if w := attempt(th, "client:198.51.100.78"); w != 0 {
		t.Error("another address waits")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, th = open()
	defer db.Close()
	if w := attempt(th, client); w != 4*time.Second {
		t.Fatalf("after a reopen the eighth attempt waits %v, want 4s: the attempts were forgotten", w)
	}
	now = now.Add(15*time.Minute + time.Second)
	if w := attempt(th, client); w != 0 {
		t.Errorf("after the window: wait %v", w)
	}
	for i := 0; i < 6; i++ {
		attempt(th, client)
	}
	if err := th.Reset(client); err != nil {
		t.Fatal(err)
	}
	if w := attempt(th, client); w != 0 {
		t.Errorf("after a reset: wait %v", w)
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

// TestThrottleExpiry: an attempt older than the window is pruned when the
// next one is recorded, and the count and latest attempt are the key's.
func TestThrottleExpiry(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpen(t)
	a := sqlite.NewAccounts(db)
	if n, latest, err := a.RecordAttempt(ctx, "account:siti", t0, t0.Add(-time.Hour)); err != nil || n != 0 || !latest.IsZero() {
		t.Fatalf("first attempt: %d, %v, %v", n, latest, err)
	}
	if n, latest, err := a.RecordAttempt(ctx, "account:siti", t0.Add(time.Minute), t0.Add(-time.Hour)); err != nil || n != 1 || !latest.Equal(t0) {
		t.Fatalf("second attempt: %d, %v, %v; want 1 and %v", n, latest, err, t0)
	}
	if n, _, err := a.RecordAttempt(ctx, "account:tono", t0.Add(2*time.Hour), t0.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("tono: %d, %v", n, err)
	}
	if n, _, err := a.RecordAttempt(ctx, "account:siti", t0.Add(2*time.Hour), t0.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("expired attempts are kept: %d, %v", n, err)
	}
	raw := MustRaw(t, path)
	var rows int
	if err := raw.QueryRow(`SELECT count(*) FROM login_failures`).Scan(&rows); err != nil || rows != 2 {
		t.Errorf("%d rows, %v; want 2", rows, err)
	}
}
