package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anjungan/anjungan/fleet"
)

var _ fleet.WitnessStore = (*Store)(nil)

// SetAuditKeys registers the kiosk's audit logs' verifier keys (log → vkey).
func (s *Store) SetAuditKeys(ctx context.Context, kiosk string, keys map[string]string) error {
	b, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE kiosks SET audit_keys = $2 WHERE id = $1`, kiosk, b)
	if err != nil {
		return storeErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fleet.ErrKioskUnknown.Withf("%s", kiosk)
	}
	return nil
}

// AuditKeys returns the kiosk's registered audit keys.
func (s *Store) AuditKeys(ctx context.Context, kiosk string) (map[string]string, error) {
	var revoked *time.Time
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT revoked_at, audit_keys FROM kiosks WHERE id = $1`, kiosk).Scan(&revoked, &b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fleet.ErrKioskUnknown.Withf("%s", kiosk)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	if revoked != nil {
		return nil, fleet.ErrKioskRevoked.Withf("%s since %s", kiosk, revoked.UTC().Format(time.RFC3339))
	}
	keys := map[string]string{}
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, storeErr(err)
	}
	return keys, nil
}

// Advance runs step under the lock of the (kiosk, log) row; hubs sharing
// the database take one log's checkpoints in turn.
func (s *Store) Advance(ctx context.Context, kiosk, log string, step func(fleet.Witnessed) (fleet.Witnessed, error)) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The row exists from the first checkpoint on; before it, the
		// insert of a placeholder (size 0) gives every hub a row to lock.
		if _, err := tx.Exec(ctx, `INSERT INTO witnessed (kiosk, log, size, hash, note, cosigned_at)
			VALUES ($1, $2, 0, '', '', $3) ON CONFLICT DO NOTHING`, kiosk, log, s.now()); err != nil {
			return err
		}
		var last fleet.Witnessed
		var hash []byte
		if err := tx.QueryRow(ctx, `SELECT size, hash, note FROM witnessed WHERE kiosk = $1 AND log = $2 FOR UPDATE`,
			kiosk, log).Scan(&last.Size, &hash, &last.Note); err != nil {
			return err
		}
		copy(last.Hash[:], hash)
		if len(last.Note) == 0 {
			last.Note = nil
		}
		next, err := step(last)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE witnessed SET size = $3, hash = $4, note = $5, cosigned_at = $6 WHERE kiosk = $1 AND log = $2`,
			kiosk, log, next.Size, next.Hash[:], next.Note, s.now())
		return err
	})
	return storeErr(err)
}

// RaiseAlert opens a witness alert unless it is open.
func (s *Store) RaiseAlert(ctx context.Context, a fleet.Alert, now time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO alerts (key, kind, kiosk, subject, detail, opened_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (key) WHERE closed_at IS NULL DO NOTHING`, a.Key, string(a.Kind), a.Kiosk, a.Subject, a.Detail, now)
	return storeErr(err)
}

// Witnessed returns the latest cosigned state of the kiosk's log (tests and the console).
func (s *Store) Witnessed(ctx context.Context, kiosk, log string) (fleet.Witnessed, error) {
	var w fleet.Witnessed
	var hash []byte
	err := s.pool.QueryRow(ctx, `SELECT size, hash, note FROM witnessed WHERE kiosk = $1 AND log = $2`, kiosk, log).Scan(&w.Size, &hash, &w.Note)
	if errors.Is(err, pgx.ErrNoRows) {
		return w, nil
	}
	copy(w.Hash[:], hash)
	return w, storeErr(err)
}
