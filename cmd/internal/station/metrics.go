package station

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/internal/metrics"
	"github.com/anjungan/anjungan/station"
	stationhttp "github.com/anjungan/anjungan/station/http"
)

// stationMetrics is the station's series (docs/operations.md, "Metrics"):
// counters fed by the kiosk's events, gauges read from the database at
// scrape time. No label holds anything of a citizen: methods and codes.
type stationMetrics struct {
	logins   *prometheus.CounterVec
	prints   *prometheus.CounterVec
	requests *prometheus.HistogramVec
}

type openSettlements interface {
	OpenSettlements(ctx context.Context) ([]station.Settlement, error)
}

func newStationMetrics(reg prometheus.Registerer, settle openSettlements, out metrics.Backlog, now func() time.Time) *stationMetrics {
	m := &stationMetrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metrics.Namespace, Subsystem: "station",
			Name: "logins_total", Help: "Login outcomes by method and code (ok, or the refusal's error code)."}, []string{"method", "code"}),
		prints: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metrics.Namespace, Subsystem: "station",
			Name: "print_outcomes_total", Help: "Print outcomes the upstream took, by document type id and outcome (printed, failed, in_doubt)."},
			[]string{"document_type", "outcome"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metrics.Namespace, Subsystem: "station",
			Name: "http_request_duration_seconds", Help: "Time to answer a request of the kiosk or console listener, by route template, method and status class.",
			Buckets: prometheus.DefBuckets}, []string{"listener", "route", "method", "status_class"}),
	}
	reg.MustRegister(m.logins, m.prints, m.requests, &stationCollector{settle: settle}, metrics.NewOutboxCollector("station", out, now))
	return m
}

// observer times listener's requests (the kiosk's or the console's): the
// route template, never the path, which may hold a ticket.
func (m *stationMetrics) observer(listener string) stationhttp.RequestObserver {
	return func(route, method string, status int, took time.Duration) {
		m.requests.WithLabelValues(listener, route, method, metrics.StatusClass(status)).Observe(took.Seconds())
	}
}

// printOutcomes are the outcome labels of the settler's print events.
var printOutcomes = map[station.EventKind]string{
	station.EventConfirmed:    string(station.ResultPrinted),
	station.EventPrintFailed:  string(station.ResultFailed),
	station.EventPrintInDoubt: string(station.ResultInDoubt),
}

// Record counts the kiosk's login outcomes and the print outcomes the
// settler delivered (once each; the kiosk's own print events would count
// a print twice).
func (m *stationMetrics) Record(_ context.Context, e station.Event) {
	if outcome, ok := printOutcomes[e.Kind]; ok && e.Settled {
		m.prints.WithLabelValues(string(e.Document), outcome).Inc()
		return
	}
	switch e.Kind {
	case station.EventLoginOK:
		m.logins.WithLabelValues(string(e.Method), "ok").Inc()
	case station.EventLoginRefused:
		code := string(fault.CodeOf(e.Err))
		if code == "" {
			code = "refused"
		}
		m.logins.WithLabelValues(string(e.Method), code).Inc()
	}
}

var _ station.Recorder = (*stationMetrics)(nil)

var (
	settleDesc = prometheus.NewDesc(metrics.Namespace+"_station_settlements_open", "Print outcomes the upstream has not yet acknowledged (owed deliveries).", nil, nil)
)

type stationCollector struct {
	settle openSettlements
}

func (c *stationCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- settleDesc
}

func (c *stationCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), metrics.ScrapeTimeout)
	defer cancel()
	if open, err := c.settle.OpenSettlements(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(settleDesc, err)
	} else {
		ch <- prometheus.MustNewConstMetric(settleDesc, prometheus.GaugeValue, float64(len(open)))
	}
}
