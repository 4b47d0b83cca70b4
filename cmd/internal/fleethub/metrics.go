package fleethub

import (
	"context"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/metrics"
)

// hubMetrics is the hub's series (docs/operations.md, "Metrics"). What
// the database holds is read at scrape time, so every hub process serving
// one database reports the same fleet.
type hubMetrics struct {
	ingested *prometheus.CounterVec
	refused  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHubMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, now func() time.Time, offline time.Duration) *hubMetrics {
	m := &hubMetrics{
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metrics.Namespace, Subsystem: "fleethub",
			Name: "events_ingested_total", Help: "Events stored (resends not counted), by kind."}, []string{"kind"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metrics.Namespace, Subsystem: "fleethub",
			Name: "batches_refused_total", Help: "Requests the hub refused, by error code (docs/fleet.md)."}, []string{"code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metrics.Namespace, Subsystem: "fleethub",
			Name: "ingest_duration_seconds", Help: "Time to answer a POST /v1/events, by status class.",
			Buckets: prometheus.DefBuckets}, []string{"status_class"}),
	}
	for _, k := range fleet.Kinds {
		m.ingested.WithLabelValues(string(k))
	}
	reg.MustRegister(m.ingested, m.refused, m.latency, &fleetCollector{pool: pool, now: now, offline: offline})
	return m
}

// instrument times the ingest endpoint.
func (m *hubMetrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/events" {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.latency.WithLabelValues(metrics.StatusClass(sw.status)).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }

var (
	kioskDesc = prometheus.NewDesc(metrics.Namespace+"_fleethub_kiosks", "Enrolled kiosks by state: their last kiosk_state, offline past -offline-after, revoked.", []string{"state"}, nil)
	alertDesc = prometheus.NewDesc(metrics.Namespace+"_fleethub_alerts_open", "Open alerts by kind.", []string{"kind"}, nil)
)

// fleetCollector counts kiosks and open alerts in the database.
type fleetCollector struct {
	pool    *pgxpool.Pool
	now     func() time.Time
	offline time.Duration
}

func (c *fleetCollector) Describe(ch chan<- *prometheus.Desc) { ch <- kioskDesc; ch <- alertDesc }

func (c *fleetCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), metrics.ScrapeTimeout)
	defer cancel()
	c.count(ctx, ch, kioskDesc, `SELECT CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
			WHEN last_seen IS NULL OR last_seen < $1 THEN 'offline'
			WHEN state = '' THEN 'unknown' ELSE state END AS s, count(*)
		FROM kiosks GROUP BY s`, c.now().Add(-c.offline))
	alerts := map[string]bool{}
	for _, k := range fleet.AlertKinds {
		alerts[string(k)] = false
	}
	c.count(ctx, ch, alertDesc, `SELECT kind, count(*) FROM alerts WHERE closed_at IS NULL GROUP BY kind`, nil, alerts)
}

// count sends one gauge per row of q (label, count); zero for each of
// zeros the query did not name.
func (c *fleetCollector) count(ctx context.Context, ch chan<- prometheus.Metric, d *prometheus.Desc, q string, arg any, zeros ...map[string]bool) {
	var args []any
	if arg != nil {
		args = append(args, arg)
	}
	rows, err := c.pool.Query(ctx, q, args...)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(d, err)
		return
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var label string
		var n int64
		if err := rows.Scan(&label, &n); err != nil {
			ch <- prometheus.NewInvalidMetric(d, err)
			return
		}
		seen[label] = true
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(n), label)
	}
	if err := rows.Err(); err != nil {
		ch <- prometheus.NewInvalidMetric(d, err)
		return
	}
	for _, z := range zeros {
		for label := range z {
			if !seen[label] {
				ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, 0, label)
			}
		}
	}
}
