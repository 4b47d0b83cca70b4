package sqlite_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/sqlite"
)

// clock is a settable time source for one test goroutine at a time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var subjectKey = []byte("0123456789abcdef0123456789abcdef")

// auditRig is an audit log in a fresh station database.
type auditRig struct {
	log   *sqlite.AuditLog
	db    *sqlite.DB
	path  string
	clock *clock
}

// MustAuditLog opens a station database with an audit log whose
// checkpoints are signed by a fresh key.
func MustAuditLog(tb testing.TB) auditRig {
	tb.Helper()
	db, path := MustOpen(tb)
	skey, vkey, err := note.GenerateKey(rand.Reader, "anjungan.test/station/audit")
	if err != nil {
		tb.Fatal(err)
	}
	c := &clock{t: t0}
	signer, err := audit.NewSigner(skey, c.Now)
	if err != nil {
		tb.Fatal(err)
	}
	l, err := sqlite.NewAuditLog(db, subjectKey, signer, vkey, c.Now)
	if err != nil {
		tb.Fatal(err)
	}
	return auditRig{log: l, db: db, path: path, clock: c}
}

// MustRaw opens the database file beside the station's own connections,
// as an attacker with file access would.
func MustRaw(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}

func mustAppendEntry(tb testing.TB, l *sqlite.AuditLog, e station.AuditEntry) int64 {
	tb.Helper()
	idx, err := l.Append(context.Background(), e)
	if err != nil {
		tb.Fatal(err)
	}
	return idx
}

var (
	nikA = station.MustParseNIK("3171014107990001")
	nikB = station.MustParseNIK("3273025012880002")
)

