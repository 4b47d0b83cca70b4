package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/anjungan/anjungan/station/account"
)

// accountsSchema is the migration of the console's accounts and sessions.
// Sessions are keyed by the SHA-256 of their id: the database never holds
// an id that would open a session.
const accountsSchema = `CREATE TABLE console_accounts (
		name     TEXT PRIMARY KEY,
		role     TEXT NOT NULL CHECK (role IN ('supervisor', 'technician', 'auditor')),
		hash     TEXT NOT NULL,          -- argon2id, PHC string
		created  INTEGER NOT NULL,       -- Unix seconds
		disabled INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;
	CREATE TABLE console_sessions (
		id_hash   TEXT PRIMARY KEY,      -- hex SHA-256 of the cookie's id
		account   TEXT NOT NULL REFERENCES console_accounts (name) ON DELETE CASCADE,
		role      TEXT NOT NULL,
		csrf      TEXT NOT NULL,
		created   INTEGER NOT NULL,      -- Unix nanoseconds
		last_seen INTEGER NOT NULL       -- Unix nanoseconds
	) WITHOUT ROWID;
	CREATE INDEX console_sessions_account ON console_sessions (account);`

// Accounts keeps the console's accounts and sessions in the station's
// database.
type Accounts struct{ DB *DB }

var _ account.Store = (*Accounts)(nil)

// NewAccounts returns the store kept in db.
func NewAccounts(db *DB) *Accounts { return &Accounts{DB: db} }

// AddAccount stores a new account.
func (s *Accounts) AddAccount(ctx context.Context, a account.Account) error {
	if err := account.ValidName(a.Name); err != nil {
		return err
	}
	if !a.Role.Valid() || !strings.HasPrefix(a.Hash, "$argon2id$") {
		return account.ErrInvalid.Withf("role %q or hash", a.Role)
	}
	var exists bool
	err := s.DB.update(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM console_accounts WHERE name = ?`, a.Name).Scan(&one)
		if err == nil {
			exists = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO console_accounts (name, role, hash, created, disabled) VALUES (?, ?, ?, ?, ?)`,
			a.Name, string(a.Role), a.Hash, a.Created.Unix(), a.Disabled)
		return err
	})
	if exists {
		return account.ErrExists.Withf("account %s", a.Name)
	}
	return err
}

// Account returns the named account.
func (s *Accounts) Account(ctx context.Context, name string) (account.Account, error) {
	a := account.Account{Name: name}
	var role string
	var created int64
	err := s.DB.read.QueryRowContext(ctx, `SELECT role, hash, created, disabled FROM console_accounts WHERE name = ?`, name).
		Scan(&role, &a.Hash, &created, &a.Disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return account.Account{}, account.ErrNotFound.Withf("account %q", name)
	case err != nil:
		return account.Account{}, ErrStorage.With(err)
	}
	a.Role, a.Created = account.Role(role), time.Unix(created, 0)
	return a, nil
}

// CreateSession stores a new session.
func (s *Accounts) CreateSession(ctx context.Context, ss account.Session) error {
	return s.DB.update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO console_sessions (id_hash, account, role, csrf, created, last_seen) VALUES (?, ?, ?, ?, ?, ?)`,
			ss.IDHash, ss.Account, string(ss.Role), ss.CSRF, ss.Created.UnixNano(), ss.LastSeen.UnixNano())
		return err
	})
}

// Session returns the session whose id hashes to idHash. A session of a
// disabled account does not exist.
func (s *Accounts) Session(ctx context.Context, idHash string) (account.Session, error) {
	ss := account.Session{IDHash: idHash}
	var role string
	var created, seen int64
	err := s.DB.read.QueryRowContext(ctx, `SELECT s.account, s.role, s.csrf, s.created, s.last_seen
		FROM console_sessions s JOIN console_accounts a ON a.name = s.account
		WHERE s.id_hash = ? AND a.disabled = 0`, idHash).Scan(&ss.Account, &role, &ss.CSRF, &created, &seen)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return account.Session{}, account.ErrNoSession.Withf("no such session")
	case err != nil:
		return account.Session{}, ErrStorage.With(err)
	}
	ss.Role, ss.Created, ss.LastSeen = account.Role(role), time.Unix(0, created), time.Unix(0, seen)
	return ss, nil
}

// TouchSession records that the session was used at t.
func (s *Accounts) TouchSession(ctx context.Context, idHash string, t time.Time) error {
	return s.DB.update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE console_sessions SET last_seen = ? WHERE id_hash = ? AND last_seen < ?`,
			t.UnixNano(), idHash, t.UnixNano())
		return err
	})
}

// DeleteSession ends a session.
func (s *Accounts) DeleteSession(ctx context.Context, idHash string) error {
	return s.DB.update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE id_hash = ?`, idHash)
		return err
	})
}

// DeleteExpired removes every session idle or too old at now.
func (s *Accounts) DeleteExpired(ctx context.Context, now time.Time) error {
	return s.DB.update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE last_seen <= ? OR created <= ?`,
			now.Add(-account.IdleTimeout).UnixNano(), now.Add(-account.AbsoluteTimeout).UnixNano())
		return err
	})
}
