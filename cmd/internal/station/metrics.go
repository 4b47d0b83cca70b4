package station

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/internal/metrics"
	"github.com/anjungan/anjungan/internal/outbox"
	"github.com/anjungan/anjungan/station"
)

// stationMetrics is the station's series (docs/operations.md, "Metrics"):
// counters fed by the kiosk's events, gauges read from the database at
// scrape time. No label holds anything of a citizen: methods and codes.
type stationMetrics struct {
	logins *prometheus.CounterVec
}

type openSettlements interface {
	OpenSettlements(ctx context.Context) ([]station.Settlement, error)
}

type backlogSource interface {
	Backlog(ctx context.Context) (outbox.Backlog, error)
}

func newStationMetrics(reg prometheus.Registerer, settle openSettlements, out backlogSource, now func() time.Time) *stationMetrics {
	m := &stationMetrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metrics.Namespace, Subsystem: "station",
			Name: "logins_total", Help: "Login outcomes by method and code (ok, or the refusal's error code)."}, []string{"method", "code"}),
	}
	reg.MustRegister(m.logins, &stationCollector{settle: settle, out: out, now: now})
	return m
}

// Record counts the kiosk's login outcomes.
func (m *stationMetrics) Record(_ context.Context, e station.Event) {
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
	settleDesc  = prometheus.NewDesc(metrics.Namespace+"_station_settlements_open", "Print outcomes the upstream has not yet acknowledged (owed deliveries).", nil, nil)
	backlogDesc = prometheus.NewDesc(metrics.Namespace+"_station_fleet_outbox_events", "Events in the fleet outbox waiting for the hub.", nil, nil)
	oldestDesc  = prometheus.NewDesc(metrics.Namespace+"_station_fleet_outbox_oldest_age_seconds", "Age of the oldest event in the fleet outbox (0 when empty).", nil, nil)
)

type stationCollector struct {
	settle openSettlements
	out    backlogSource
	now    func() time.Time
}

func (c *stationCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- settleDesc
	ch <- backlogDesc
	ch <- oldestDesc
}

func (c *stationCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), metrics.ScrapeTimeout)
	defer cancel()
	if open, err := c.settle.OpenSettlements(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(settleDesc, err)
	} else {
		ch <- prometheus.MustNewConstMetric(settleDesc, prometheus.GaugeValue, float64(len(open)))
	}
	if b, err := c.out.Backlog(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(backlogDesc, err)
	} else {
		age := 0.0
		if !b.Oldest.IsZero() {
			age = max(c.now().Sub(b.Oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(b.Count))
		ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
	}
}
