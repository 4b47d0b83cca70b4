package fleethub_test

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/cmd/internal/fleethub"
	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/pgtest"
)

// The witness through the programs: the operator makes the witness key
// and registers the kiosk's audit keys with anjunganctl, the hub runs
// with -witness-key, the kiosk's witness sender (from the -fleet-* flags)
// has its checkpoint cosigned, and anjunganctl audit verify -cosigned-by
// accepts what the kiosk stored.
func TestWitnessThroughThePrograms(t *testing.T) {
	dsn := pgtest.MustDB(t)
	dir := t.TempDir()
	ca, keys, vars := filepath.Join(dir, "fleet"), filepath.Join(dir, "kiosk"), filepath.Join(dir, "var")
	mustCtl(t, "keys", "init", "-var", vars)
	mustCtl(t, "fleet", "ca-init", "-dir", ca)
	mustCtl(t, "fleet", "witness-key", "-dir", ca)
	mustCtl(t, "fleet", "enrol", "-kiosk", "bdg-mpp-01", "-key-dir", keys)
	mustCtl(t, "fleet", "sign", "-csr", filepath.Join(keys, "bdg-mpp-01.csr"), "-dir", ca, "-hub-db", dsn,
		"-regency", "3273", "-province", "32", "-station-audit-vkey", filepath.Join(vars, "keys/audit-station.vkey"))
	// printerd's key, registered after the enrolment.
	mustCtl(t, "fleet", "audit-keys", "bdg-mpp-01", "-hub-db", dsn, "-station-audit-vkey", filepath.Join(vars, "keys/audit-station.vkey"),
		"-printerd-audit-vkey", filepath.Join(vars, "keys/audit-printerd.vkey"))

	hub := fleethub.NewMain()
	hub.Stderr = io.Discard
	if err := hub.ParseFlags([]string{"-db", dsn, "-listen", "127.0.0.1:0", "-tls-cert", filepath.Join(ca, "fleethub.crt"),
		"-tls-key", filepath.Join(ca, "fleethub.key"), "-client-ca", filepath.Join(ca, "fleet-ca.crt"),
		"-witness-key", filepath.Join(ca, "witness.key")}); err != nil {
		t.Fatal(err)
	}
	if err := hub.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Close() })

	// The kiosk's printerd log (a station database also has the filter index verify checks).
	ctx := context.Background()
	dbPath := filepath.Join(dir, "journal.db")
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(audit.Schema + audit.CosignSchema); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		tx, _ := db.Begin()
		if _, err := audit.Append(ctx, tx, audit.Entry{Time: time.Now(), Kind: "login.ticket"}); err != nil {
			t.Fatal(err)
		}
		tx.Commit()
	}
	skey, err := readFile(filepath.Join(vars, "keys/audit-printerd.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := audit.NewSigner(skey, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signer.Checkpoint(ctx, db); err != nil {
		t.Fatal(err)
	}

	f := &cli.Fleet{URL: "https://" + hub.Addr(), Cert: filepath.Join(keys, "bdg-mpp-01.crt"), Key: filepath.Join(keys, "bdg-mpp-01.key"),
		CA: filepath.Join(ca, "fleet-ca.crt"), WitnessVKey: filepath.Join(ca, "witness.vkey")}
	s, err := f.WitnessSender(audit.CosignLog{Read: db, Write: db}, nil)
	if err != nil || s == nil {
		t.Fatalf("witness sender: %v %v", s, err)
	}
	if line, err := s.Step(ctx); err != nil || line == "" {
		t.Fatalf("step: %q %v", line, err)
	}
	out := mustCtl(t, "audit", "verify", "-db", dbPath, "-vkey", filepath.Join(vars, "keys/audit-printerd.vkey"),
		"-cosigned-by", filepath.Join(ca, "witness.vkey"))
	if !strings.Contains(out, "largest cosigned size 3") || !strings.Contains(out, "OK") {
		t.Fatalf("verify:\n%s", out)
	}
}

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return strings.TrimSpace(string(b)), err
}
