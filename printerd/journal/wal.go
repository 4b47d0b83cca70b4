package journal

import (
	"context"
	"fmt"
)

// The journal checkpoints its WAL itself; SQLite's automatic checkpoint
// is off (wal_autocheckpoint(0) on every connection). SQLite would run it
// inside the commit that fills the WAL to 1000 pages, whatever that
// commit is: measured, one submission in 40 carried it (a WAL fsync, the
// pages written to journal.db and its fsync), and the next write paid one
// more fsync for the WAL's new header. That was the submission's p99
// (docs/performance.md). Here the dispatcher pays it, before it claims a
// job: the citizen already has their answer, and the print that follows
// takes seconds.
//
// What is durable when does not change: each commit still syncs its WAL
// frames (synchronous=FULL) before it returns, and a checkpoint only
// copies committed pages into journal.db, which SQLite makes safe against
// a crash at any point.

// DefaultWALCheckpointEvery is how many write transactions the WAL may
// gather before the next claim checkpoints it: about 13 pages each, some
// 800 pages (SQLite's own threshold is 1000).
const DefaultWALCheckpointEvery = 64

// walLimitFactor bounds the WAL when no claim comes (every printer
// stopped, jobs still submitted): the write that brings it to this many
// times the threshold checkpoints it at once, as SQLite would have.
const walLimitFactor = 4

// WithWALCheckpointEvery makes the dispatcher's next claim checkpoint the
// WAL after n write transactions instead of DefaultWALCheckpointEvery
// (the crash test uses 1, so that a checkpoint runs before every claim).
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
	j.walWrites++
	if j.walWrites >= walLimitFactor*j.walEvery {
		_ = j.checkpointWAL(ctx)
	}
}

// walDue checkpoints the WAL when it holds walEvery write transactions
// or more; the caller holds j.mu. A checkpoint that fails is tried again
// at the next claim: the WAL keeps every commit meanwhile.
func (j *Journal) walDue(ctx context.Context) {
	if j.walWrites >= j.walEvery {
		_ = j.checkpointWAL(ctx)
	}
}

// checkpointWAL copies the WAL into journal.db and makes SQLite start it
// over from its beginning. The caller holds j.mu, so no journal write
// adds frames meanwhile. The restart is SQLite's first write after a
// complete checkpoint, which writes the WAL's new header and syncs it
// before its own frames: made here with a write of the schema version
// it already has, so that the fsync is not a submission's.
func (j *Journal) checkpointWAL(ctx context.Context) error {
	var busy, frames, copied int
	if err := j.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return err
	}
	if busy != 0 || copied < frames {
		return nil // a reader still needs older frames: the next claim tries again
	}
	if frames > 0 {
		if _, err := j.db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
			return err
		}
	}
	j.walWrites = 0
	return nil
}
