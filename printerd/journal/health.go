package journal

import (
	"context"
	"errors"
	"sync"

	"github.com/anjungan/anjungan/printerd"
)

// KindJournalWriteFailed is the audit entry written after a write of the
// journal failed (see writeFailed).
const KindJournalWriteFailed = "journal.write_failed"

// errNoChange ends a write transaction that turned out to have nothing to
// write (nothing queued, an idempotent replay): it is rolled back and says
// nothing about the journal's health.
var errNoChange = errors.New("nothing to write")

// health is the journal's JournalHealth, learnt from its writes. It has
// its own lock so that Health answers while a write holds j.mu.
type health struct {
	mu sync.Mutex
	h  printerd.JournalHealth
}

// Health implements printerd.Journal.
func (j *Journal) Health() printerd.JournalHealth {
	j.health.mu.Lock()
	defer j.health.mu.Unlock()
	return j.health.h
}

// wrote notes the outcome of a write: nil for a commit that succeeded.
func (j *Journal) wrote(err error) {
	now := j.now().UTC()
	j.health.mu.Lock()
	defer j.health.mu.Unlock()
	h := &j.health.h
	if err == nil {
		*h = printerd.JournalHealth{Writable: true, LastWrite: now}
		return
	}
	if h.Writable || h.FailingSince.IsZero() {
		h.FailingSince = now
	}
	h.Writable = false
	h.Failures++
	h.Err = err
}

// writeTx runs fn in a write transaction and commits it; the caller holds
// j.mu. fn's *printerd.Error values and errNoChange roll back and pass
// through: they are answers, not failures to write. Any other failure is
// handled by writeFailed and returned as it came.
func (j *Journal) writeTx(ctx context.Context, op string, fn func(tx *txn) error) error {
	j.walExtra = 0 // fn may set it; walWrote counts it once committed
	tx, err := j.begin(ctx)
	if err != nil {
		j.writeFailed(ctx, nil, op, err)
		return err
	}
	err = fn(tx)
	var fe *printerd.Error
	if errors.Is(err, errNoChange) || errors.As(err, &fe) {
		_ = tx.Rollback()
		return err
	}
	if err == nil {
		if err = j.commit(tx); err == nil {
			j.wrote(nil)
			j.walWrote(ctx)
			return nil
		}
	}
	j.writeFailed(ctx, tx, op, err)
	return err
}

// writeFailed rolls back a failed write transaction, notes the failure
// and at once writes an audit entry saying so. That entry matters beyond
// the record: a commit whose sync failed can leave its frames in the WAL,
// whole and valid, so that the next start would bring back a change its
// caller was told had failed (a job answered journal_unavailable would
// print). The next write that succeeds overwrites those frames; this one
// makes it happen now, so that after a transient error the journal holds
// what its callers were told. When it fails too, the journal stays
// unwritable (Health) until a later write succeeds. A canceled caller is
// no failure of the journal: nothing is noted.
func (j *Journal) writeFailed(ctx context.Context, tx *txn, op string, err error) {
	if tx != nil {
		_ = tx.Rollback()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	j.wrote(err)
	ctx = context.WithoutCancel(ctx)
	htx, herr := j.begin(ctx)
	if herr == nil {
		cause := err.Error()
		if len(cause) > 200 {
			cause = cause[:200]
		}
		herr = j.record(ctx, htx, j.now().UTC(), KindJournalWriteFailed, "", map[string]string{"operation": op, "error": cause})
		if herr == nil {
			herr = j.commit(htx)
		} else {
			_ = htx.Rollback()
		}
	}
	j.wrote(herr)
}
