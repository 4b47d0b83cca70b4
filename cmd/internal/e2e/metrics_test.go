package e2e

import (
	"net/http"
	"testing"

	"github.com/anjungan/anjungan/internal/metrics/metricstest"
)

// TestMetricsOfAKiosk: a refused login moves the station's login counter
// by its code; a print by a known citizen moves printerd's jobs; neither
// scrape holds the citizen's NIK or name (the canary).
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
	st1.MustMatchDoc(t, "../../../docs/operations.md", "anjungan_station_")
	for _, sc := range []struct {
		where string
		s     metricstest.Scrape
	}{{"station /metrics", st1}, {"printerd /metrics", pd1}} {
		if hits := cs.scan(sc.where, []byte(sc.s.Body)); len(hits) > 0 {
			t.Errorf("personal data in %s: %v", sc.where, hits)
		}
	}
}
