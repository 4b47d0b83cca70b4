package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anjungan/anjungan/cmd/internal/ctl"
	"github.com/anjungan/anjungan/internal/pgtest"
)

// TestRunFleet: `make run-fleet`'s program (anjunganctl dev -fleet) starts
// PostgreSQL under VAR/fleet/pg, the hub and three kiosks from three
// regencies; the driver's prints reach the hub from each kiosk; on the end
// of its context (Ctrl-C) everything stops and the database is shut down.
func TestRunFleet(t *testing.T) {
	if _, err := os.Stat(filepath.Join(pgtest.Bin, "initdb")); err != nil {
		if pgtest.Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	bin := t.TempDir()
	cmd := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "github.com/anjungan/anjungan/cmd/registry-sim",
		"github.com/anjungan/anjungan/cmd/printerd", "github.com/anjungan/anjungan/cmd/station", "github.com/anjungan/anjungan/cmd/fleethub")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", "fleet") // unix socket paths must stay short
	mustOK(t, err)
	if os.Geteuid() == 0 {
		mustOK(t, os.Chmod(dir, 0o755)) // PostgreSQL runs as postgres below it
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	out, logs := &logBuffer{}, &logBuffer{}
	m := ctl.NewMain()
	m.Stdout, m.Stderr = out, logs
	mustOK(t, m.ParseFlags([]string{"dev", "-fleet", "-var", dir, "-bin", bin, "-fleet-every", "300ms"}))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	dsnLine := regexp.MustCompile(`Database: (\S+)`)
	var dsn string
	for deadline := time.Now().Add(2 * time.Minute); dsn == ""; time.Sleep(100 * time.Millisecond) {
		if s := dsnLine.FindSubmatch(out.Bytes()); s != nil {
			dsn = string(s[1])
		}
		select {
		case err := <-done:
			t.Fatalf("dev -fleet ended at start: %v\n%s\n%s", err, out.Bytes(), logs.Bytes())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev -fleet did not start:\n%s\n%s", out.Bytes(), logs.Bytes())
		}
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	mustOK(t, err)
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		var kiosks, regencies, faults int // faults: not asserted (see docs/fleet.md)
		mustOK(t, conn.QueryRow(context.Background(), `SELECT COUNT(DISTINCT e.kiosk), COUNT(DISTINCT k.regency),
			COUNT(*) FILTER (WHERE e.data->>'outcome' <> 'printed')
			FROM events e JOIN kiosks k ON k.id = e.kiosk WHERE e.kind = 'print_outcome'`).Scan(&kiosks, &regencies, &faults))
		if kiosks == 3 && regencies == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("prints reached the hub from %d kiosks (want 3; %d not printed):\n%s", kiosks, faults, out.Bytes())
		}
	}
	conn.Close(context.Background())
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dev -fleet: %v\n%s", err, logs.Bytes())
		}
	case <-time.After(time.Minute):
		t.Fatal("dev -fleet did not stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "fleet", "pg", "data", "postmaster.pid")); err == nil {
		t.Error("PostgreSQL still runs after dev -fleet stopped")
	}
}
