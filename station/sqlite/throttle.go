package sqlite

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"time"

	"github.com/anjungan/anjungan/station/account"
)

// throttleSchema is the migration of the login throttle. The table keeps
// every login attempt not yet followed by a successful login of its key
// (the name is older than that rule). An attempt is kept under an HMAC of its key ("account:<name>", "client:<address>")
// so that client addresses, and names mistyped as passwords, are not
// stored in clear. The HMAC key is made by the migration and lives in
// the same file: it keeps the values out of a casual read, a backup
// listing or a support dump, not from someone who holds the database and
// can try every IPv4 address.
const throttleSchema = `CREATE TABLE login_failures (
		key_hmac TEXT NOT NULL,          -- hex HMAC-SHA256 of the throttle key
		at       INTEGER NOT NULL        -- Unix nanoseconds
	);
	CREATE INDEX login_failures_key ON login_failures (key_hmac, at);
	CREATE INDEX login_failures_at ON login_failures (at);
	CREATE TABLE login_throttle_key (
		id  INTEGER PRIMARY KEY CHECK (id = 1),
		key BLOB NOT NULL
	);
	INSERT INTO login_throttle_key (id, key) VALUES (1, randomblob(32));`

var _ account.FailureStore = (*Accounts)(nil)

// keyHMAC is the stored form of a throttle key.
func keyHMAC(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, key string) (string, error) {
	var k []byte
	if err := q.QueryRowContext(ctx, `SELECT key FROM login_throttle_key WHERE id = 1`).Scan(&k); err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// RecordAttempt forgets every attempt (of any key) at or before expired,
// records an attempt of key at t, and returns how many attempts of key
// were kept before it and the latest of them, all in one transaction:
// attempts that arrive together each count the ones before.
func (s *Accounts) RecordAttempt(ctx context.Context, key string, t, expired time.Time) (int, time.Time, error) {
	var n int
	var latest sql.NullInt64
	err := s.DB.update(ctx, func(tx *sql.Tx) error {
		h, err := keyHMAC(ctx, tx, key)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at <= ?`, expired.UnixNano()); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*), max(at) FROM login_failures WHERE key_hmac = ?`, h).Scan(&n, &latest); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO login_failures (key_hmac, at) VALUES (?, ?)`, h, t.UnixNano())
		return err
	})
	if err != nil {
		return 0, time.Time{}, err
	}
	if !latest.Valid {
		return n, time.Time{}, nil
	}
	return n, time.Unix(0, latest.Int64).UTC(), nil
}

// ClearFailures forgets key's failures.
func (s *Accounts) ClearFailures(ctx context.Context, key string) error {
	return s.DB.update(ctx, func(tx *sql.Tx) error {
		h, err := keyHMAC(ctx, tx, key)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key_hmac = ?`, h)
		return err
	})
}
