package fleethub_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/cmd/internal/fleethub"
	"github.com/anjungan/anjungan/internal/metrics/metricstest"
	"github.com/anjungan/anjungan/internal/pgtest"
)

// TestMetricsMoveWithABatch: an ingested batch moves the events by kind
// and the ingest latency, a resend does not count twice, a refusal counts
// by code, and the kiosks and alerts gauges come from the database.
func TestMetricsMoveWithABatch(t *testing.T) {
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
	defer c.CloseIdleConnections()

	hub := fleethub.NewMain()
	hub.Stderr = io.Discard
	if err := hub.ParseFlags([]string{"-db", dsn, "-listen", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0",
		"-tls-cert", filepath.Join(ca, "fleethub.crt"), "-tls-key", filepath.Join(ca, "fleethub.key"), "-client-ca", filepath.Join(ca, "fleet-ca.crt")}); err != nil {
		t.Fatal(err)
	}
	if err := hub.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Close() })

	before := metricstest.MustScrape(t, hub.MetricsAddr())
	if v, _ := before.Value("anjungan_fleethub_kiosks", map[string]string{"state": "offline"}); v != 1 {
		t.Errorf("offline kiosks before any event = %v, want 1", v)
	}
	if _, ok := before.Value("anjungan_fleethub_alerts_open", map[string]string{"kind": "kiosk_offline"}); !ok {
		t.Error("no alerts_open for kiosk_offline")
	}
	if st, _ := post(t, c, hub.Addr(), batch(1, 3)); st != 200 {
		t.Fatalf("batch: %d", st)
	}
	if st, _ := post(t, c, hub.Addr(), batch(1, 3)); st != 200 { // a resend
		t.Fatalf("resend: %d", st)
	}
	if st, _ := post(t, c, hub.Addr(), batch(9, 1)); st != 409 {
		t.Fatalf("gap: %d", st)
	}
	after := metricstest.MustScrape(t, hub.MetricsAddr())
	if v, _ := after.Value("anjungan_fleethub_events_ingested_total", map[string]string{"kind": "print_outcome"}); v != 3 {
		t.Errorf("print_outcome events ingested = %v, want 3 (resends not counted)", v)
	}
	if n, _ := after.Value("anjungan_fleethub_ingest_duration_seconds", nil); n != 3 {
		t.Errorf("ingest durations observed = %v, want 3", n)
	}
	if v, _ := after.Value("anjungan_fleethub_batches_refused_total", map[string]string{"code": "sequence_gap"}); v != 1 {
		t.Errorf("refused sequence_gap = %v, want 1", v)
	}
	if v, _ := after.Value("anjungan_fleethub_kiosks", map[string]string{"state": "unknown"}); v != 1 {
		t.Errorf("kiosks heard from without a state = %v, want 1", v)
	}
	after.MustMatchDoc(t, "../../../docs/operations.md", "anjungan_fleethub_")
	for _, name := range after.Anjungan() {
		for _, l := range []string{"kiosk", "job", "job_ref"} {
			if vs := after.Labels(name, l); len(vs) > 0 {
				t.Errorf("%s has a %s label: %v", name, l, vs)
			}
		}
	}
}
