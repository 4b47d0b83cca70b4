package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anjungan/anjungan/fleet"
)

var _ fleet.BlankReportStore = (*Store)(nil)

// Kiosks returns every enrolled kiosk, revoked ones included.
func (s *Store) Kiosks(ctx context.Context) ([]fleet.Kiosk, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, regency, province, enrolled_at, revoked_at FROM kiosks ORDER BY id`)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fleet.Kiosk, error) {
		var k fleet.Kiosk
		err := r.Scan(&k.ID, &k.Name, &k.Regency, &k.Province, &k.EnrolledAt, &k.RevokedAt)
		return k, err
	})
	return out, storeErr(err)
}

// LedgerMonth reads the kiosks' blank-card ledgers for [from, until), in
// one read-only snapshot: the balance of each printer's latest movement
// (by seq) before from, the movements in the window and which kiosks sent
// any event in it. Times are the events' (the kiosk's clock).
func (s *Store) LedgerMonth(ctx context.Context, ids []string, from, until time.Time) (fleet.LedgerMonth, error) {
	lm := fleet.LedgerMonth{Reported: map[string]bool{}}
	err := pgx.BeginTxFunc(ctx, s.pool, txReadOnly, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT ON (kiosk, printer) kiosk, printer, balance FROM blank_movements
			WHERE kiosk = ANY($1) AND at < $2 ORDER BY kiosk, printer, seq DESC`, ids, from)
		if err != nil {
			return err
		}
		lm.Openings, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (fleet.LedgerOpening, error) {
			var o fleet.LedgerOpening
			err := r.Scan(&o.Kiosk, &o.Printer, &o.Balance)
			return o, err
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT kiosk, printer, seq, at, kind, count, balance FROM blank_movements
			WHERE kiosk = ANY($1) AND at >= $2 AND at < $3 ORDER BY kiosk, printer, seq`, ids, from, until)
		if err != nil {
			return err
		}
		lm.Movements, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (fleet.LedgerMovement, error) {
			var m fleet.LedgerMovement
			var seq int64
			err := r.Scan(&m.Kiosk, &m.Printer, &seq, &m.At, &m.Kind, &m.Count, &m.Balance)
			m.Seq = uint64(seq)
			return m, err
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT k.id FROM kiosks k WHERE k.id = ANY($1)
			AND EXISTS (SELECT 1 FROM kiosk_hours h WHERE h.kiosk = k.id AND h.hour >= $2 AND h.hour < $3)`, ids, from, until)
		if err != nil {
			return err
		}
		reported, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, id := range reported {
			lm.Reported[id] = true
		}
		return err
	})
	return lm, storeErr(err)
}
