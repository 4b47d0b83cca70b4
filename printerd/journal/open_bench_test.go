package journal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkOpen times Open on journals of 1k, 10k and 100k queued jobs,
// each with its own document (a printer down for a day while kiosks keep
// submitting). Each journal is built once, untimed, in one transaction,
// since only Open is measured. Open must stay linear in the jobs, or
// better; 100k opens in under a second (docs/performance.md). Its anchor,
// x-floor, is measured on the same journal: read every job's document
// hash once, which the spool's sweep at Open did before the documents
// moved into the journal.
func BenchmarkOpen(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("queued=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			buildQueued(b, dir, n)
			floor := openFloor(b, dir)
			for b.Loop() {
				j, err := Open(dir, time.Now)
				if err != nil {
					b.Fatal(err)
				}
				if err := j.Close(); err != nil {
					b.Fatal(err)
				}
			}
			perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perOp/float64(n), "ns/job")
			b.ReportMetric(perOp/float64(floor.Nanoseconds()), "x-floor")
		})
	}
}

// buildQueued leaves in dir a journal of n queued jobs, each with a
// document of its own and its submission event.
func buildQueued(tb testing.TB, dir string, n int) {
	tb.Helper()
	ctx := context.Background()
	j, err := Open(dir, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	defer j.Close()
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range n {
		doc := fmt.Appendf(nil, "%%PDF-1.7\n%% job %d\n", i)
		sum := sha256.Sum256(doc)
		sha := hex.EncodeToString(sum[:])
		if _, err := tx.ExecContext(ctx, `INSERT INTO documents (sha256, body) VALUES (?, ?)`, sha, doc); err != nil {
			tb.Fatal(err)
		}
		id := fmt.Sprintf("J%012d", i)
		t := now.Add(time.Duration(i) * time.Second).UnixNano()
		if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, created, updated)
			VALUES (?, ?, 'om_card_54x86mm', 'KTP-el', ?, 'queued', ?, ?)`, id, "key-"+id, sha, t, t); err != nil {
			tb.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO job_events (job_id, time, from_state, to_state, reason)
			VALUES (?, ?, '', 'queued', 'submitted')`, id, t); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// openFloor is the best of three: read every job's document hash from
// dir/journal.db on a plain connection.
func openFloor(tb testing.TB, dir string) time.Duration {
	tb.Helper()
	best := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		db, err := sql.Open("sqlite", filepath.Join(dir, "journal.db"))
		if err != nil {
			tb.Fatal(err)
		}
		rows, err := db.Query("SELECT document_sha256 FROM jobs")
		if err != nil {
			tb.Fatal(err)
		}
		for rows.Next() {
			var sha string
			if err := rows.Scan(&sha); err != nil {
				tb.Fatal(err)
			}
		}
		if err := errors.Join(rows.Err(), rows.Close(), db.Close()); err != nil {
			tb.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	return best
}
