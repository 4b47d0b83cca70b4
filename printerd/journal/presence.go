package journal

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// schemaV6 adds presence (printerd/presence.go): the visit each job waits
// for, and the leases the station keeps on visits.
const schemaV6 = `
ALTER TABLE jobs ADD COLUMN presence TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_presence ON jobs (presence, state) WHERE presence != '';
CREATE TABLE presence (
	id    TEXT PRIMARY KEY,
	until INTEGER NOT NULL,          -- Unix nanoseconds
	ended INTEGER NOT NULL DEFAULT 0 -- 1: the visit ended; no renewal revives it
) WITHOUT ROWID;
`

// errPresenceEnded refuses the renewal of a visit that has ended.
var errPresenceEnded = printerd.ErrInvalidRequest.Withf("presence has ended")

// RenewPresence implements printerd.Journal.
func (j *Journal) RenewPresence(ctx context.Context, id string, until time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.writeTx(ctx, "presence", func(tx *txn) error {
		var ended bool
		err := tx.QueryRowContext(ctx, `SELECT ended FROM presence WHERE id = ?`, id).Scan(&ended)
		switch {
		case err == nil && ended:
			return errPresenceEnded
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO presence (id, until) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET until = max(until, excluded.until)`, id, until.UnixNano())
		return err
	})
	if err != nil {
		return journalError(err)
	}
	return nil
}

// EndPresence implements printerd.Journal.
func (j *Journal) EndPresence(ctx context.Context, id string) ([]printerd.Job, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var jobs []printerd.Job
	err := j.writeTx(ctx, "presence", func(tx *txn) error {
		now := j.now().UTC().UnixNano()
		if _, err := tx.ExecContext(ctx, `INSERT INTO presence (id, until, ended) VALUES (?, ?, 1)
			ON CONFLICT (id) DO UPDATE SET until = min(until, excluded.until), ended = 1`, id, now); err != nil {
			return err
		}
		var err error
		jobs, err = queryJobs(ctx, tx, "SELECT "+jobColumns+" FROM jobs WHERE presence = ? AND state = ? ORDER BY created, rowid",
			id, printerd.JobQueued)
		if err != nil {
			return err
		}
		for i := range jobs {
			if err := j.move(ctx, tx, &jobs[i], change{to: printerd.JobHeld, reason: printerd.ReasonCitizenAbsent}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, journalError(err)
	}
	return jobs, nil
}

// present reports whether the visit a job waits for is live at now: a job
// with no presence always is.
func present(ctx context.Context, tx *txn, id string, now time.Time) (bool, error) {
	if id == "" {
		return true, nil
	}
	var until int64
	var ended bool
	err := tx.QueryRowContext(ctx, `SELECT until, ended FROM presence WHERE id = ?`, id).Scan(&until, &ended)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !ended && until > now.UnixNano(), nil
}

// Reattach implements printerd.Journal.
func (j *Journal) Reattach(ctx context.Context, id printerd.JobID, presence string) (printerd.Job, bool, error) {
	changed := false
	job, err := j.update(ctx, "reattach", id, func(tx *txn, job *printerd.Job) error {
		if job.Presence == presence && job.State != printerd.JobHeld {
			return nil // reattached already: a retry
		}
		if job.State != printerd.JobHeld || job.Reason != printerd.ReasonCitizenAbsent || job.Presence == "" {
			return printerd.ErrJobState.Withf("job %s is %s (%s), not held for an absent citizen", job.ID, job.State, job.Reason)
		}
		live, err := present(ctx, tx, presence, j.now())
		if err != nil {
			return err
		}
		if !live {
			return printerd.ErrInvalidRequest.Withf("presence is not live")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET presence = ? WHERE id = ?`, presence, job.ID); err != nil {
			return err
		}
		job.Presence = presence
		changed = true
		return j.move(ctx, tx, job, change{to: printerd.JobQueued, reason: printerd.ReasonReattached})
	})
	if err != nil {
		return printerd.Job{}, false, err
	}
	return job, changed, nil
}
