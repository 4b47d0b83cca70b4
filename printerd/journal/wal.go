package journal

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// The journal checkpoints its WAL itself; SQLite's automatic checkpoint
// is off (wal_autocheckpoint(0) on every connection). SQLite would run it
// inside the commit that fills the WAL to 1000 pages, whatever that
// commit is: measured, one submission in 40 carried it (a WAL fsync, the
// pages written to journal.db and its fsync), and the next write paid one
// more fsync for the WAL's new header. That was the submission's p99
// (docs/performance.md). Here the dispatcher pays it, before it claims a
// job: the citizen already has their answer, and the print that follows
// takes seconds. A claim with nothing to claim checkpoints nothing: an
// idle dispatcher's polls write nothing, as before.
//
// What is durable when does not change: each commit still syncs its WAL
// frames (synchronous=FULL) before it returns, and a checkpoint only
// copies committed pages into journal.db, which SQLite makes safe against
// a crash at any point.

// DefaultWALCheckpointEvery is how many write transactions the WAL may
// gather before the next claim checkpoints it: about 13 pages each, some
// 800 pages (SQLite's own threshold is 1000).
const DefaultWALCheckpointEvery = 64

// eraseBusy is how long eraseWAL waits for readers to leave the WAL;
// eraseRetry, how long after a wait in vain it tries again.
const (
	eraseBusy  = 100 * time.Millisecond
	eraseRetry = 10 * time.Second
)

// walLimitFactor bounds the WAL when no claim comes (every printer
// stopped, jobs still submitted): the write that brings it to this many
// times the threshold checkpoints it at once, as SQLite would have.
const walLimitFactor = 4

// WithWALCheckpointEvery makes the dispatcher's next claim checkpoint the
// WAL after n write transactions instead of DefaultWALCheckpointEvery
// (the crash test uses 4, so that one runs in its three-job run).
func WithWALCheckpointEvery(n int) Option {
	return func(j *Journal) {
		if n > 0 {
			j.walEvery = n
		}
	}
}

// walWrote counts a committed write transaction and checkpoints when the
// WAL has reached its limit. The caller holds j.mu.
func (j *Journal) walWrote(ctx context.Context) {
	j.walWrites += 1 + j.walExtra
	if j.walWrites >= walLimitFactor*j.walEvery {
		_ = j.checkpointWAL(ctx)
	}
}

// walDue checkpoints the WAL before a claim of media's oldest queued job
// when it holds walEvery write transactions or more; the caller holds
// j.mu, so the job is still queued when the claim's transaction begins.
// Only a claim that writes: the claim's own write is SQLite's first after
// the checkpoint, which starts the WAL over (it writes the WAL's new
// header and syncs it before its frames), so that fsync is not a
// submission's either. A checkpoint that fails, or that a reader still
// using older frames cuts short, is tried again at the next claim: the
// WAL keeps every commit meanwhile.
func (j *Journal) walDue(ctx context.Context, media printerd.Media) {
	if j.eraseDue && !j.now().Before(j.eraseNext) {
		_ = j.eraseWAL(ctx)
		return
	}
	if j.walWrites < j.walEvery {
		return
	}
	var one int
	if err := j.stmts.QueryRowContext(ctx, `SELECT 1 FROM jobs WHERE state = ? AND media = ? LIMIT 1`,
		printerd.JobQueued, media).Scan(&one); err != nil {
		return // nothing to claim (or a failed read, which the claim meets too)
	}
	_ = j.checkpointWAL(ctx)
}

// documentWeight is how many write transactions beyond its own a
// submission of a document of n bytes counts for in walEvery: one more per
// 64 KiB, so that the WAL stays near the same size whatever the documents
// weigh; at most walEvery, so that one large document makes the next
// claim checkpoint, never its own submission (walLimitFactor).
func (j *Journal) documentWeight(n int) int { return min(n>>16, j.walEvery) }

// eraseWAL removes from the WAL the documents of the jobs that ended
// since the last time: their rows are deleted and their pages in
// journal.db zeroed (secure_delete) in the write that ended the job, but
// the WAL still holds the frames written when they were submitted. It
// checkpoints the WAL and truncates it to nothing (TRUNCATE), waiting for
// readers at most eraseBusy, then starts the WAL over with a small write
// of its own (the time, in wal_erased), so that the fsync of the new WAL's
// header is the dispatcher's and not the next submission's. It runs
// before the dispatcher's next claim or poll once a job has ended, under
// j.mu. When a reader holds the WAL longer, it is tried again at the
// first poll eraseRetry later.
func (j *Journal) eraseWAL(ctx context.Context) error {
	conn, err := j.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", eraseBusy.Milliseconds())); err != nil {
		return err
	}
	var busy, frames, copied int
	err = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied)
	_, rerr := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds()))
	if err = errors.Join(err, rerr); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // not back to the pool with the short timeout
		return err
	}
	if busy != 0 {
		// A reader holds the WAL (a backup, Litestream): waiting for it at
		// every poll would hold up every write meanwhile.
		j.eraseNext = j.now().Add(eraseRetry)
		return nil
	}
	j.eraseDue, j.walWrites = false, 0
	return j.writeTx(ctx, "erase-wal", func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `UPDATE wal_erased SET at = ?`, j.now().UTC().UnixNano())
		return err
	})
}

// checkpointWAL copies the WAL into journal.db (PRAGMA wal_checkpoint,
// PASSIVE: it waits for no one). The caller holds j.mu, so no journal
// write adds frames meanwhile.
func (j *Journal) checkpointWAL(ctx context.Context) error {
	var busy, frames, copied int
	if err := j.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return err
	}
	if busy == 0 && copied == frames {
		j.walWrites = 0
	}
	return nil
}
