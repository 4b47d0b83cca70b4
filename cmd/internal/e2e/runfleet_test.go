package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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
// Its console takes the supervisor it made, with the password it printed,
// and shows the three kiosks.
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

	// The console: its URL and the first run's password printed once, the
	// password kept 0600 under VAR/fleet; the supervisor sees all three kiosks.
	console := regexp.MustCompile(`Console:  (http://\S+)/ \(user (\S+), password (\S+); kept in (\S+)\)`).FindSubmatch(out.Bytes())
	if console == nil {
		t.Fatalf("no console line:\n%s", out.Bytes())
	}
	base, user, password, file := string(console[1]), string(console[2]), string(console[3]), string(console[4])
	st, err := os.Stat(file)
	mustOK(t, err)
	kept, err := os.ReadFile(file)
	mustOK(t, err)
	if st.Mode().Perm() != 0o600 || strings.TrimSpace(string(kept)) != password || filepath.Dir(file) != filepath.Join(dir, "fleet") {
		t.Fatalf("password file %s: mode %v, holds the printed password: %v", file, st.Mode(), strings.TrimSpace(string(kept)) == password)
	}
	noRedirect := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"name": {user}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := noRedirect.Do(req)
	mustOK(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("console login: %s", resp.Status)
	}
	req, _ = http.NewRequest("GET", base+"/?lang=en", nil)
	req.AddCookie(resp.Cookies()[0])
	resp, err = noRedirect.Do(req)
	mustOK(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, k := range []string{"bdg-mpp-01", "sby-mpp-01", "mks-mpp-01"} {
		if !strings.Contains(string(page), `id="kiosk-`+k+`"`) {
			t.Errorf("the console's overview lacks %s: %s", k, resp.Status)
		}
	}
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
