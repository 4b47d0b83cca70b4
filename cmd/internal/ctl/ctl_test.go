package ctl_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/anjungan/anjungan/cmd/internal/ctl"
	"github.com/anjungan/anjungan/internal/audit"
)

// run runs anjunganctl with args and returns its output and error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	m := ctl.NewMain()
	var out bytes.Buffer
	m.Stdout, m.Stderr = &out, &out
	if err := m.ParseFlags(args); err != nil {
		return out.String(), err
	}
	err := m.Run(context.Background())
	return out.String(), err
}

func TestKeysInitMakesEveryKeyOnce(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, "keys", "init", "-var", dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"keys/ticket.key", "keys/ticket.pub", "keys/binding.key", "keys/subject.key", "keys/audit-station.key",
		"keys/audit-station.vkey", "keys/audit-printerd.key", "keys/audit-printerd.vkey", "certs/ca.crt", "certs/registry.key"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if strings.HasSuffix(f, ".key") && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, "keys/audit-printerd.key"))
	out, err := run(t, "keys", "init", "-var", dir)
	after, _ := os.ReadFile(filepath.Join(dir, "keys/audit-printerd.key"))
	if err != nil || !strings.Contains(out, "already") || !bytes.Equal(before, after) {
		t.Errorf("second keys init: %q %v; keys replaced: %v", out, err, !bytes.Equal(before, after))
	}
}

func TestAuditVerifyAndExport(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, "keys", "init", "-var", dir); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "journal.db")
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := audit.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		tx, _ := db.Begin()
		if _, err := audit.Append(ctx, tx, audit.Entry{Time: time.Now(), Kind: "job.printed", Fields: map[string]string{"job": "J" + string(rune('A'+i))}}); err != nil {
			t.Fatal(err)
		}
		tx.Commit()
	}
	skey, _ := os.ReadFile(filepath.Join(dir, "keys/audit-printerd.key"))
	s, err := audit.NewSigner(strings.TrimSpace(string(skey)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := s.Checkpoint(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	cpFile := filepath.Join(dir, "checkpoint")
	os.WriteFile(cpFile, cp, 0o644)
	vkey := filepath.Join(dir, "keys/audit-printerd.vkey")

	out, err := run(t, "audit", "verify", "-db", dbPath, "-vkey", vkey, "-trusted", cpFile)
	if err != nil || !strings.Contains(out, "OK") || !strings.Contains(out, "entries: 5") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	// It says which log it checked: the file and the key's origin.
	host, _ := os.Hostname()
	if !strings.Contains(out, "log: "+dbPath+" (origin anjungan."+host+"/printerd/audit") || !strings.Contains(out, dbPath+" verifies") {
		t.Errorf("verify does not name the log it checked:\n%s", out)
	}
	out, err = run(t, "audit", "export", "-db", dbPath, "-vkey", vkey, "-format", "csv")
	// The checkpoint line, the header, five entries.
	if err != nil || strings.Count(out, "\n") != 7 {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if _, n, err := audit.CheckExport(strings.NewReader(out), "csv", mustReadKey(t, vkey)); err != nil || n != 5 {
		t.Fatalf("the CSV export checks %d entries: %v", n, err)
	}
	if _, err := db.Exec("UPDATE audit_entries SET data = replace(data, 'JB', 'JZ') WHERE idx = 1"); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "audit", "verify", "-db", dbPath, "-vkey", vkey)
	if err == nil || !strings.Contains(out, "PROBLEM") {
		t.Fatalf("tampered log verified: %s", out)
	}
}

func TestUnknownCommand(t *testing.T) {
	out, err := run(t, "frobnicate")
	if err == nil || !strings.Contains(out, "usage") {
		t.Errorf("unknown command: %v %q", err, out)
	}
}
