package e2e

import (
	"net/http"
	"sort"
	"testing"
	"time"
)

// BenchmarkConfirmToAccepted measures, through the kiosk's HTTP API with
// registry-sim on loopback, the time from the citizen's confirm (POST
// /api/print of a prepared document) to printerd having accepted the job
// durably. Setting up each visit (approval, login, preview) is not timed.
func BenchmarkConfirmToAccepted(b *testing.B) {
	sys := MustStart(b)
	var took []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		a := sys.MustApprove(b, "kk")
		c := sys.NewCitizen(b)
		var v sessionView
		if st := c.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &v); st != http.StatusCreated {
			b.Fatalf("login: %d %+v", st, v.Error)
		}
		rid := v.Documents[0].RequestID
		var p map[string]any
		if st := c.call("POST", "/api/prepare", map[string]string{"request_id": rid}, &p); st != http.StatusOK {
			b.Fatalf("prepare: %d %v", st, p)
		}
		b.StartTimer()
		start := time.Now()
		if st := c.call("POST", "/api/print", map[string]string{"request_id": rid}, &p); st != http.StatusAccepted {
			b.Fatalf("print: %d %v", st, p)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
}
