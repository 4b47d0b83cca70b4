package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/fleet/postgres"
	"github.com/anjungan/anjungan/internal/pgtest"
)

// fill writes, after migration k, data of a hub of version k: every table
// that version has gets rows.
var fill = map[int]func(t *testing.T, pool *pgxpool.Pool){
	1: func(t *testing.T, pool *pgxpool.Pool) {
		for _, q := range []string{
			`INSERT INTO kiosks (id, name, regency, province, enrolled_at, last_seen, state, unavailable, reasons, backlog, backlog_prev)
				VALUES ('k1', 'MPP Bandung', '3273', '32', now(), now(), 'in_service', '{a4}', '{printer_unavailable}', 3, 2)`,
			`INSERT INTO streams VALUES ('k1', 'printerd', 2)`,
			`INSERT INTO events VALUES ('k1', 'printerd', 1, now(), now(), 'printer_state', '{"printer":"card-1","media":"card","state":"idle"}'),
				('k1', 'printerd', 2, now(), now(), 'blank_movement', '{"printer":"card-1","kind":"load","count":100,"balance":100}')`,
			`INSERT INTO printers VALUES ('k1', 'card-1', 'card', 'idle', '{}', '{"ribbon": 50}', now())`,
			`INSERT INTO prints_daily VALUES ('k1', '2026-12-01', 'ktp-el', 'printed', 4)`,
			`INSERT INTO blank_balances VALUES ('k1', 'card-1', 100, now())`,
			`INSERT INTO blank_movements VALUES ('k1', 'printerd', 2, 'card-1', 'load', 100, 100, 'delivery', now())`,
			`INSERT INTO jobs_waiting VALUES ('k1', 'j1', 'ktp-el', 'in_doubt', now())`,
		} {
			if _, err := pool.Exec(context.Background(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	},
	2: func(t *testing.T, pool *pgxpool.Pool) {
		if _, err := pool.Exec(context.Background(), `INSERT INTO alerts (key, kind, kiosk, subject, detail, opened_at, closed_at, delivered_at, attempts, next_try)
			VALUES ('printer_stopped/k1/card-1', 'printer_stopped', 'k1', 'card-1', 'x', now(), now(), now(), 1, now())`); err != nil {
			t.Fatal(err)
		}
	},
	3: func(t *testing.T, pool *pgxpool.Pool) {
		for _, q := range []string{
			`UPDATE kiosks SET audit_keys = '{"station": "anjungan.k1/station/audit+01234567+AQ=="}' WHERE id = 'k1'`,
			`INSERT INTO witnessed VALUES ('k1', 'station', 5, '\x00', '\x00', now())`,
		} {
			if _, err := pool.Exec(context.Background(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	},
	4: func(t *testing.T, pool *pgxpool.Pool) {
		for _, q := range []string{
			`INSERT INTO console_users VALUES ('jabar', '$argon2id$v=19$m=64,t=1,p=1$AAAA$AAAA', 'province:32', now())`,
			`INSERT INTO console_sessions VALUES ('\x00', 'jabar', now())`,
		} {
			if _, err := pool.Exec(context.Background(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	},
	5: func(t *testing.T, pool *pgxpool.Pool) {
		if _, err := pool.Exec(context.Background(), `INSERT INTO console_login_attempts VALUES ('\x01', now())`); err != nil {
			t.Fatal(err)
		}
	},
}

// Every version upgrades to the latest with its data kept, and the hub
// then ingests on it.
func TestMigrateFromEveryVersion(t *testing.T) {
	if len(fill) != len(postgres.Migrations) {
		t.Fatalf("%d migrations, fill data for %d: add the new version's to fill", len(postgres.Migrations), len(fill))
	}
	for k := 0; k <= len(postgres.Migrations); k++ {
		t.Run(fmt.Sprintf("from-%d", k), func(t *testing.T) {
			ctx := context.Background()
			dsn := pgtest.MustDB(t)
			pool, err := pgxpool.New(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			for v := 1; v <= k; v++ {
				if _, err := postgres.MigrateTo(ctx, pool, v); err != nil {
					t.Fatal(err)
				}
				fill[v](t, pool)
			}
			rowsBefore := tableRows(t, pool)
			s := mustOpen(t, dsn)
			for table, n := range rowsBefore {
				if after := tableRows(t, s.Pool())[table]; after != n {
					t.Errorf("%s: %d rows before the upgrade, %d after", table, n, after)
				}
			}
			if k == 0 {
				mustEnrol(t, s, "k1")
			}
			// printerd's stream goes on from where it was.
			acked := uint64(0)
			if k >= 1 {
				acked = 2
			}
			mustIngest(t, s, "k1", fleet.Batch{Stream: fleet.StreamPrinterd, Events: prints(acked+1, 1).Events}, acked+1)
			if _, err := s.Snapshot(ctx, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.OpenAlerts(ctx, nil, t0); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.RecordAttempt(ctx, "account:jabar", t0, t0.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			if w, err := s.Witnessed(ctx, "k1", "station"); err != nil || (k >= 3) != (w.Size == 5) {
				t.Fatalf("witnessed after the upgrade from %d: size %d, %v", k, w.Size, err)
			}
		})
	}
}

func tableRows(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	out := map[string]int{}
	for _, n := range names {
		var c int
		if err := pool.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM %q", n)).Scan(&c); err != nil {
			t.Fatal(err)
		}
		out[n] = c
	}
	return out
}

// Hubs starting together migrate once: the advisory lock serializes them.
func TestMigrateConcurrently(t *testing.T) {
	dsn := pgtest.MustDB(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), dsn, time.Now)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("hub %d: %v", i, err)
		}
	}
}
