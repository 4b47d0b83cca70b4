package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/anjungan/anjungan/station"
)

// settlementsSchema keeps what the station owes the upstream about each
// print (station.Settlement): written before each step it records, so a
// restart carries on from it.
const settlementsSchema = `CREATE TABLE settlements (
	id            TEXT PRIMARY KEY,      -- 32 hex digits
	job_key       TEXT NOT NULL UNIQUE,  -- printerd idempotency key
	attempt       INTEGER NOT NULL,      -- 0 for a reprint
	intent_key    TEXT NOT NULL,
	authorization TEXT NOT NULL,
	request_id    TEXT NOT NULL,
	document_type TEXT NOT NULL,
	ticket_id     TEXT NOT NULL,
	pdf_sha256    TEXT NOT NULL,
	job_id        TEXT NOT NULL,
	stage         TEXT NOT NULL CHECK (stage IN ('submitting','following','owed','in_doubt','settled')),
	owed          TEXT NOT NULL,         -- '', printed, failed, in_doubt
	printer       TEXT NOT NULL,
	card_serial   TEXT NOT NULL,
	reason        TEXT NOT NULL,
	tries         INTEGER NOT NULL,
	last_error    TEXT NOT NULL,         -- a fault code
	created       INTEGER NOT NULL,      -- Unix nanoseconds
	updated       INTEGER NOT NULL,
	next_try      INTEGER NOT NULL       -- Unix nanoseconds; 0: now
);
CREATE INDEX settlements_request ON settlements (request_id, created);
-- Only open settlements are read often; a partial index keeps that cheap
-- however many settled ones accumulate.
CREATE INDEX settlements_open ON settlements (created) WHERE stage != 'settled';`

// Settlements is the station's settlement store.
type Settlements struct{ DB *DB }

var _ station.SettlementStore = Settlements{}

const settlementColumns = `id, job_key, attempt, intent_key, authorization, request_id, document_type, ticket_id,
	pdf_sha256, job_id, stage, owed, printer, card_serial, reason, tries, last_error, created, updated, next_try`

// SaveSettlements implements station.SettlementStore.
func (s Settlements) SaveSettlements(ctx context.Context, ss ...station.Settlement) error {
	return s.DB.update(ctx, func(tx *sql.Tx) error {
		for _, st := range ss {
			// Read before the row is replaced: the outbox gets the
			// outcome in this transaction, or neither is written.
			if err := outSettlement(ctx, tx, st); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO settlements (`+settlementColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				st.ID, st.Key, st.Attempt, st.IntentKey, st.Authorization, string(st.Request), string(st.Document),
				st.TicketID, st.SHA256, string(st.Job), string(st.Stage), string(st.Owed), st.Printer, st.CardSerial,
				st.Reason, st.Tries, st.LastError, nanos(st.Created), nanos(st.Updated), nanos(st.NextTry)); err != nil {
				return err
			}
		}
		return nil
	})
}

// OpenSettlements implements station.SettlementStore.
func (s Settlements) OpenSettlements(ctx context.Context) ([]station.Settlement, error) {
	return s.query(ctx, `SELECT `+settlementColumns+` FROM settlements WHERE stage != 'settled' ORDER BY created, id`)
}

// Settlement implements station.SettlementStore.
func (s Settlements) Settlement(ctx context.Context, id string) (station.Settlement, bool, error) {
	ss, err := s.query(ctx, `SELECT `+settlementColumns+` FROM settlements WHERE id = ?`, id)
	if err != nil || len(ss) == 0 {
		return station.Settlement{}, false, err
	}
	return ss[0], true, nil
}

// RequestSettlements implements station.SettlementStore.
func (s Settlements) RequestSettlements(ctx context.Context, rid station.RequestID) ([]station.Settlement, error) {
	return s.query(ctx, `SELECT `+settlementColumns+` FROM settlements WHERE request_id = ? ORDER BY created, id`, string(rid))
}

func (s Settlements) query(ctx context.Context, q string, args ...any) ([]station.Settlement, error) {
	// The write connection: a settlement just saved must be read back.
	rows, err := s.DB.write.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, ErrStorage.With(err)
	}
	defer rows.Close()
	var out []station.Settlement
	for rows.Next() {
		var st station.Settlement
		var created, updated, next int64
		if err := rows.Scan(&st.ID, &st.Key, &st.Attempt, &st.IntentKey, &st.Authorization, &st.Request, &st.Document,
			&st.TicketID, &st.SHA256, (*string)(&st.Job), &st.Stage, &st.Owed, &st.Printer, &st.CardSerial, &st.Reason,
			&st.Tries, &st.LastError, &created, &updated, &next); err != nil {
			return nil, ErrStorage.With(err)
		}
		st.Created, st.Updated, st.NextTry = fromNanos(created), fromNanos(updated), fromNanos(next)
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, ErrStorage.With(err)
	}
	return out, nil
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
