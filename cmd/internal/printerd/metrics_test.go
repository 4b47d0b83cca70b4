package printerd_test

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	program "github.com/anjungan/anjungan/cmd/internal/printerd"
	"github.com/anjungan/anjungan/internal/metrics/metricstest"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// MustMetricsPrinterd runs printerd with /metrics on a free loopback port.
func MustMetricsPrinterd(t *testing.T) *program.Main {
	t.Helper()
	tmp := t.TempDir()
	key, _ := MustAuditKey(t, tmp)
	m := MustRun(t, &syncBuffer{}, "-audit-key", key, "-metrics-addr", "127.0.0.1:0",
		"-socket", filepath.Join(MustSocketDir(t), "printerd.sock"), "-data", filepath.Join(tmp, "data"),
		"-printer", "name=card-1,driver=sim,uri="+filepath.Join(tmp, "card")+",media=om_card_54x86mm",
		"-printer", "name=paper-1,driver=sim,uri="+filepath.Join(tmp, "paper")+",media=iso_a4_210x297mm")
	if m.MetricsAddr() == "" {
		t.Fatal("no metrics listener")
	}
	return m
}

// TestMetricsMoveWithAPrint: a print through the client API moves the
// journal's job counts, the print duration, the blank cards and the
// outbox backlog, and the API's request latency by route template; no
// label names a job.
func TestMetricsMoveWithAPrint(t *testing.T) {
	ctx := context.Background()
	m := MustMetricsPrinterd(t)
	c := client.New(m.SocketPath())
	defer c.CloseIdleConnections()
	if _, err := c.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 5, Actor: "sari"}); err != nil {
		t.Fatal(err)
	}
	before := metricstest.MustScrape(t, m.MetricsAddr())
	for _, name := range []string{"anjungan_printerd_jobs", "anjungan_printerd_print_duration_seconds", "anjungan_printerd_blank_cards",
		"anjungan_printerd_printer_state", "anjungan_printerd_fleet_outbox_events", "anjungan_printerd_fleet_outbox_oldest_age_seconds",
		"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := before.Families[name]; !ok && name != "anjungan_printerd_print_duration_seconds" {
			t.Errorf("no %s before a print", name)
		}
	}
	if v, _ := before.Value("anjungan_printerd_blank_cards", map[string]string{"printer": "card-1"}); v != 5 {
		t.Errorf("blank cards = %v, want 5", v)
	}
	if v, _ := before.Value("anjungan_printerd_printer_state", map[string]string{"printer": "card-1", "state": "idle"}); v != 1 {
		t.Errorf("card-1 idle = %v, want 1", v)
	}

	job, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "auth-1/card", Media: printerd.MediaCard, Title: "KTP-el", Document: MustRead(t, "card.pdf")})
	if err != nil {
		t.Fatal(err)
	}
	MustPrint(t, c, job.ID)
	// A job of this id that does not exist, and a path no route takes:
	// the ids stay out of the labels.
	if _, err := c.Job(ctx, printerd.JobID("auth-1-nope")); err == nil {
		t.Fatal("an unknown job was found")
	}
	res, err := unixGet(m.SocketPath(), "/v1/nope/"+string(job.ID))
	if err != nil || res != http.StatusNotFound {
		t.Fatalf("unknown route: %d %v", res, err)
	}
	after := metricstest.MustScrape(t, m.MetricsAddr())
	for _, c := range []struct {
		route, method, class string
		min                  float64
	}{{"/v1/jobs", "POST", "2xx", 1}, {"/v1/jobs/{id}", "GET", "2xx", 1}, {"/v1/jobs/{id}", "GET", "4xx", 1}, {"unmatched", "GET", "4xx", 1}} {
		if n, _ := after.Value("anjungan_printerd_http_request_duration_seconds",
			map[string]string{"route": c.route, "method": c.method, "status_class": c.class}); n < c.min {
			t.Errorf("requests timed for %s %s %s: %v, want at least %v", c.method, c.route, c.class, n, c.min)
		}
	}

	printed0, _ := before.Value("anjungan_printerd_jobs", map[string]string{"state": "printed"})
	printed1, _ := after.Value("anjungan_printerd_jobs", map[string]string{"state": "printed"})
	if printed1 != printed0+1 {
		t.Errorf("printed jobs %v → %v, want one more", printed0, printed1)
	}
	if n, _ := after.Value("anjungan_printerd_print_duration_seconds", map[string]string{"printer": "card-1", "state": "printed"}); n != 1 {
		t.Errorf("print durations observed = %v, want 1", n)
	}
	if v, _ := after.Value("anjungan_printerd_blank_cards", map[string]string{"printer": "card-1"}); v != 4 {
		t.Errorf("blank cards after a print = %v, want 4", v)
	}
	b0, _ := before.Value("anjungan_printerd_fleet_outbox_events", nil)
	b1, _ := after.Value("anjungan_printerd_fleet_outbox_events", nil)
	if b1 <= b0 {
		t.Errorf("outbox events %v → %v, want more (no hub drains it)", b0, b1)
	}
	if strings.Contains(after.Body, string(job.ID)) || strings.Contains(after.Body, "auth-1") {
		t.Errorf("the scrape names the job:\n%s", after.Body)
	}
	after.MustMatchDoc(t, "../../../docs/operations.md", "anjungan_printerd_")
	for _, name := range after.Anjungan() {
		for _, l := range []string{"job", "job_id", "id", "title"} {
			if vs := after.Labels(name, l); len(vs) > 0 {
				t.Errorf("%s has a %s label: %v", name, l, vs)
			}
		}
	}
	if !slices.Contains(after.Labels("anjungan_printerd_jobs", "state"), "in_doubt") {
		t.Error("jobs by state does not report every state")
	}
}

// unixGet GETs path from printerd's socket and returns the status.
func unixGet(socket, path string) (int, error) {
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}}
	defer hc.CloseIdleConnections()
	res, err := hc.Get("http://printerd" + path)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}
