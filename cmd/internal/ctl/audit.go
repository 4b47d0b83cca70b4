package ctl

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
	_ "modernc.org/sqlite" // the services' databases are SQLite files

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/station/sqlite"
)

// auditServices are the services that keep an audit log, each with its
// own signing key.
var auditServices = []string{"station", "printerd"}

// writeAuditKeys makes a note signing key for each service's audit log.
// The key name is the checkpoints' origin line.
func writeAuditKeys(keys, host string) ([]string, error) {
	var made []string
	for _, svc := range auditServices {
		skPath := filepath.Join(keys, "audit-"+svc+".key")
		if _, err := os.Stat(skPath); err == nil {
			continue
		}
		skey, vkey, err := note.GenerateKey(rand.Reader, "anjungan."+host+"/"+svc+"/audit")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(skPath, []byte(skey+"\n"), 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(keys, "audit-"+svc+".vkey"), []byte(vkey+"\n"), 0o644); err != nil {
			return nil, err
		}
		made = append(made, "keys/audit-"+svc+".key")
	}
	return made, nil
}

func readKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	return strings.TrimSpace(string(b)), err
}

func openReadOnly(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	return sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
}

func parseAuditVerify(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	dbPath := fs.String("db", "var/printerd/journal.db", "the service's database")
	vkeyPath := fs.String("vkey", "var/keys/audit-printerd.vkey", "the log's verifier key (note format)")
	var trusted multiFlag
	fs.Var(&trusted, "trusted", "a checkpoint exported earlier (file); repeatable")
	cosignedBy := fs.String("cosigned-by", "", "a witness's verifier key (the fleet hub's witness.vkey): also check every stored cosignature by it")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		vkey, err := readKey(*vkeyPath)
		if err != nil {
			return err
		}
		// Say which log this is: the file and the origin its key names.
		origin, _, _ := strings.Cut(vkey, "+")
		fmt.Fprintf(m.Stdout, "log: %s (origin %s, key %s)\n", *dbPath, origin, *vkeyPath)
		var ts [][]byte
		for _, p := range trusted {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			ts = append(ts, b)
		}
		rep, station, err := verifyLog(ctx, *dbPath, *vkeyPath, ts...)
		if rep == nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "entries: %d\ncheckpoints: %d\n", rep.Entries, rep.Checkpoints)
		if rep.Latest != nil {
			fmt.Fprintf(m.Stdout, "latest checkpoint: size %d\n", rep.Latest.Size)
		}
		if station {
			fmt.Fprintln(m.Stdout, "station database: filter index (audit_index) checked")
		}
		if len(ts) > 0 && err == nil {
			fmt.Fprintf(m.Stdout, "consistent with %d exported checkpoint(s)\n", len(ts))
		}
		if *cosignedBy != "" && err == nil {
			err = verifyCosigned(ctx, m, *dbPath, vkey, *cosignedBy, rep)
		}
		if err != nil {
			printProblems(m.Stdout, *rep)
			return fmt.Errorf("the audit log %s in %s does not verify", origin, *dbPath)
		}
		fmt.Fprintf(m.Stdout, "OK: the audit log %s in %s verifies\n", origin, *dbPath)
		return nil
	}, nil
}

// verifyLog runs every check of audit verify on the database at dbPath:
// audit.Verify, and on a station's database also its filter index
// (sqlite.VerifyAudit), so that an edited index row cannot hide an entry
// from the console's timeline. The database is the station's when the
// key is the station's log key (its name ends in /station/audit) or the
// file has the index table. rep is nil when nothing could be checked.
func verifyLog(ctx context.Context, dbPath, vkeyPath string, trusted ...[]byte) (rep *audit.Report, station bool, err error) {
	vkey, err := readKey(vkeyPath)
	if err != nil {
		return nil, false, err
	}
	db, err := openReadOnly(dbPath)
	if err != nil {
		return nil, false, err
	}
	defer db.Close()
	name, _, _ := strings.Cut(vkey, "+")
	station = strings.HasSuffix(name, "/station/audit")
	if !station {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_index'`).Scan(&n); err != nil {
			return nil, false, err
		}
		station = n > 0
	}
	var r audit.Report
	if station {
		r, err = sqlite.VerifyAudit(ctx, db, vkey, trusted...)
	} else {
		r, err = audit.Verify(ctx, db, vkey, trusted...)
	}
	var bad audit.Report
	if err != nil && !errors.As(err, &bad) {
		return nil, station, err
	}
	return &r, station, err
}

func printProblems(w io.Writer, rep audit.Report) {
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "PROBLEM %s: %s\n", p.Kind, p.Detail)
	}
}

func parseAuditExport(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	dbPath := fs.String("db", "var/printerd/journal.db", "the service's database")
	vkeyPath := fs.String("vkey", "var/keys/audit-printerd.vkey", "the log's verifier key (note format)")
	format := fs.String("format", "jsonl", "jsonl or csv")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	if *format != "jsonl" && *format != "csv" {
		return nil, fmt.Errorf("-format %q: jsonl or csv", *format)
	}
	return func(ctx context.Context) error {
		// An export is evidence: never write one from a log that fails
		// the checks of audit verify.
		rep, _, err := verifyLog(ctx, *dbPath, *vkeyPath)
		if rep == nil {
			return err
		}
		if err != nil {
			printProblems(m.Stderr, *rep)
			return fmt.Errorf("the audit log does not verify (%d problem(s)); nothing exported", len(rep.Problems))
		}
		vkey, err := readKey(*vkeyPath)
		if err != nil {
			return err
		}
		db, err := openReadOnly(*dbPath)
		if err != nil {
			return err
		}
		defer db.Close()
		cp, err := audit.Latest(ctx, db)
		if err != nil {
			return err
		}
		if cp == nil {
			return errors.New("the log has no checkpoint yet")
		}
		return audit.Export(ctx, db, vkey, cp, *format, m.Stdout)
	}, nil
}

type multiFlag []string

func (f *multiFlag) String() string     { return strings.Join(*f, ",") }
func (f *multiFlag) Set(v string) error { *f = append(*f, v); return nil }
