// Package outbox is the fleet outbox both services keep in their own
// SQLite database (docs/fleet.md, "Kiosk side"): events are appended in
// the transaction of the change they describe (Append), and the sender
// (internal/fleetsend) reads them in order, numbers them, and deletes
// what the hub acknowledged (Store).
//
// Two numbers: id orders the rows as they were written; seq is the
// event's number on the wire, given when the sender first takes a row
// and never changed after. Compaction may drop a snapshot row that was
// never sent, which would leave a gap in a number given at write time;
// numbering at first send keeps the wire's seq contiguous whatever
// compaction did.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/anjungan/anjungan/fleet"
)

// Schema creates the outbox. Each service appends it as a migration.
const Schema = `
CREATE TABLE outbox (
	id   INTEGER PRIMARY KEY AUTOINCREMENT, -- write order, never reused
	seq  INTEGER UNIQUE,                    -- the event's Seq once sent first; NULL before
	at   INTEGER NOT NULL,                  -- Unix nanoseconds, UTC
	kind TEXT NOT NULL,
	key  TEXT NOT NULL DEFAULT '',          -- a snapshot's subject ("printer_state/card-1"); '' for counted events
	data TEXT NOT NULL                      -- the kind's JSON (fleet package)
);
CREATE TABLE outbox_cursor (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	assigned INTEGER NOT NULL              -- the highest seq ever given
);
INSERT INTO outbox_cursor (id, assigned) VALUES (1, 0);
`

// Execer is a transaction (or anything that runs a statement in one).
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Snapshot reports whether kind is a state snapshot that a later one of
// the same subject supersedes (compacted when the outbox is over its
// cap). Every other kind is counted by the hub and never dropped.
func Snapshot(kind fleet.Kind) bool {
	return kind == fleet.KindPrinterState || kind == fleet.KindKioskState || kind == fleet.KindOutboxBacklog
}

// Append writes one event in tx. key names a snapshot's subject; it is
// ignored for counted kinds.
func Append(ctx context.Context, tx Execer, at time.Time, kind fleet.Kind, key string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if !Snapshot(kind) {
		key = ""
	} else if key == "" {
		key = string(kind)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (at, kind, key, data) VALUES (?, ?, ?, ?)`,
		at.UTC().UnixNano(), string(kind), key, string(b))
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// Store reads and trims the outbox for the sender.
type Store struct {
	DB *sql.DB
	// Lock, when set, is held around each write: the service's own
	// writer lock, so the sender's short transactions queue behind its
	// writes instead of meeting SQLite's busy timeout.
	Lock sync.Locker
}

func (s *Store) lock() func() {
	if s.Lock == nil {
		return func() {}
	}
	s.Lock.Lock()
	return s.Lock.Unlock
}

// Next returns the events to send, oldest first: those numbered before
// and not yet acknowledged, then new ones numbered now (in the same
// transaction, so a crash keeps their numbers or none), at most max
// events and about maxBytes of data (at least one event).
func (s *Store) Next(ctx context.Context, max, maxBytes int) ([]fleet.Event, error) {
	defer s.lock()()
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	var assigned uint64
	if err := tx.QueryRowContext(ctx, `SELECT assigned FROM outbox_cursor WHERE id = 1`).Scan(&assigned); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, seq, at, kind, data FROM outbox ORDER BY id LIMIT ?`, max)
	if err != nil {
		return nil, err
	}
	var out []fleet.Event
	var fresh []int64 // ids numbered now
	size := 0
	for rows.Next() {
		var id, at int64
		var seq sql.NullInt64
		var kind, data string
		if err := rows.Scan(&id, &seq, &at, &kind, &data); err != nil {
			rows.Close()
			return nil, err
		}
		if len(out) > 0 && size+len(data) > maxBytes {
			break
		}
		size += len(data) + 64
		e := fleet.Event{At: time.Unix(0, at).UTC(), Kind: fleet.Kind(kind), Data: json.RawMessage(data)}
		if seq.Valid {
			e.Seq = uint64(seq.Int64)
		} else {
			assigned++
			e.Seq = assigned
			fresh = append(fresh, id)
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(fresh) == 0 {
		return out, nil
	}
	first := assigned - uint64(len(fresh)) + 1
	for i, id := range fresh {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET seq = ? WHERE id = ?`, first+uint64(i), id); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox_cursor SET assigned = ? WHERE id = 1`, assigned); err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

// Acked deletes the events up to acked, which the hub has stored. An
// acked beyond every number this outbox gave means the hub holds a
// history this database no longer has (it was restored from a backup):
// the unacknowledged events are numbered again after it, so none is
// taken for one the hub already has.
func (s *Store) Acked(ctx context.Context, acked uint64) error {
	defer s.lock()()
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var assigned uint64
	if err := tx.QueryRowContext(ctx, `SELECT assigned FROM outbox_cursor WHERE id = 1`).Scan(&assigned); err != nil {
		return err
	}
	if acked > assigned {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET seq = NULL`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox_cursor SET assigned = ? WHERE id = 1`, acked); err != nil {
			return err
		}
	} else if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE seq <= ?`, acked); err != nil {
		return err
	}
	return tx.Commit()
}

// Renumber gives the events not yet acknowledged new numbers after
// acked at their next send: the hub's answer to a batch that would leave
// a gap (it lost events this outbox deleted on its word, e.g. its
// database was restored from a backup). Those are gone; the stream goes
// on after them, without a gap.
func (s *Store) Renumber(ctx context.Context, acked uint64) error {
	defer s.lock()()
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET seq = NULL`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox_cursor SET assigned = ? WHERE id = 1`, acked); err != nil {
		return err
	}
	return tx.Commit()
}

// Compact drops, when the outbox holds more than limit rows, every
// snapshot not yet sent that a later snapshot of the same subject
// supersedes. Counted events are never dropped, so the outbox may stay
// over limit; the backlog alert says so.
func (s *Store) Compact(ctx context.Context, limit int) (int64, error) {
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox`).Scan(&n); err != nil {
		return 0, err
	}
	if n <= limit {
		return 0, nil
	}
	defer s.lock()()
	res, err := s.DB.ExecContext(ctx, `DELETE FROM outbox WHERE seq IS NULL AND key <> ''
		AND id NOT IN (SELECT MAX(id) FROM outbox WHERE seq IS NULL AND key <> '' GROUP BY key)`)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Append writes one event in its own transaction: an event about the
// outbox itself (the sender's outbox_backlog), which belongs to no change
// of the service.
func (s *Store) Append(ctx context.Context, at time.Time, kind fleet.Kind, key string, data any) error {
	defer s.lock()()
	return Append(ctx, s.DB, at, kind, key, data)
}

// Backlog is what waits in the outbox.
type Backlog struct {
	Count  int
	Bytes  int64     // the size of their data
	Oldest time.Time // zero when empty
}

// Backlog counts the events waiting and finds the oldest.
func (s *Store) Backlog(ctx context.Context) (Backlog, error) {
	var b Backlog
	var oldest sql.NullInt64
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0), MIN(at) FROM outbox`).Scan(&b.Count, &b.Bytes, &oldest)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Backlog{}, err
	}
	if oldest.Valid {
		b.Oldest = time.Unix(0, oldest.Int64).UTC()
	}
	return b, nil
}
