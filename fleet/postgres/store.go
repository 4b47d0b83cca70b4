// Package postgres is the fleet hub's Store on PostgreSQL (pgx). The hub
// keeps no state of its own: every hub process shares this database, and
// the row lock on a (kiosk, stream) row orders their ingests.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/anjungan/anjungan/fleet"
)

// Store is fleet.Store on a pgx pool.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// Stored, when set, is told the kind of every event an Ingest
	// stored, after its commit (the hub's metrics; resends are not new).
	Stored func(fleet.Kind)
}

var _ fleet.Store = (*Store)(nil)

// Open connects to dsn and migrates the schema.
func Open(ctx context.Context, dsn string, now func() time.Time) (*Store, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrating the hub's schema: %w", err)
	}
	return &Store{pool: pool, now: now}, nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Pool is the store's pool (tests look into the tables with it).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fleet.ErrStoreUnavailable.With(err)
	}
	return nil
}

// Enrol registers k.
func (s *Store) Enrol(ctx context.Context, k fleet.Kiosk) error {
	if !fleet.KioskIDPattern.MatchString(k.ID) {
		return fleet.ErrBatchInvalid.Withf("kiosk id %q", k.ID)
	}
	if k.EnrolledAt.IsZero() {
		k.EnrolledAt = s.now()
	}
	keys := []byte("{}")
	if len(k.AuditKeys) > 0 {
		keys, _ = json.Marshal(k.AuditKeys)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO kiosks (id, name, regency, province, enrolled_at, audit_keys) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.Name, k.Regency, k.Province, k.EnrolledAt, keys)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fleet.ErrKioskExists.Withf("%s", k.ID)
	}
	return storeErr(err)
}

// Revoke marks the kiosk revoked.
func (s *Store) Revoke(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE kiosks SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, at)
	if err != nil {
		return storeErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fleet.ErrKioskUnknown.Withf("%s", id)
	}
	return nil
}

func storeErr(err error) error {
	if err == nil {
		return nil
	}
	var fe *fleet.Error
	if errors.As(err, &fe) {
		return err
	}
	return fleet.ErrStoreUnavailable.With(err)
}

// Ingest stores b's new events and their projections in one transaction.
func (s *Store) Ingest(ctx context.Context, kiosk string, b fleet.Batch) (uint64, error) {
	var acked uint64
	var stored []fleet.Kind
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, storeErr(err)
	}
	defer conn.Release() // the pool closes a connection left in a transaction
	tx := conn.Conn()
	// The transaction's BEGIN goes with its first statements and its
	// COMMIT with its last, so a batch costs three round trips.
	err = func() error {
		var revoked *time.Time
		// The kiosk's row is locked first, always: a revocation committed
		// before is seen, one that comes later waits for this batch, and
		// the projections' updates of the row cannot deadlock between
		// hubs. A kiosk's two streams take turns, which costs nothing at
		// a kiosk's rate; different kiosks never wait for each other.
		// The lock, the stream's row and its acked in one round trip.
		var pre pgx.Batch
		pre.Queue(`BEGIN`)
		pre.Queue(`SELECT revoked_at FROM kiosks WHERE id = $1 FOR NO KEY UPDATE`, kiosk)
		pre.Queue(`INSERT INTO streams (kiosk, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING`, kiosk, b.Stream)
		pre.Queue(`SELECT acked FROM streams WHERE kiosk = $1 AND stream = $2 FOR UPDATE`, kiosk, b.Stream)
		br := tx.SendBatch(ctx, &pre)
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
		err := br.QueryRow().Scan(&revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			br.Close()
			return fleet.ErrKioskUnknown.Withf("%s", kiosk)
		}
		if err != nil {
			br.Close()
			return err
		}
		if revoked != nil {
			br.Close()
			return fleet.ErrKioskRevoked.Withf("%s since %s", kiosk, revoked.UTC().Format(time.RFC3339))
		}
		var a int64
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
		if err := br.QueryRow().Scan(&a); err != nil {
			br.Close()
			return err
		}
		if err := br.Close(); err != nil {
			return err
		}
		acked = uint64(a)
		var fresh []fleet.Event
		for _, e := range b.Events {
			if e.Seq <= acked {
				continue // a resend of what is stored
			}
			if len(fresh) == 0 && e.Seq != acked+1 {
				return fleet.ErrSequenceGap.Withf("%s/%s: acked %d, batch resumes at %d", kiosk, b.Stream, acked, e.Seq)
			}
			fresh = append(fresh, e) // DecodeBatch made the seqs consecutive
		}
		now := s.now()
		// The new events in one statement, and their projections folded
		// (project.go) with the stream's and kiosk's updates in one
		// pipelined batch: a batch costs a fixed number of round trips and
		// about one statement per table, not a few per event.
		inserted, err := insertEvents(ctx, tx, kiosk, b.Stream, fresh, now)
		if err != nil {
			return err
		}
		p := newProjection()
		for _, e := range fresh {
			if inserted[e.Seq] {
				stored = append(stored, e.Kind)
				if err := p.add(e); err != nil {
					return fmt.Errorf("seq %d: %w", e.Seq, err)
				}
			}
		}
		var q pgx.Batch
		p.queue(&q, kiosk, b.Stream)
		if len(fresh) > 0 {
			acked = fresh[len(fresh)-1].Seq
		}
		q.Queue(`UPDATE streams SET acked = $3 WHERE kiosk = $1 AND stream = $2`, kiosk, b.Stream, int64(acked))
		q.Queue(`UPDATE kiosks SET last_seen = greatest(last_seen, $2) WHERE id = $1`, kiosk, now)
		q.Queue(`COMMIT`) // skipped by the server when a statement before it failed
		return tx.SendBatch(ctx, &q).Close()
	}()
	if err != nil && tx.PgConn().TxStatus() != 'I' {
		// A failed statement leaves the transaction open: end it here, or
		// the pool closes the connection when it comes back.
		_, _ = tx.Exec(ctx, `ROLLBACK`)
	}
	if errors.Is(err, fleet.ErrSequenceGap) {
		return acked, err
	}
	if err != nil {
		return 0, storeErr(err)
	}
	if s.Stored != nil {
		for _, k := range stored {
			s.Stored(k)
		}
	}
	return acked, nil
}

// insertEvents stores events (ascending seqs) with one statement and
// returns the seqs it stored: one already stored is left as it is.
func insertEvents(ctx context.Context, tx *pgx.Conn, kiosk string, stream fleet.Stream, events []fleet.Event, now time.Time) (map[uint64]bool, error) {
	inserted := make(map[uint64]bool, len(events))
	if len(events) == 0 {
		return inserted, nil
	}
	seqs := make([]int64, len(events))
	ats := make([]time.Time, len(events))
	kinds := make([]string, len(events))
	data := make([]string, len(events))
	for i, e := range events {
		seqs[i], ats[i], kinds[i], data[i] = int64(e.Seq), e.At, string(e.Kind), string(e.Data)
	}
	rows, err := tx.Query(ctx, `INSERT INTO events (kiosk, stream, seq, at, received_at, kind, data)
		SELECT $1, $2, e.seq, e.at, $3, e.kind, e.data::jsonb
		FROM unnest($4::bigint[], $5::timestamptz[], $6::text[], $7::text[]) AS e(seq, at, kind, data)
		ON CONFLICT DO NOTHING RETURNING seq`, kiosk, string(stream), now, seqs, ats, kinds, data)
	if err != nil {
		return nil, err
	}
	var seq int64
	_, err = pgx.ForEachRow(rows, []any{&seq}, func() error {
		inserted[uint64(seq)] = true
		return nil
	})
	return inserted, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
