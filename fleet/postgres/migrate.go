package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the schema's steps in order: Migrations[i] takes the
// database from version i to i+1. A released step never changes; a new
// one is a new file with the next number.
var Migrations = mustMigrations()

func mustMigrations() []string {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, n := range names {
		if want := fmt.Sprintf("migrations/%03d_", i+1); n[:len(want)] != want {
			panic("migration " + n + " is out of sequence")
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			panic(err)
		}
		out[i] = string(b)
	}
	return out
}

// migrateLock is the advisory lock key that serializes migrations of
// hubs starting together ("anjungan" in ASCII, as a number).
const migrateLock = 0x616e6a756e67616e

// Migrate brings the schema to the latest version, in one transaction
// under an advisory lock: a second hub starting at the same time waits,
// then finds nothing left to do. It returns the version it found.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	return MigrateTo(ctx, pool, len(Migrations))
}

// MigrateTo is Migrate up to version target (tests build older schemas with it).
func MigrateTo(ctx context.Context, pool *pgxpool.Pool, target int) (int, error) {
	var from int
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&from)
		switch {
		case err == pgx.ErrNoRows:
			if _, err := tx.Exec(ctx, "INSERT INTO schema_version VALUES (0)"); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if from > len(Migrations) {
			return fmt.Errorf("the database has schema version %d, newer than this hub's %d", from, len(Migrations))
		}
		for v := from; v < target; v++ {
			if _, err := tx.Exec(ctx, Migrations[v]); err != nil {
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
		}
		if target > from {
			_, err = tx.Exec(ctx, "UPDATE schema_version SET version = $1", target)
		}
		return err
	})
	return from, err
}
