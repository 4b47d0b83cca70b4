package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anjungan/anjungan/fleet"
)

// Snapshot reads every kiosk's projections in one repeatable-read view.
func (s *Store) Snapshot(ctx context.Context, since time.Time) (fleet.Snapshot, error) {
	var snap fleet.Snapshot
	tx, err := s.pool.BeginTx(ctx, txReadOnly)
	if err != nil {
		return snap, storeErr(err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT id, name, regency, province, enrolled_at, revoked_at, last_seen, state, unavailable, reasons, backlog, backlog_prev
		FROM kiosks ORDER BY id`)
	if err != nil {
		return snap, storeErr(err)
	}
	index := map[string]int{}
	for rows.Next() {
		var k fleet.KioskStatus
		if err := rows.Scan(&k.ID, &k.Name, &k.Regency, &k.Province, &k.EnrolledAt, &k.RevokedAt, &k.LastSeen,
			&k.State, &k.Unavailable, &k.Reasons, &k.Backlog, &k.BacklogPrev); err != nil {
			return snap, storeErr(err)
		}
		k.Acked = map[fleet.Stream]uint64{}
		index[k.ID] = len(snap.Kiosks)
		snap.Kiosks = append(snap.Kiosks, k)
	}
	if err := rows.Err(); err != nil {
		return snap, storeErr(err)
	}
	if err := s.fill(ctx, tx, &snap, index, since); err != nil {
		return snap, storeErr(err)
	}
	return snap, nil
}

var txReadOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// fill reads the per-kiosk projections into snap.
func (s *Store) fill(ctx context.Context, tx pgx.Tx, snap *fleet.Snapshot, index map[string]int, since time.Time) error {
	kiosk := func(id string) *fleet.KioskStatus { return &snap.Kiosks[index[id]] }
	rows, err := tx.Query(ctx, `SELECT kiosk, stream, acked FROM streams`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, stream string
		var acked int64
		if err := rows.Scan(&id, &stream, &acked); err != nil {
			return err
		}
		kiosk(id).Acked[fleet.Stream(stream)] = uint64(acked)
	}
	if rows.Err() != nil {
		return rows.Err()
	}
	rows, err = tx.Query(ctx, `SELECT kiosk, printer, media, state, reasons, supplies, at FROM printers ORDER BY kiosk, printer`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var p fleet.PrinterStatus
		if err := rows.Scan(&id, &p.Printer, &p.Media, &p.State, &p.Reasons, &p.Supplies, &p.At); err != nil {
			return err
		}
		k := kiosk(id)
		k.Printers = append(k.Printers, p)
	}
	if rows.Err() != nil {
		return rows.Err()
	}
	rows, err = tx.Query(ctx, `SELECT b.kiosk, b.printer, b.balance,
			coalesce((SELECT sum(m.count) FROM blank_movements m WHERE m.kiosk = b.kiosk AND m.printer = b.printer
				AND m.kind IN ('print', 'spoil') AND m.at >= $1), 0)
		FROM blank_balances b ORDER BY b.kiosk, b.printer`, since)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var b fleet.BlankStock
		if err := rows.Scan(&id, &b.Printer, &b.Balance, &b.Used); err != nil {
			return err
		}
		k := kiosk(id)
		k.Blanks = append(k.Blanks, b)
	}
	if rows.Err() != nil {
		return rows.Err()
	}
	rows, err = tx.Query(ctx, `SELECT kiosk, to_char(day, 'YYYY-MM-DD'), document_type, outcome, count FROM prints_daily
		WHERE day >= $1::date ORDER BY kiosk, day, document_type, outcome`, since.UTC())
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var d fleet.DailyPrints
		if err := rows.Scan(&id, &d.Day, &d.DocumentType, &d.Outcome, &d.Count); err != nil {
			return err
		}
		k := kiosk(id)
		k.Prints = append(k.Prints, d)
	}
	if rows.Err() != nil {
		return rows.Err()
	}
	rows, err = tx.Query(ctx, `SELECT kiosk, job_ref, document_type, state, since FROM jobs_waiting ORDER BY kiosk, since, job_ref`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var w fleet.WaitingJob
		if err := rows.Scan(&id, &w.JobRef, &w.DocumentType, &w.State, &w.Since); err != nil {
			return err
		}
		k := kiosk(id)
		k.Waiting = append(k.Waiting, w)
	}
	return rows.Err()
}

// OpenAlerts opens the alerts not already open and closes the open ones
// not in alerts, in one transaction; the unique index on open keys makes
// each opening happen once, whichever hub computes it first.
func (s *Store) OpenAlerts(ctx context.Context, alerts []fleet.Alert, now time.Time) ([]fleet.Alert, error) {
	var opened []fleet.Alert
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		opened = opened[:0]
		keys := make([]string, len(alerts))
		for i, a := range alerts {
			keys[i] = a.Key
			tag, err := tx.Exec(ctx, `INSERT INTO alerts (key, kind, kiosk, subject, detail, opened_at) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (key) WHERE closed_at IS NULL DO NOTHING`, a.Key, string(a.Kind), a.Kiosk, a.Subject, a.Detail, now)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				a.Since = now
				opened = append(opened, a)
			}
		}
		// audit_inconsistent is the witness's to open and close.
		_, err := tx.Exec(ctx, `UPDATE alerts SET closed_at = $1 WHERE closed_at IS NULL AND kind <> $3 AND NOT (key = ANY($2))`,
			now, keys, string(fleet.AlertAuditInconsistent))
		return err
	})
	return opened, storeErr(err)
}

// ClaimAlerts claims up to 20 due alerts with FOR UPDATE SKIP LOCKED, so
// hubs claiming together take different ones.
func (s *Store) ClaimAlerts(ctx context.Context, now time.Time, backoff func(int) time.Duration) ([]fleet.Alert, error) {
	var out []fleet.Alert
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, `SELECT a.id, a.key, a.kind, a.kiosk, k.regency, k.province, a.subject, a.detail, a.opened_at, a.attempts
			FROM alerts a JOIN kiosks k ON k.id = a.kiosk
			WHERE a.delivered_at IS NULL AND a.next_try <= $1 ORDER BY a.id LIMIT 20 FOR UPDATE OF a SKIP LOCKED`, now)
		if err != nil {
			return err
		}
		var attempts []int
		for rows.Next() {
			var a fleet.Alert
			var n int
			if err := rows.Scan(&a.ID, &a.Key, &a.Kind, &a.Kiosk, &a.Regency, &a.Province, &a.Subject, &a.Detail, &a.Since, &n); err != nil {
				return err
			}
			out = append(out, a)
			attempts = append(attempts, n+1)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i, a := range out {
			if _, err := tx.Exec(ctx, `UPDATE alerts SET attempts = $2, next_try = $3 WHERE id = $1`,
				a.ID, attempts[i], now.Add(backoff(attempts[i]))); err != nil {
				return err
			}
		}
		return nil
	})
	return out, storeErr(err)
}

// AlertDelivered records the delivery.
func (s *Store) AlertDelivered(ctx context.Context, id int64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE alerts SET delivered_at = $2 WHERE id = $1`, id, at)
	return storeErr(err)
}
