// Package migratetest tests a SQLite schema's numbered migrations from
// every earlier version to the latest with data in it. Both services'
// databases use it (station/sqlite, printerd/journal), so a new schema
// version is covered as soon as it is appended to a migrations list.
package migratetest

import (
	"crypto/rand"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/internal/audit"
)

// Schema is one database's migrations and how to test them.
type Schema struct {
	// Name names the database in failure messages and says where its
	// Fill functions live (e.g. "printerd/journal/migrate_test.go").
	Name string
	// File is the database's file name (the program may expect one).
	File string
	// Migrations are the schema's steps: Migrations[i] takes it from
	// version i to i+1.
	Migrations []string
	// Open opens a database file for filling, outside the program.
	Open func(path string) (*sql.DB, error)
	// Fill writes, after migration k, the data a program of version k
	// writes: rows in every table, using every column that version
	// added with a value other than its default. A version that adds
	// neither (an index) needs none.
	Fill map[int]func(t *testing.T, db *sql.DB)
	// Upgrade runs the program's own migration of the file at path, and
	// nothing else (no recovery, no new rows), so that the data can be
	// compared.
	Upgrade func(path string) error
	// Check opens the upgraded database through the program and checks
	// that it works with the data of version from: jobs read back, the
	// audit log verifies, and so on.
	Check func(t *testing.T, path string, from int)
	// Defaults are columns ("table.column") allowed to hold only their
	// default in the filled data, each with the reason.
	Defaults map[string]string
}

// Run tests the upgrade from every version k in 1..latest: a database
// is built by applying the migrations one by one and filling it with each
// version's data, then checked for data in every table and column,
// upgraded by the program, compared row by row on the columns version k
// had (a migration may add, never change or lose), and checked by the
// program. k = latest checks that the newest version's tables and
// columns have data too.
func Run(t *testing.T, s Schema) {
	t.Helper()
	for k := 1; k <= len(s.Migrations); k++ {
		t.Run(fmt.Sprintf("from-%d", k), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), s.File)
			db, err := s.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= k; i++ {
				if _, err := db.Exec(s.Migrations[i-1]); err != nil {
					db.Close()
					t.Fatalf("migration %d: %v", i, err)
				}
				if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", i)); err != nil {
					db.Close()
					t.Fatal(err)
				}
				if fill := s.Fill[i]; fill != nil {
					fill(t, db)
				}
			}
			s.covered(t, db, k)
			before := dump(t, db)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Upgrade(path); err != nil {
				t.Fatalf("upgrade from %d: %v", k, err)
			}
			db, err = s.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			var v int
			if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(s.Migrations) {
				t.Errorf("user_version after the upgrade: %d (%v), want %d", v, err, len(s.Migrations))
			}
			after := dumpColumns(t, db, before)
			db.Close()
			for _, table := range sortedKeys(before) {
				if !reflect.DeepEqual(before[table].rows, after[table].rows) {
					t.Errorf("%s: upgrading from schema %d changed the data of table %s (columns %s):\nbefore %q\nafter  %q",
						s.Name, k, table, strings.Join(before[table].cols, ", "), before[table].rows, after[table].rows)
				}
			}
			if t.Failed() {
				return
			}
			s.Check(t, path, k)
		})
	}
}

// covered fails when a table at version k has no row, or a column holds
// only its default: the data of some version is missing.
func (s Schema) covered(t *testing.T, db *sql.DB, k int) {
	t.Helper()
	for _, table := range tables(t, db) {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM "` + table + `"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("%s: table %s is empty at schema %d: add data for the version that created it to Fill in %s",
				s.Name, table, k, s.Name)
			continue
		}
		rows, err := db.Query(`SELECT name, dflt_value FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		type col struct {
			name string
			dflt sql.NullString
		}
		var cols []col
		for rows.Next() {
			var c col
			if err := rows.Scan(&c.name, &c.dflt); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, c)
		}
		rows.Close()
		for _, c := range cols {
			if _, ok := s.Defaults[table+"."+c.name]; ok {
				continue
			}
			cond := `"` + c.name + `" IS NOT NULL`
			if c.dflt.Valid {
				cond = `"` + c.name + `" IS NOT ` + c.dflt.String
			}
			if err := db.QueryRow(`SELECT COUNT(*) FROM "` + table + `" WHERE ` + cond).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Errorf("%s: column %s.%s holds only its default at schema %d: add data using it, for the version that added it, to Fill in %s",
					s.Name, table, c.name, k, s.Name)
			}
		}
	}
}

type tableDump struct {
	cols []string
	rows []string
}

func tables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

// dump reads every row of every table.
func dump(t *testing.T, db *sql.DB) map[string]tableDump {
	t.Helper()
	out := map[string]tableDump{}
	for _, table := range tables(t, db) {
		rows, err := db.Query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, c)
		}
		rows.Close()
		out[table] = tableDump{cols: cols, rows: readRows(t, db, table, cols)}
	}
	return out
}

// dumpColumns reads the tables and columns of like.
func dumpColumns(t *testing.T, db *sql.DB, like map[string]tableDump) map[string]tableDump {
	t.Helper()
	out := map[string]tableDump{}
	for table, d := range like {
		out[table] = tableDump{cols: d.cols, rows: readRows(t, db, table, d.cols)}
	}
	return out
}

func readRows(t *testing.T, db *sql.DB, table string, cols []string) []string {
	t.Helper()
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `quote("` + c + `")`
	}
	rows, err := db.Query(`SELECT ` + strings.Join(quoted, ` || '|' || `) + ` FROM "` + table + `"`)
	if err != nil {
		t.Errorf("table %s, columns %s: %v", table, strings.Join(cols, ", "), err)
		return nil
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]tableDump) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Exec runs one statement of a Fill and fails the test on an error.
func Exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// AuditSigner makes a checkpoint signer for origin, whose checkpoints
// carry time at, and returns it with its signing and verifier keys: the
// audit log an old version wrote is signed with it.
func AuditSigner(t *testing.T, origin string, at time.Time) (signer *audit.Signer, skey, vkey string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err = audit.NewSigner(skey, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	return signer, skey, vkey
}
