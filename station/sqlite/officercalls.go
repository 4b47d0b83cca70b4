package sqlite

import (
	"context"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// officerCallsSchema is the migration of the citizens' calls for an
// officer, so that a restart of the station does not lose a call. A call
// names a request and its job, never the citizen.
const officerCallsSchema = `
	CREATE TABLE officer_calls (
		request  TEXT PRIMARY KEY,  -- '' for a call before any print
		at       INTEGER NOT NULL,  -- Unix nanoseconds
		document TEXT NOT NULL,
		job      TEXT NOT NULL,
		ref      TEXT NOT NULL,
		state    TEXT NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX officer_calls_at ON officer_calls (at);`

// OfficerCalls keeps the calls for an officer in the station's database.
type OfficerCalls struct{ DB *DB }

var _ station.OfficerCallStore = OfficerCalls{}

// Save records c, replacing an earlier call about the same request, and
// keeps only the newest keep calls.
func (s OfficerCalls) Save(ctx context.Context, c station.OfficerCall, keep int) error {
	tx, err := s.DB.write.BeginTx(ctx, nil)
	if err != nil {
		return ErrStorage.With(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO officer_calls (request, at, document, job, ref, state) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (request) DO UPDATE SET at = excluded.at, document = excluded.document, job = excluded.job, ref = excluded.ref, state = excluded.state`,
		string(c.Request), c.At.UnixNano(), string(c.Document), string(c.Job), c.Ref, string(c.State)); err != nil {
		return ErrStorage.With(err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM officer_calls WHERE request NOT IN
		(SELECT request FROM officer_calls ORDER BY at DESC LIMIT ?)`, keep); err != nil {
		return ErrStorage.With(err)
	}
	if err := tx.Commit(); err != nil {
		return ErrStorage.With(err)
	}
	return nil
}

// Since returns the calls made after t, newest first, and forgets older ones.
func (s OfficerCalls) Since(ctx context.Context, t time.Time) ([]station.OfficerCall, error) {
	if _, err := s.DB.write.ExecContext(ctx, `DELETE FROM officer_calls WHERE at <= ?`, t.UnixNano()); err != nil {
		return nil, ErrStorage.With(err)
	}
	rows, err := s.DB.read.QueryContext(ctx, `SELECT request, at, document, job, ref, state FROM officer_calls WHERE at > ? ORDER BY at DESC`, t.UnixNano())
	if err != nil {
		return nil, ErrStorage.With(err)
	}
	defer rows.Close()
	var out []station.OfficerCall
	for rows.Next() {
		var c station.OfficerCall
		var req, doc, job, state string
		var at int64
		if err := rows.Scan(&req, &at, &doc, &job, &c.Ref, &state); err != nil {
			return nil, ErrStorage.With(err)
		}
		c.Request, c.At, c.Document, c.Job, c.State = station.RequestID(req), time.Unix(0, at).UTC(), station.DocumentType(doc), printerd.JobID(job), station.PrintState(state)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, ErrStorage.With(err)
	}
	return out, nil
}
