package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station/sqlite"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// MustOpen opens a station database in a fresh temporary folder.
func MustOpen(tb testing.TB) (*sqlite.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "station.db")
	db, err := sqlite.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, path
}

func id(n int) string { return fmt.Sprintf("%032x", n) }

func TestUsedTickets(t *testing.T) {
	ctx := context.Background()
	day := 24 * time.Hour
	tests := []struct {
		name     string
		marks    []time.Time // id(i) used at marks[i]
		pruneAt  time.Time
		wantUsed []bool
	}{
		{"fresh marks stay", []time.Time{t0, t0.Add(day)}, t0.Add(2 * day), []bool{true, true}},
		{"exactly keep old stays", []time.Time{t0}, t0.Add(sqlite.DefaultKeep), []bool{true}},
		{"older than keep goes", []time.Time{t0, t0.Add(20 * day)}, t0.Add(sqlite.DefaultKeep + time.Second), []bool{false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := MustOpen(t)
			u := sqlite.NewUsedTickets(db)
			for i, at := range tt.marks {
				if err := u.MarkUsed(ctx, id(i), at); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := u.Prune(ctx, tt.pruneAt); err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.wantUsed {
				got, err := u.Used(ctx, id(i))
				if err != nil || got != want {
					t.Errorf("Used(%d) = %v, %v; want %v", i, got, err, want)
				}
			}
			if got, err := u.Used(ctx, id(99)); err != nil || got {
				t.Errorf("unknown id used = %v, %v", got, err)
			}
		})
	}
}

func TestMarkUsedPrunesAndKeepsFirstTime(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	u := &sqlite.UsedTickets{DB: db, Keep: time.Hour}
	if err := u.MarkUsed(ctx, id(1), t0); err != nil {
		t.Fatal(err)
	}
	// A second mark keeps the first time, so it does not extend the life.
	if err := u.MarkUsed(ctx, id(1), t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := u.MarkUsed(ctx, id(2), t0.Add(61*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if used, _ := u.Used(ctx, id(1)); used {
		t.Fatal("an id older than Keep survived the next mark")
	}
	if used, _ := u.Used(ctx, id(2)); !used {
		t.Fatal("the new id is missing")
	}
}

func TestMarkUsedRefusesBadIDs(t *testing.T) {
	db, _ := MustOpen(t)
	u := sqlite.NewUsedTickets(db)
	for _, bad := range []string{"", "abc", strings.Repeat("A", 32), strings.Repeat("0", 33), strings.Repeat("g", 32)} {
		if err := u.MarkUsed(context.Background(), bad, t0); !errors.Is(err, sqlite.ErrStorage) {
			t.Errorf("MarkUsed(%q) = %v", bad, err)
		}
	}
}

func TestReopenKeepsTheList(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpen(t)
	if err := sqlite.NewUsedTickets(db).MarkUsed(ctx, id(7), t0); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if used, err := sqlite.NewUsedTickets(db).Used(ctx, id(7)); err != nil || !used {
		t.Fatalf("after reopening: %v, %v", used, err)
	}
}

func TestPragmasAndVersion(t *testing.T) {
	_, path := MustOpen(t)
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var mode string
	var version int
	if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
	if err := raw.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != sqlite.Version() {
		t.Fatalf("user_version %d, %v; want %d", version, err, sqlite.Version())
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	db, path := MustOpen(t)
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(fmt.Sprintf("PRAGMA user_version = %d", sqlite.Version()+1)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if db, err := sqlite.Open(path); !errors.Is(err, sqlite.ErrStorage) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("open of a newer schema: %v", err)
	}
}

func TestOpenRefusesUnwritablePath(t *testing.T) {
	if _, err := sqlite.Open(filepath.Join(t.TempDir(), "missing", "station.db")); !errors.Is(err, sqlite.ErrStorage) {
		t.Fatalf("open in a missing folder: %v", err)
	}
}

// TestConcurrentUse runs readers and writers at once; under -race it
// catches shared state, and with one writer nothing meets SQLITE_BUSY.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	u := sqlite.NewUsedTickets(db)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Add(2)
		go func() { defer wg.Done(); errs <- u.MarkUsed(ctx, id(i), t0) }()
		go func() { defer wg.Done(); _, err := u.Used(ctx, id(i)); errs <- err }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for i := range 20 {
		if used, _ := u.Used(ctx, id(i)); !used {
			t.Errorf("id %d missing", i)
		}
	}
}

func BenchmarkUsed(b *testing.B) {
	ctx := context.Background()
	db, _ := MustOpen(b)
	u := sqlite.NewUsedTickets(db)
	for i := range 1000 {
		if err := u.MarkUsed(ctx, id(i), t0); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; b.Loop(); i++ {
		if _, err := u.Used(ctx, id(i%2000)); err != nil {
			b.Fatal(err)
		}
	}
}
