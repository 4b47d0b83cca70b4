// Package sqlite is the station's SQLite adapter: one database file for
// what the station must remember across restarts: the used-ticket list,
// the audit log, the console's accounts, sessions and login throttle, and
// the settlement of every print with the upstream.
// The schema grows by numbered migrations, recorded in SQLite's
// user_version.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/fault"
)

// ErrStorage is any failure of the station's database.
var ErrStorage = fault.New("storage_failed",
	"Penyimpanan data anjungan bermasalah. Silakan hubungi petugas.",
	"The kiosk's storage failed. Please ask an officer.")

// migrations are the schema's versions: migrations[i] takes the database
// from version i to i+1. Append only; never edit a released step.
var migrations = []string{
	// 1: tickets whose one-time token the upstream burned.
	`CREATE TABLE used_tickets (
		ticket_id TEXT PRIMARY KEY,          -- hex cti, 32 digits
		used_at   INTEGER NOT NULL           -- Unix seconds
	) WITHOUT ROWID;
	CREATE INDEX used_tickets_used_at ON used_tickets (used_at);`,
	// 2: the audit log (internal/audit's tables, themselves append-only)
	// and the columns the console filters on, taken from each entry when
	// it is appended. audit_entries.data stays the hashed truth;
	// AuditLog.Verify checks the index against it.
	audit.Schema + `
	CREATE TABLE audit_index (
		idx     INTEGER PRIMARY KEY,     -- audit_entries.idx
		time    INTEGER NOT NULL,        -- Unix nanoseconds
		kind    TEXT NOT NULL,
		outcome TEXT NOT NULL,           -- fields["outcome"] or ''
		printer TEXT NOT NULL,           -- fields["printer"] or ''
		subject TEXT NOT NULL            -- keyed hash of a NIK or ''
	);
	-- Each index costs a page write per append; outcome and printer are
	-- filtered within a time range or a scan, which LIMIT ends early.
	CREATE INDEX audit_index_time ON audit_index (time);
	CREATE INDEX audit_index_kind ON audit_index (kind);
	CREATE INDEX audit_index_subject ON audit_index (subject);`,
	// 3: the console's accounts and sessions (accounts.go).
	accountsSchema,
	// 4: failed console logins, so that the throttle survives a restart
	// (throttle.go).
	throttleSchema,
	// 5: what the station owes the upstream about each print
	// (settlements.go).
	settlementsSchema,
	// 6: citizens' calls for an officer, kept across a restart
	// (officercalls.go).
	officerCallsSchema,
	// 7: the fleet outbox (fleet.go, docs/fleet.md).
	outboxSchema,
	// 8: the fleet hub witness's cosignatures of the audit log's
	// checkpoints (witness.go, docs/fleet.md "Witness").
	witnessSchema,
}

// DB is the station's database. Writes go through a single connection,
// so transactions never fight over the write lock; reads use a separate
// pool and run in parallel under WAL.
type DB struct {
	write *sql.DB
	read  *sql.DB
}

// Open opens or creates the database at path and brings its schema up to
// date. It refuses a database written by a newer station.
func Open(path string) (*DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, ErrStorage.With(err)
	}
	w.SetMaxOpenConns(1)
	db := &DB{write: w}
	if err := db.migrate(context.Background()); err != nil {
		w.Close()
		return nil, ErrStorage.Withf("%s: %w", path, err)
	}
	q.Add("_pragma", "query_only(1)")
	if db.read, err = sql.Open("sqlite", "file:"+path+"?"+q.Encode()); err != nil {
		w.Close()
		return nil, ErrStorage.With(err)
	}
	db.read.SetMaxOpenConns(4)
	return db, nil
}

// Version is the schema version this code writes.
func Version() int { return len(migrations) }

func (db *DB) migrate(ctx context.Context) error {
	var mode string
	if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	var syncMode int
	if err := db.write.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
		return err
	}
	if syncMode != 2 {
		return fmt.Errorf("synchronous is %d, want FULL (2)", syncMode)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this station's %d", v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
	}
	// PRAGMA takes no parameters; v is an int we control.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		return err
	}
	return tx.Commit()
}

// Close closes the database.
func (db *DB) Close() error {
	var err error
	if db.read != nil {
		err = db.read.Close()
	}
	if werr := db.write.Close(); err == nil {
		err = werr
	}
	return err
}

// update runs f in one write transaction.
func (db *DB) update(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return ErrStorage.With(err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := f(tx); err != nil {
		return ErrStorage.With(err)
	}
	if err := tx.Commit(); err != nil {
		return ErrStorage.With(err)
	}
	return nil
}

// CheckWritable takes the write lock and lets it go: it fails while the
// database cannot be written (read-only, locked by another process past
// the busy timeout, gone). A full disk shows at the next real write.
func (db *DB) CheckWritable(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil) // _txlock=immediate: BEGIN IMMEDIATE
	if err != nil {
		return ErrStorage.With(err)
	}
	return tx.Rollback()
}
