package postgres

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anjungan/anjungan/station/account"
)

var _ account.FailureStore = (*Store)(nil)

// throttleLock is the first key of the advisory locks that serialize a
// throttle key's attempts across hubs ("thrt").
const throttleLock = 0x74687274

func keyHMAC(ctx context.Context, tx pgx.Tx, key string) ([]byte, error) {
	var k []byte
	if err := tx.QueryRow(ctx, `SELECT key FROM console_throttle_key WHERE id = 1`).Scan(&k); err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(key))
	return m.Sum(nil), nil
}

// RecordAttempt implements account.FailureStore for the console's
// throttle: it forgets attempts at or before expired, records one of key
// at t and returns how many of key were kept before it and the latest,
// in one transaction under an advisory lock on the key, so that attempts
// at the same time on different hubs each count the others.
func (s *Store) RecordAttempt(ctx context.Context, key string, t, expired time.Time) (int, time.Time, error) {
	var n int
	var latest *time.Time
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		h, err := keyHMAC(ctx, tx, key)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(encode($2::bytea, 'hex')))`, int32(throttleLock), h); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM console_login_attempts WHERE at <= $1`, expired); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*), max(at) FROM console_login_attempts WHERE key_hmac = $1`, h).Scan(&n, &latest); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO console_login_attempts (key_hmac, at) VALUES ($1, $2)`, h, t)
		return err
	})
	if err != nil {
		return 0, time.Time{}, storeErr(err)
	}
	if latest == nil {
		return n, time.Time{}, nil
	}
	return n, *latest, nil
}

// ClearFailures implements account.FailureStore: a successful login forgets its key's attempts.
func (s *Store) ClearFailures(ctx context.Context, key string) error {
	return storeErr(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		h, err := keyHMAC(ctx, tx, key)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM console_login_attempts WHERE key_hmac = $1`, h)
		return err
	}))
}
