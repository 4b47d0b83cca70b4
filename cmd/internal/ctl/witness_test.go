package ctl_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/audit"
)

// fleet witness-key makes a key once; audit verify -cosigned-by checks
// the cosignatures stored beside a log, and fails on a changed one and
// when the witness cosigned nothing.
func TestAuditVerifyCosignedBy(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, "keys", "init", "-var", dir); err != nil {
		t.Fatal(err)
	}
	wdir := filepath.Join(dir, "fleet")
	if out, err := run(t, "fleet", "witness-key", "-dir", wdir, "-name", "hub.test/witness"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if _, err := run(t, "fleet", "witness-key", "-dir", wdir); err == nil {
		t.Fatal("a second witness-key replaced the first")
	}
	if fi, err := os.Stat(filepath.Join(wdir, "witness.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("witness.key: %v %v", fi, err)
	}
	wskey := mustReadKey(t, filepath.Join(wdir, "witness.key"))
	wvkeyPath := filepath.Join(wdir, "witness.vkey")

	dbPath := filepath.Join(dir, "journal.db")
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.Exec(audit.Schema + audit.CosignSchema); err != nil {
		t.Fatal(err)
	}
	tx, _ := db.Begin()
	if _, err := audit.Append(ctx, tx, audit.Entry{Time: time.Now(), Kind: "job.printed"}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	s, err := audit.NewSigner(mustReadKey(t, filepath.Join(dir, "keys/audit-printerd.key")), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := s.Checkpoint(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	vkey := filepath.Join(dir, "keys/audit-printerd.vkey")
	if out, err := run(t, "audit", "verify", "-db", dbPath, "-vkey", vkey, "-cosigned-by", wvkeyPath); err == nil || !strings.Contains(out, "cosignature-missing") {
		t.Fatalf("nothing cosigned verified: %v\n%s", err, out)
	}
	cos, err := audit.NewCosigner(wskey)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := audit.CheckpointBody(cp)
	if err := (audit.CosignLog{Read: db, Write: db}).Store(ctx, audit.Cosigned{Size: 1, Checkpoint: cp, Witness: cos.Name(),
		Cosignature: cos.Cosign(body, time.Now()), Received: time.Now()}); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "audit", "verify", "-db", dbPath, "-vkey", vkey, "-cosigned-by", wvkeyPath)
	if err != nil || !strings.Contains(out, "cosignatures by hub.test/witness: 1, largest cosigned size 1") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	if _, err := db.Exec(`UPDATE audit_cosignatures SET checkpoint = replace(checkpoint, X'0A310A', X'0A320A')`); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "audit", "verify", "-db", dbPath, "-vkey", vkey, "-cosigned-by", wvkeyPath); err == nil || !strings.Contains(out, "PROBLEM cosigned-checkpoint-invalid") {
		t.Fatalf("a changed cosigned checkpoint verified: %v\n%s", err, out)
	}
}
