package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/health"
	"github.com/anjungan/anjungan/printerd"
)

// unixHTTP is an HTTP client of printerd's unix socket.
func unixHTTP(socket string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}}}
}

// readiness GETs url's /readyz and decodes its report.
func readiness(t *testing.T, c *http.Client, base string) (int, health.Report) {
	t.Helper()
	res, err := c.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var rep health.Report
	body, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("/readyz: %d %q: %v", res.StatusCode, body, err)
	}
	return res.StatusCode, rep
}

// waitReadiness polls until /readyz fails exactly the checks failed (none:
// ready), and fails the test if it does not within 15 s.
func waitReadiness(t *testing.T, c *http.Client, base string, failed ...string) health.Report {
	t.Helper()
	var (
		status int
		rep    health.Report
	)
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		status, rep = readiness(t, c, base)
		wantStatus := http.StatusOK
		if len(failed) > 0 {
			wantStatus = http.StatusServiceUnavailable
		}
		if status == wantStatus && rep.Ready == (len(failed) == 0) && slices.Equal(rep.Failed, failed) {
			return rep
		}
	}
	t.Fatalf("%s/readyz: %d %+v, want failed %q", base, status, rep, failed)
	return rep
}

// TestReadiness: /healthz says the programs answer; /readyz on the
// station and on printerd says whether a citizen can be served, and which
// check fails when not: the station's database locked by another
// process, every printer unable to print, printerd gone.
func TestReadiness(t *testing.T) {
	s := MustStartWith(t, Options{Blanks: -1}) // no blank cards: only paper can print
	kiosk, pd := s.Station.KioskURL(), "http://printerd"
	web, sock := http.DefaultClient, unixHTTP(s.Printerd.SocketPath())
	for _, c := range []struct {
		client *http.Client
		base   string
	}{{web, kiosk}, {sock, pd}} {
		res, err := c.client.Get(c.base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s/healthz: %d", c.base, res.StatusCode)
		}
	}
	rep := waitReadiness(t, web, kiosk)
	if len(rep.Checks) != 3 {
		t.Errorf("station checks %+v, want database, printerd, printer", rep.Checks)
	}
	waitReadiness(t, sock, pd)

	t.Run("database locked", func(t *testing.T) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(s.Var, "station", "station.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
			t.Fatal(err)
		}
		rep := waitReadiness(t, web, kiosk, "database")
		if rep.Checks[0].Code != "storage_failed" {
			t.Errorf("database check %+v, want storage_failed", rep.Checks[0])
		}
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		waitReadiness(t, web, kiosk)
	})

	t.Run("no printer can print", func(t *testing.T) {
		ctx := context.Background()
		if err := s.Printers.InjectFault(ctx, "paper-1", printerd.Fault{Kind: printerd.FaultMediaJam, At: printerd.FaultBeforePrint}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Printers.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "readiness-1", Media: printerd.MediaA4,
			Title: "test", Document: []byte("%PDF-1.4\n%%EOF\n")}); err != nil {
			t.Fatal(err)
		}
		rep := waitReadiness(t, web, kiosk, "printer")
		if rep.Checks[2].Code != printerd.ErrNoPrinterReady.Code {
			t.Errorf("printer check %+v", rep.Checks[2])
		}
		waitReadiness(t, sock, pd, "printer")
		if _, err := s.Printers.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 5, Actor: "e2e"}); err != nil {
			t.Fatal(err)
		}
		waitReadiness(t, web, kiosk)
		waitReadiness(t, sock, pd)
	})

	t.Run("printerd gone", func(t *testing.T) {
		if err := s.Printerd.Close(); err != nil {
			t.Fatal(err)
		}
		rep := waitReadiness(t, web, kiosk, "printerd", "printer")
		if rep.Checks[1].Code != printerd.ErrUnreachable.Code {
			t.Errorf("printerd check %+v", rep.Checks[1])
		}
	})
}

// BenchmarkReadiness measures one /readyz of the running station (a write
// lock on its database, printerd's health and availability over its
// socket) against the anchor /healthz of the same server, in the same run:
// the cost a monitor polling readiness adds.
func BenchmarkReadiness(b *testing.B) {
	s := MustStart(b)
	for _, path := range []string{"/healthz", "/readyz"} {
		b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, err := http.Get(s.Station.KioskURL() + path)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", path, res.StatusCode)
				}
			}
		})
	}
}
