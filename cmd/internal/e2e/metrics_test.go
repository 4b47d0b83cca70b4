package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/internal/metrics/metricstest"
)

// TestMetricsOfAKiosk: a refused login moves the station's login counter
// by its code; a print by a known citizen moves printerd's jobs and the
// station's print outcomes by document type; the kiosk's, the console's
// and printerd's requests are timed by route template — a path holding
// the citizen's ticket is "unmatched"; neither scrape holds the
// citizen's NIK, name or ticket (the canary); every series the doc names
// is exposed, and no other.
func TestMetricsOfAKiosk(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "kk")
	var cs canaries
	for _, d := range sys.mustDocuments(t, a) {
		cs.addDocument(d)
	}
	st0 := metricstest.MustScrape(t, sys.Station.MetricsAddr())
	pd0 := metricstest.MustScrape(t, sys.Printerd.MetricsAddr())

	c := sys.NewCitizen(t)
	var v sessionView
	if st := c.call("POST", "/api/login/pin", map[string]string{"nik": a.NIK, "pin": wrongPIN(a.PIN)}, &v); st == http.StatusCreated || v.Error == nil {
		t.Fatalf("a wrong PIN logged in: %d", st)
	}
	code := v.Error.Code
	printAll(t, sys.NewCitizen(t), "/api/login/ticket", map[string]string{"ticket": a.Ticket})
	for _, u := range []string{sys.Station.KioskURL() + "/" + url.PathEscape(a.Ticket),
		sys.Station.KioskURL() + "/api/preview/" + url.PathEscape(a.Ticket) + "/1", sys.Station.ConsoleURL() + "/login"} {
		res, err := http.Get(u)
		mustOK(t, err)
		res.Body.Close()
	}
	cs.add(canary{What: "the ticket", Value: a.Ticket, How: exact})

	st1 := metricstest.MustScrape(t, sys.Station.MetricsAddr())
	pd1 := metricstest.MustScrape(t, sys.Printerd.MetricsAddr())
	refused0, _ := st0.Value("anjungan_station_logins_total", map[string]string{"method": "pin", "code": code})
	refused1, _ := st1.Value("anjungan_station_logins_total", map[string]string{"method": "pin", "code": code})
	if refused1 != refused0+1 {
		t.Errorf("pin logins refused with %s: %v → %v, want one more\n%s", code, refused0, refused1, st1.Body)
	}
	if ok, _ := st1.Value("anjungan_station_logins_total", map[string]string{"method": "ticket", "code": "ok"}); ok != 1 {
		t.Errorf("ticket logins ok = %v, want 1", ok)
	}
	p0, _ := pd0.Value("anjungan_printerd_jobs", map[string]string{"state": "printed"})
	p1, _ := pd1.Value("anjungan_printerd_jobs", map[string]string{"state": "printed"})
	if p1 != p0+1 {
		t.Errorf("printed jobs %v → %v, want one more", p0, p1)
	}
	if n, _ := st1.Value("anjungan_station_print_outcomes_total", map[string]string{"document_type": "kk", "outcome": "printed"}); n != 1 {
		t.Errorf("print outcomes kk/printed = %v, want 1\n%s", n, st1.Body)
	}
	for _, c := range []struct {
		s      metricstest.Scrape
		name   string
		labels map[string]string
	}{
		{st1, "anjungan_station_http_request_duration_seconds", map[string]string{"listener": "kiosk", "route": "/api/print", "method": "POST", "status_class": "2xx"}},
		{st1, "anjungan_station_http_request_duration_seconds", map[string]string{"listener": "kiosk", "route": "/api/login/pin", "method": "POST", "status_class": "4xx"}},
		{st1, "anjungan_station_http_request_duration_seconds", map[string]string{"listener": "kiosk", "route": "unmatched", "method": "GET", "status_class": "4xx"}},
		{st1, "anjungan_station_http_request_duration_seconds", map[string]string{"listener": "kiosk", "route": "/api/preview/:request/:page", "method": "GET", "status_class": "4xx"}},
		{st1, "anjungan_station_http_request_duration_seconds", map[string]string{"listener": "console", "route": "/login", "method": "GET", "status_class": "2xx"}},
		{pd1, "anjungan_printerd_http_request_duration_seconds", map[string]string{"route": "/v1/jobs", "method": "POST", "status_class": "2xx"}},
	} {
		if n, _ := c.s.Value(c.name, c.labels); n < 1 {
			t.Errorf("%s%v: %v, want at least 1; routes %v", c.name, c.labels, n, c.s.Labels(c.name, "route"))
		}
	}
	for _, r := range st1.Labels("anjungan_station_http_request_duration_seconds", "route") {
		if r != "unmatched" && r != "unrouted" && !strings.HasPrefix(r, "/") {
			t.Errorf("route label %q is not a template", r)
		}
	}
	st1.MustMatchDoc(t, "../../../docs/operations.md", "anjungan_station_")
	pd1.MustMatchDoc(t, "../../../docs/operations.md", "anjungan_printerd_")
	for _, sc := range []struct {
		where string
		s     metricstest.Scrape
	}{{"station /metrics", st1}, {"printerd /metrics", pd1}} {
		if hits := cs.scan(sc.where, []byte(sc.s.Body)); len(hits) > 0 {
			t.Errorf("personal data in %s: %v", sc.where, hits)
		}
	}
}