func TestAuditRoundTrip(t *testing.T) {
	ctx := context.Background()
	r := MustAuditLog(t)
	in := []station.AuditEntry{
		{Time: t0.In(time.FixedZone("WIB", 7*3600)), Kind: "login.ok", Actor: "kiosk", Subject: r.log.SubjectOf(nikA),
			Fields: map[string]string{"method": "ticket", "outcome": "ok"}},
		{Kind: "print.confirmed", Actor: "kiosk", Fields: map[string]string{"job": "J1", "sha256": "ab12", "printer": "card-1"}},
		{Time: t0.Add(time.Second + 123), Kind: "console.view", Actor: "siti.supervisor"},
	}
	r.clock.Add(time.Minute) // the entry without a time takes the clock's
	for i, e := range in {
		if idx := mustAppendEntry(t, r.log, e); idx != int64(i) {
			t.Fatalf("entry %d got index %d", i, idx)
		}
	}
	got, err := r.log.Entries(ctx, station.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []station.AuditEntry{
		{Index: 2, Time: t0.Add(time.Second + 123), Kind: "console.view", Actor: "siti.supervisor"},
		{Index: 1, Time: t0.Add(time.Minute), Kind: "print.confirmed", Actor: "kiosk", Fields: in[1].Fields},
		{Index: 0, Time: t0, Kind: "login.ok", Actor: "kiosk", Subject: r.log.SubjectOf(nikA), Fields: in[0].Fields},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("entries\n got %+v\nwant %+v", got, want)
	}
	if _, err := r.log.Append(ctx, station.AuditEntry{Actor: "kiosk"}); !errors.Is(err, sqlite.ErrAuditEntry) {
		t.Fatalf("entry without a kind: %v", err)
	}
}

func TestAuditFilters(t *testing.T) {
	r := MustAuditLog(t)
	a, b := r.log.SubjectOf(nikA), r.log.SubjectOf(nikB)
	seed := []station.AuditEntry{
		{Kind: "login.ok", Subject: a, Fields: map[string]string{"outcome": "ok"}},
		{Kind: "login.refused", Subject: b, Fields: map[string]string{"outcome": "refused", "error": "pin_wrong"}},
		{Kind: "document.rendered", Subject: a, Fields: map[string]string{"outcome": "ok"}},
		{Kind: "print.submitted", Subject: a, Fields: map[string]string{"outcome": "ok", "printer": "card-1"}},
		{Kind: "print.failed", Subject: b, Fields: map[string]string{"outcome": "failed", "printer": "card-2"}},
		{Kind: "print.confirmed", Subject: a, Fields: map[string]string{"outcome": "ok", "printer": "card-1"}},
		{Kind: "console.view", Actor: "supervisor", Subject: a},
	}
	for i, e := range seed {
		e.Time = t0.Add(time.Duration(i) * time.Minute)
		mustAppendEntry(t, r.log, e)
	}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name string
		f    station.AuditFilter
		want []int64
	}{
		{"everything, newest first", station.AuditFilter{}, []int64{6, 5, 4, 3, 2, 1, 0}},
		{"kind prefix with dot", station.AuditFilter{Kind: "print."}, []int64{5, 4, 3}},
		{"kind prefix without dot", station.AuditFilter{Kind: "login"}, []int64{1, 0}},
		{"exact kind", station.AuditFilter{Kind: "print.failed"}, []int64{4}},
		{"unknown kind", station.AuditFilter{Kind: "job."}, nil},
		{"from is inclusive", station.AuditFilter{From: at(4)}, []int64{6, 5, 4}},
		{"to is exclusive", station.AuditFilter{To: at(2)}, []int64{1, 0}},
		{"time window", station.AuditFilter{From: at(1), To: at(3)}, []int64{2, 1}},
		{"outcome", station.AuditFilter{Outcome: "failed"}, []int64{4}},
		{"printer", station.AuditFilter{Printer: "card-1"}, []int64{5, 3}},
		{"subject by NIK", station.AuditFilter{Subject: r.log.SubjectOf(nikA)}, []int64{6, 5, 3, 2, 0}},
		{"other subject", station.AuditFilter{Subject: b}, []int64{4, 1}},
		{"subject and kind", station.AuditFilter{Subject: a, Kind: "print."}, []int64{5, 3}},
		{"page before", station.AuditFilter{Before: 3}, []int64{2, 1, 0}},
		{"page before with limit", station.AuditFilter{Before: 3, Limit: 2}, []int64{2, 1}},
		{"limit", station.AuditFilter{Limit: 1}, []int64{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.log.Entries(context.Background(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var idx []int64
			for _, e := range got {
				idx = append(idx, e.Index)
			}
			if !reflect.DeepEqual(idx, tt.want) {
				t.Fatalf("indexes %v, want %v", idx, tt.want)
			}
		})
	}
}

func TestAuditLimitAndPaging(t *testing.T) {
	ctx := context.Background()
	r := MustAuditLog(t)
	const n = sqlite.MaxAuditLimit + 10
	for i := range n {
		mustAppendEntry(t, r.log, station.AuditEntry{Kind: "print.confirmed", Fields: map[string]string{"job": fmt.Sprint(i)}})
	}
	for _, tt := range []struct{ limit, want int }{{0, sqlite.DefaultAuditLimit}, {-1, sqlite.DefaultAuditLimit}, {7, 7}, {10_000, sqlite.MaxAuditLimit}} {
		got, err := r.log.Entries(ctx, station.AuditFilter{Limit: tt.limit})
		if err != nil || len(got) != tt.want {
			t.Errorf("limit %d: %d entries, %v; want %d", tt.limit, len(got), err, tt.want)
		}
	}
	// Paging by the last index seen visits every entry once.
	seen := map[int64]bool{}
	f := station.AuditFilter{Limit: sqlite.MaxAuditLimit}
	for {
		page, err := r.log.Entries(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if seen[e.Index] {
				t.Fatalf("entry %d seen twice", e.Index)
			}
			seen[e.Index] = true
		}
		f.Before = page[len(page)-1].Index
		if f.Before == 0 {
			break
		}
	}
	if len(seen) != n {
		t.Fatalf("paging saw %d entries of %d", len(seen), n)
	}
}

func TestSubjectOf(t *testing.T) {
	r := MustAuditLog(t)
	a := r.log.SubjectOf(nikA)
	if a != audit.SubjectOf(subjectKey, nikA.Reveal()) || len(a) != 64 {
		t.Fatalf("SubjectOf = %q", a)
	}
	if a == r.log.SubjectOf(nikB) {
		t.Fatal("two NIKs share a subject")
	}
	if got := r.log.SubjectOf(station.NIK{}); got != "" {
		t.Fatalf("no NIK gives %q", got)
	}
	other, err := sqlite.NewAuditLog(r.db, []byte("another key, 32 bytes long......"), mustSigner(t), mustVkey(t), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if other.SubjectOf(nikA) == a {
		t.Fatal("the subject does not depend on the key")
	}
}

func mustSigner(tb testing.TB) *audit.Signer {
	tb.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, "anjungan.test/other")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := audit.NewSigner(skey, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func mustVkey(tb testing.TB) string {
	tb.Helper()
	_, vkey, err := note.GenerateKey(rand.Reader, "anjungan.test/other")
	if err != nil {
		tb.Fatal(err)
	}
	return vkey
}

func TestNewAuditLogRefusesBadKeys(t *testing.T) {
	db, _ := MustOpen(t)
	tests := []struct {
		name   string
		key    []byte
		signer *audit.Signer
		vkey   string
	}{
		{"short subject key", []byte("short"), mustSigner(t), mustVkey(t)},
		{"no signer", subjectKey, nil, mustVkey(t)},
		{"malformed verifier key", subjectKey, mustSigner(t), "not a key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sqlite.NewAuditLog(db, tt.key, tt.signer, tt.vkey, time.Now); !errors.Is(err, sqlite.ErrAuditKey) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestLoadSubjectKey(t *testing.T) {
	tests := []struct {
		file string
		ok   bool
	}{
		{"valid.key", true},
		{"not-hex.key", false},
		{"too-short.key", false},
		{"missing.key", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			key, err := sqlite.LoadSubjectKey(filepath.Join("testdata", "subject-key", tt.file))
			if tt.ok && (err != nil || len(key) != sqlite.SubjectKeySize) {
				t.Fatalf("got %d bytes, %v", len(key), err)
			}
			if !tt.ok && !errors.Is(err, sqlite.ErrAuditKey) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestAuditVerify(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		tamper string // SQL run on the file behind the log's back
		want   string // a problem kind Verify must report
	}{
		{"changed entry", `UPDATE audit_entries SET data = CAST(replace(CAST(data AS TEXT), 'card-1', 'card-9') AS BLOB) WHERE idx = 2`, "hash-mismatch"},
		// internal/audit.Verify stops with an error at a gap whose hashes it
		// cannot recompute; entry-gap once it reports the gap instead.
		{"deleted entry", `DELETE FROM audit_entries WHERE idx = 1`, "verify-incomplete|entry-gap"},
		{"deleted last entry", `DELETE FROM audit_entries WHERE idx = 3`, "checkpoint-truncated"},
		{"changed hash", `UPDATE audit_hashes SET hash = zeroblob(32) WHERE id = 0`, "hash-mismatch"},
		{"truncated log", `DELETE FROM audit_entries WHERE idx >= 3; DELETE FROM audit_hashes WHERE id >= 4`, "checkpoint-truncated"},
		{"changed checkpoint", `UPDATE audit_checkpoints SET note = CAST(replace(CAST(note AS TEXT), char(10) || '4' || char(10), char(10) || '3' || char(10)) AS BLOB)`, "checkpoint-invalid"},
		{"index row changed", `UPDATE audit_index SET subject = 'x' WHERE idx = 1`, "index-mismatch"},
		{"index row deleted", `DELETE FROM audit_index WHERE idx = 0`, "index-mismatch"},
		{"index row added", `INSERT INTO audit_index VALUES (99, 0, 'login.ok', '', '', '')`, "index-mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustAuditLog(t)
			for i := range 4 {
				mustAppendEntry(t, r.log, station.AuditEntry{Kind: "print.confirmed", Subject: r.log.SubjectOf(nikA),
					Fields: map[string]string{"printer": "card-1", "job": fmt.Sprint(i), "outcome": "ok"}})
			}
			if _, err := r.log.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			if err := r.log.Verify(ctx); err != nil {
				t.Fatalf("untouched log: %v", err)
			}
			if _, err := MustRaw(t, r.path).Exec(tt.tamper); err != nil {
				t.Fatal(err)
			}
			rep, err := r.log.VerifyReport(ctx)
			if !errors.Is(err, sqlite.ErrAuditBroken) {
				t.Fatalf("Verify after tampering = %v", err)
			}
			var kinds []string
			for _, p := range rep.Problems {
				kinds = append(kinds, p.Kind)
				if slices.Contains(strings.Split(tt.want, "|"), p.Kind) {
					return
				}
			}
			t.Fatalf("problems %v, want %s", kinds, tt.want)
		})
	}
}

// TestEntriesRefuseATamperedIndex: a row found through a changed index
// is refused, not shown as if it matched.
func TestEntriesRefuseATamperedIndex(t *testing.T) {
	ctx := context.Background()
	r := MustAuditLog(t)
	mustAppendEntry(t, r.log, station.AuditEntry{Kind: "login.ok", Subject: r.log.SubjectOf(nikA)})
	mustAppendEntry(t, r.log, station.AuditEntry{Kind: "login.ok", Subject: r.log.SubjectOf(nikB)})
	if _, err := MustRaw(t, r.path).Exec(`UPDATE audit_index SET subject = ? WHERE idx = 1`, r.log.SubjectOf(nikA)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.log.Entries(ctx, station.AuditFilter{Subject: r.log.SubjectOf(nikA)}); !errors.Is(err, sqlite.ErrAuditBroken) {
		t.Fatalf("Entries through a tampered index = %v", err)
	}
}

func TestMaybeCheckpoint(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		appends  int
		advance  time.Duration
		twice    bool  // call MaybeCheckpoint again right after
		wantSize int64 // size of the new checkpoint; -1 for none
	}{
		{"empty log", 0, time.Hour, false, -1},
		{"few and fresh", 2, 9 * time.Minute, false, -1},
		{"every N entries", 3, 0, false, 3},
		{"more than N", 5, 0, false, 5},
		{"oldest waited M", 1, 10 * time.Minute, false, 1},
		{"nothing new since", 3, 0, true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustAuditLog(t)
			r.log.CheckpointEvery, r.log.CheckpointAfter = 3, 10*time.Minute
			for range tt.appends {
				mustAppendEntry(t, r.log, station.AuditEntry{Kind: "login.ok"})
			}
			r.clock.Add(tt.advance)
			signed, err := r.log.MaybeCheckpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tt.twice {
				if signed == nil {
					t.Fatal("first call made no checkpoint")
				}
				if signed, err = r.log.MaybeCheckpoint(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if tt.wantSize < 0 {
				if signed != nil {
					t.Fatalf("unexpected checkpoint:\n%s", signed)
				}
				return
			}
			latest, err := r.log.LatestCheckpoint(ctx)
			if err != nil || string(latest) != string(signed) {
				t.Fatalf("latest %q, %v; want the new one", latest, err)
			}
			rep, err := r.log.VerifyReport(ctx)
			if err != nil || rep.Latest == nil || rep.Latest.Size != tt.wantSize {
				t.Fatalf("verify: %+v, %v; want a checkpoint of size %d", rep.Latest, err, tt.wantSize)
			}
		})
	}
}

func TestAuditSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	r := MustAuditLog(t)
	mustAppendEntry(t, r.log, station.AuditEntry{Kind: "login.ok"})
	if err := r.db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(r.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := sqlite.NewAuditLog(db, subjectKey, mustSigner(t), mustVkey(t), r.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if idx := mustAppendEntry(t, l, station.AuditEntry{Kind: "login.refused"}); idx != 1 {
		t.Fatalf("after reopening the next index is %d", idx)
	}
	got, err := l.Entries(ctx, station.AuditFilter{})
	if err != nil || len(got) != 2 {
		t.Fatalf("%d entries, %v", len(got), err)
	}
}

// TestMigrateFromVersion1 opens a database written by a station that had
// only the used-ticket list: it gains the audit log and keeps the list.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	raw := MustRaw(t, path)
	if _, err := raw.Exec(`PRAGMA journal_mode = WAL;
		CREATE TABLE used_tickets (ticket_id TEXT PRIMARY KEY, used_at INTEGER NOT NULL) WITHOUT ROWID;
		CREATE INDEX used_tickets_used_at ON used_tickets (used_at);
		INSERT INTO used_tickets VALUES ('` + id(3) + `', 1);
		PRAGMA user_version = 1;`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if used, err := sqlite.NewUsedTickets(db).Used(ctx, id(3)); err != nil || !used {
		t.Fatalf("used ticket after migration: %v, %v", used, err)
	}
	l, err := sqlite.NewAuditLog(db, subjectKey, mustSigner(t), mustVkey(t), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	mustAppendEntry(t, l, station.AuditEntry{Kind: "login.ok"})
}

// TestAuditConcurrentAppend appends from many goroutines while reading:
// indexes stay dense and the log verifies.
func TestAuditConcurrentAppend(t *testing.T) {
	ctx := context.Background()
	r := MustAuditLog(t)
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := range 30 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := r.log.Append(ctx, station.AuditEntry{Kind: "print.confirmed", Fields: map[string]string{"job": fmt.Sprint(i)}})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := r.log.Entries(ctx, station.AuditFilter{Kind: "print."})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if _, err := r.log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := r.log.VerifyReport(ctx)
	if err != nil || rep.Entries != 30 {
		t.Fatalf("verify: %d entries, %v", rep.Entries, err)
	}
}

// BenchmarkAuditAppend appends one entry per durable transaction
// (WAL, synchronous=FULL), as the kiosk does for each event.
func BenchmarkAuditAppend(b *testing.B) {
	r := MustAuditLog(b)
	ctx := context.Background()
	e := station.AuditEntry{Kind: "print.confirmed", Actor: "kiosk", Subject: r.log.SubjectOf(nikA),
		Fields: map[string]string{"outcome": "ok", "request": "REQ-0001", "job": "J0001", "sha256": fmt.Sprintf("%064x", 1)}}
	for b.Loop() {
		if _, err := r.log.Append(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkAuditEntries runs the console's lookups among 10,000 entries:
// a subject (20 entries, indexed) and a rare outcome (1 in 100, scanned).
func BenchmarkAuditEntries(b *testing.B) {
	r := MustAuditLog(b)
	ctx := context.Background()
	for i := range 10_000 {
		nik := station.MustParseNIK(fmt.Sprintf("31710141079%05d", i%500+1))
		outcome := "ok"
		if i%100 == 0 {
			outcome = "failed"
		}
		mustAppendEntry(b, r.log, station.AuditEntry{Kind: "print.confirmed", Subject: r.log.SubjectOf(nik),
			Fields: map[string]string{"outcome": outcome}})
	}
	for _, bb := range []struct {
		name string
		f    station.AuditFilter
	}{
		{"subject", station.AuditFilter{Subject: r.log.SubjectOf(station.MustParseNIK("3171014107900001")), Limit: 50}},
		{"rare-outcome", station.AuditFilter{Outcome: "failed", Limit: 50}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.log.Entries(ctx, bb.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCheckpointSignsOnlyNewTrees: asking again with no new entry gives
// the stored checkpoint back instead of piling up copies.
func TestCheckpointSignsOnlyNewTrees(t *testing.T) {
	ctx := context.Background()
	r := MustAuditLog(t)
	count := func() (n int) {
		t.Helper()
		if err := MustRaw(t, r.path).QueryRow(`SELECT COUNT(*) FROM audit_checkpoints`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	empty, err := r.log.Checkpoint(ctx)
	if err != nil || empty == nil {
		t.Fatalf("checkpoint of the empty log: %q, %v", empty, err)
	}
	mustAppendEntry(t, r.log, station.AuditEntry{Kind: "login.ok"})
	first, err := r.log.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.log.Checkpoint(ctx)
	if err != nil || string(again) != string(first) || count() != 2 {
		t.Fatalf("second call: %v, same %v, %d stored; want the first back and 2 stored", err, string(again) == string(first), count())
	}
	mustAppendEntry(t, r.log, station.AuditEntry{Kind: "login.ok"})
	if next, err := r.log.Checkpoint(ctx); err != nil || string(next) == string(first) || count() != 3 {
		t.Fatalf("after a new entry: %v, %d stored", err, count())
	}
}
