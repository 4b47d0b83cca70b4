package http_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/fleet"
	fleethttp "github.com/anjungan/anjungan/fleet/http"
	"github.com/anjungan/anjungan/fleet/postgres"
	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

type rig struct {
	url   string
	store *postgres.Store
	dir   string
}

// mustHub starts the hub's handler behind real mutual TLS with a new
// fleet CA, on a fresh database.
func mustHub(t *testing.T) *rig {
	t.Helper()
	dir := t.TempDir()
	if err := certs.InitFleetCA(dir, nil, rand.Reader, time.Now()); err != nil {
		t.Fatal(err)
	}
	return startHub(t, dir, pgtest.MustDB(t), nil)
}

// startHub starts one hub process (its own pool) of the fleet CA in dir
// on database dsn; with a cosigner it serves the witness.
func startHub(t *testing.T, dir, dsn string, cosigner *audit.Cosigner) *rig {
	t.Helper()
	store, err := postgres.Open(context.Background(), dsn, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	cfg, err := certs.ServerMTLS(filepath.Join(dir, "fleethub.crt"), filepath.Join(dir, "fleethub.key"), filepath.Join(dir, "fleet-ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	var opts []fleethttp.Option
	if cosigner != nil {
		opts = append(opts, fleethttp.WithWitness(&fleet.Witness{Store: store, Cosigner: cosigner, Now: func() time.Time { return t0 }}))
	}
	srv := httptest.NewUnstartedServer(fleethttp.NewHandler(store, zerolog.Nop(), opts...))
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &rig{url: srv.URL, store: store, dir: dir}
}

// client is kiosk id's HTTPS client with a certificate the fleet CA signed.
func (r *rig) client(t *testing.T, id string) *http.Client {
	t.Helper()
	kdir := filepath.Join(r.dir, "kiosk-"+id)
	csr, err := certs.KioskRequest(kdir, id, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	crt, got, err := certs.SignKiosk(r.dir, csr, rand.Reader, time.Now())
	if err != nil || got != id {
		t.Fatalf("sign: %q %v", got, err)
	}
	if err := os.WriteFile(filepath.Join(kdir, id+".crt"), crt, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := certs.ClientMTLS("fleethub", filepath.Join(r.dir, "fleet-ca.crt"), filepath.Join(kdir, id+".crt"), filepath.Join(kdir, id+".key"))
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 30 * time.Second}
}

func post(t *testing.T, c *http.Client, url, body string) (int, fleethttp.ErrorBody, fleet.Ack) {
	t.Helper()
	resp, err := c.Post(url+"/v1/events", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var eb fleethttp.ErrorBody
	var ack fleet.Ack
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &ack); err != nil {
			t.Fatal(err)
		}
	} else if err := json.Unmarshal(b, &eb); err != nil {
		t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
	}
	return resp.StatusCode, eb, ack
}

func batch(from, n int) string {
	var ev []string
	for i := 0; i < n; i++ {
		ev = append(ev, `{"seq":`+strconv.Itoa(from+i)+`,"at":"2026-12-01T08:00:00Z","kind":"print_outcome","data":{"document_type":"kia","outcome":"printed","job_ref":"j`+strconv.Itoa(from+i)+`"}}`)
	}
	return `{"stream":"station","events":[` + strings.Join(ev, ",") + `]}`
}

func TestEventsOverMutualTLS(t *testing.T) {
	r := mustHub(t)
	ctx := context.Background()
	if err := r.store.Enrol(ctx, fleet.Kiosk{ID: "k1", Name: "MPP", Regency: "3273", Province: "32"}); err != nil {
		t.Fatal(err)
	}
	if err := r.store.Enrol(ctx, fleet.Kiosk{ID: "k3", Name: "MPP", Regency: "3273", Province: "32"}); err != nil {
		t.Fatal(err)
	}
	k1, k2, k3 := r.client(t, "k1"), r.client(t, "k2"), r.client(t, "k3")

	if st, _, ack := post(t, k1, r.url, batch(1, 3)); st != 200 || ack.Acked != 3 {
		t.Fatalf("first batch: %d %+v", st, ack)
	}
	if st, _, ack := post(t, k1, r.url, batch(1, 3)); st != 200 || ack.Acked != 3 {
		t.Fatalf("resend: %d %+v", st, ack)
	}
	st, eb, _ := post(t, k1, r.url, batch(5, 1))
	if st != 409 || eb.Code != "sequence_gap" || eb.Acked == nil || *eb.Acked != 3 {
		t.Fatalf("gap: %d %+v", st, eb)
	}
	if st, eb, _ := post(t, k2, r.url, batch(1, 1)); st != 403 || eb.Code != "kiosk_unknown" {
		t.Fatalf("unknown kiosk: %d %+v", st, eb)
	}
	if st, _, _ := post(t, k3, r.url, batch(1, 1)); st != 200 {
		t.Fatalf("k3 before revocation: %d", st)
	}
	if err := r.store.Revoke(ctx, "k3", time.Now()); err != nil {
		t.Fatal(err)
	}
	if st, eb, _ := post(t, k3, r.url, batch(2, 1)); st != 403 || eb.Code != "kiosk_revoked" {
		t.Fatalf("revoked kiosk: %d %+v", st, eb)
	}
	const nik = "3273012501900001"
	for name, c := range map[string]struct {
		body   string
		status int
		code   string
	}{
		"nik":           {strings.Replace(batch(4, 1), `"j4"`, `"`+nik+`"`, 1), 422, "personal_data_refused"},
		"unknown-field": {strings.Replace(batch(4, 1), `"job_ref"`, `"name":"Budi","job_ref"`, 1), 422, "event_invalid"},
		"not-json":      {`{"stream":`, 400, "batch_invalid"},
		"too-large":     {`{"stream":"station","events":[],"x":"` + strings.Repeat("a", fleet.MaxBatchBytes) + `"}`, 413, "batch_too_large"},
	} {
		st, eb, _ := post(t, k1, r.url, c.body)
		if st != c.status || eb.Code != c.code {
			t.Errorf("%s: %d %q, want %d %q", name, st, eb.Code, c.status, c.code)
		}
	}

	// A client with no certificate does not get through the handshake;
	// one with a certificate of another CA neither.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if _, err := plain.Post(r.url+"/v1/events", "application/json", bytes.NewReader([]byte(batch(4, 1)))); err == nil {
		t.Error("a client without a certificate got through")
	}
	other := mustHub(t)
	stranger := other.client(t, "k1") // same ID, another fleet's CA
	stranger.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
	if _, err := stranger.Post(r.url+"/v1/events", "application/json", bytes.NewReader([]byte(batch(4, 1)))); err == nil {
		t.Error("a certificate of another CA got through")
	}
	var n int
	if err := r.store.Pool().QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("%d events stored, want 4 (3 of k1, 1 of k3): %v", n, err)
	}
}
