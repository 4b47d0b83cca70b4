package fleethub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/cmd/internal/ctl"
	"github.com/anjungan/anjungan/cmd/internal/fleethub"
	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func mustCtl(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	m := ctl.NewMain()
	m.Stdout, m.Stderr = &out, &errb
	if err := m.ParseFlags(args); err != nil {
		t.Fatalf("anjunganctl %v: %v\n%s", args, err, errb.String())
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("anjunganctl %v: %v", args, err)
	}
	return out.String()
}

func mustHub(t *testing.T, dsn, caDir string) *fleethub.Main {
	t.Helper()
	m := fleethub.NewMain()
	m.Stderr = io.Discard
	if err := m.ParseFlags([]string{"-db", dsn, "-listen", "127.0.0.1:0", "-tls-cert", filepath.Join(caDir, "fleethub.crt"),
		"-tls-key", filepath.Join(caDir, "fleethub.key"), "-client-ca", filepath.Join(caDir, "fleet-ca.crt"), "-console-addr", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func batch(from, n int) string {
	var ev []string
	for i := from; i < from+n; i++ {
		ev = append(ev, `{"seq":`+strconv.Itoa(i)+`,"at":"2026-12-01T08:00:00Z","kind":"print_outcome","data":{"document_type":"kk","outcome":"printed","job_ref":"j`+strconv.Itoa(i)+`"}}`)
	}
	return `{"stream":"station","events":[` + strings.Join(ev, ",") + `]}`
}

func post(t *testing.T, c *http.Client, addr, body string) (int, map[string]any) {
	t.Helper()
	st, v, err := tryPost(c, addr, body)
	if err != nil {
		t.Fatal(err)
	}
	return st, v
}

// tryPost is post for goroutines other than the test's.
func tryPost(c *http.Client, addr, body string) (int, map[string]any, error) {
	resp, err := c.Post("https://"+addr+"/v1/events", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, v, nil
}

// The whole enrolment with anjunganctl, then the hub program: a signed
// kiosk's events are acknowledged across a hub restart, a revoked
// kiosk's are refused.
func TestEnrolSendRestartRevoke(t *testing.T) {
	dsn := pgtest.MustDB(t)
	dir := t.TempDir()
	ca, keys := filepath.Join(dir, "fleet"), filepath.Join(dir, "kiosk")
	mustCtl(t, "fleet", "ca-init", "-dir", ca)
	mustCtl(t, "fleet", "enrol", "-kiosk", "bdg-mpp-01", "-key-dir", keys)
	out := mustCtl(t, "fleet", "sign", "-csr", filepath.Join(keys, "bdg-mpp-01.csr"), "-dir", ca, "-hub-db", dsn,
		"-name", "MPP Kota Bandung", "-regency", "3273", "-province", "32")
	if !strings.Contains(out, "registered kiosk bdg-mpp-01") {
		t.Fatalf("sign said %q", out)
	}
	tlsCfg, err := certs.ClientMTLS("fleethub", filepath.Join(ca, "fleet-ca.crt"), filepath.Join(keys, "bdg-mpp-01.crt"), filepath.Join(keys, "bdg-mpp-01.key"))
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: 30 * time.Second}

	hub := mustHub(t, dsn, ca)
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := c.Get("https://" + hub.Addr() + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
	if st, v := post(t, c, hub.Addr(), batch(1, 5)); st != 200 || v["acked"] != 5.0 {
		t.Fatalf("first batch: %d %v", st, v)
	}
	hub.Close()
	hub = mustHub(t, dsn, ca) // restarted: the kiosk resends what it did not see acknowledged
	c.CloseIdleConnections()
	if st, v := post(t, c, hub.Addr(), batch(3, 5)); st != 200 || v["acked"] != 7.0 {
		t.Fatalf("after a restart: %d %v", st, v)
	}
	mustCtl(t, "fleet", "revoke", "bdg-mpp-01", "-hub-db", dsn)
	if st, v := post(t, c, hub.Addr(), batch(8, 1)); st != 403 || v["code"] != "kiosk_revoked" {
		t.Fatalf("revoked: %d %v", st, v)
	}
	if st, v := post(t, c, hub.Addr(), batch(8, 1)); st != 403 || v["code"] != string(fleet.ErrKioskRevoked.Code) {
		t.Fatalf("revoked, again: %d %v", st, v)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{}, {"-db", "mysql://x"}, {"-db", "postgres://x", "extra"}, {"-db", "postgres://x", "-alert-every", "0s"}} {
		m := fleethub.NewMain()
		m.Stdout, m.Stderr = io.Discard, io.Discard
		if err := m.ParseFlags(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// Two hub programs on one database take the same kiosk's batches at once
// (a kiosk whose ack was lost resends to the other), and the database
// restarts under them: every event is stored once, and refusals in the
// meantime are store_unavailable (503), which the kiosk retries.
func TestTwoHubsAndADatabaseRestart(t *testing.T) {
	dsn := pgtest.MustDB(t)
	dir := t.TempDir()
	ca, keys := filepath.Join(dir, "fleet"), filepath.Join(dir, "kiosk")
	mustCtl(t, "fleet", "ca-init", "-dir", ca)
	mustCtl(t, "fleet", "enrol", "-kiosk", "k1", "-key-dir", keys)
	mustCtl(t, "fleet", "sign", "-csr", filepath.Join(keys, "k1.csr"), "-dir", ca, "-hub-db", dsn, "-regency", "3273", "-province", "32")
	tlsCfg, err := certs.ClientMTLS("fleethub", filepath.Join(ca, "fleet-ca.crt"), filepath.Join(keys, "k1.crt"), filepath.Join(keys, "k1.key"))
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: 30 * time.Second}
	hubs := []*fleethub.Main{mustHub(t, dsn, ca), mustHub(t, dsn, ca)}

	// send posts batch i to hub h until it is acknowledged, as a sender would.
	send := func(h *fleethub.Main, i int) {
		for try := 0; try < 50; try++ {
			st, v, err := tryPost(c, h.Addr(), batch(i*10+1, 10))
			switch {
			case err != nil:
				t.Errorf("batch %d: %v", i, err)
				return
			case st == 200:
				return
			case st == 503 && v["code"] == "store_unavailable", st == 409 && v["code"] == "sequence_gap":
				time.Sleep(50 * time.Millisecond) // the other hub (or the database) first
			default:
				t.Errorf("batch %d: %d %v", i, st, v)
				return
			}
		}
		t.Errorf("batch %d never acknowledged", i)
	}
	done := make(chan struct{})
	for _, h := range hubs {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 20; i++ {
				send(h, i)
				if i == 10 && h == hubs[0] {
					if err := pgtest.MustCluster(t).Restart(); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	<-done
	<-done
	var events, printed int
	conn := hubsDB(t, dsn)
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(context.Background(), `SELECT sum(count) FROM prints_daily`).Scan(&printed); err != nil {
		t.Fatal(err)
	}
	if events != 200 || printed != 200 {
		t.Fatalf("%d events and %d prints stored, want 200 and 200", events, printed)
	}
}

func hubsDB(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
