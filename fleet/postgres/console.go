package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/anjungan/anjungan/fleet"
)

var _ fleet.ConsoleStore = (*Store)(nil)

// OpenAlertList returns the open alerts with their kiosk's region,
// oldest first.
func (s *Store) OpenAlertList(ctx context.Context) ([]fleet.Alert, error) {
	rows, err := s.pool.Query(ctx, `SELECT a.id, a.key, a.kind, a.kiosk, k.regency, k.province, a.subject, a.detail, a.opened_at
		FROM alerts a JOIN kiosks k ON k.id = a.kiosk WHERE a.closed_at IS NULL ORDER BY a.id`)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fleet.Alert, error) {
		var a fleet.Alert
		err := r.Scan(&a.ID, &a.Key, &a.Kind, &a.Kiosk, &a.Regency, &a.Province, &a.Subject, &a.Detail, &a.Since)
		return a, err
	})
	return out, storeErr(err)
}

// AddUser adds a console user (fleet.ErrUserExists when the name is taken).
func (s *Store) AddUser(ctx context.Context, u fleet.User) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO console_users (name, password_hash, scope, created_at) VALUES ($1, $2, $3, $4)`,
		u.Name, u.PasswordHash, u.Scope.String(), u.CreatedAt)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fleet.ErrUserExists
	}
	return storeErr(err)
}

// User returns a console user (fleet.ErrNoUser when unknown).
func (s *Store) User(ctx context.Context, name string) (fleet.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT name, password_hash, scope, created_at FROM console_users WHERE name = $1`, name))
}

func scanUser(row pgx.Row) (fleet.User, error) {
	var u fleet.User
	var scope string
	err := row.Scan(&u.Name, &u.PasswordHash, &scope, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fleet.ErrNoUser
	}
	if err != nil {
		return u, storeErr(err)
	}
	// A scope that no longer parses sees nothing (the zero Scope).
	u.Scope, _ = fleet.ParseScope(scope)
	return u, nil
}

// NewSession records a session and drops expired ones.
func (s *Store) NewSession(ctx context.Context, idHash []byte, user string, expires time.Time) error {
	return storeErr(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM console_sessions WHERE expires_at < $1`, s.now()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO console_sessions (id_hash, name, expires_at) VALUES ($1, $2, $3)`, idHash, user, expires)
		return err
	}))
}

// SessionUser returns the user of an unexpired session.
func (s *Store) SessionUser(ctx context.Context, idHash []byte, now time.Time) (fleet.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT u.name, u.password_hash, u.scope, u.created_at
		FROM console_sessions s JOIN console_users u ON u.name = s.name WHERE s.id_hash = $1 AND s.expires_at > $2`, idHash, now))
}

// EndSession deletes a session.
func (s *Store) EndSession(ctx context.Context, idHash []byte) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE id_hash = $1`, idHash)
	return storeErr(err)
}
