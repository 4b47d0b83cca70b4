package metrics

import (
	"context"
	"time"

	"github.com/anjungan/anjungan/internal/outbox"
	"github.com/prometheus/client_golang/prometheus"
)

// Backlog is a fleet outbox whose waiting events a collector reports.
type Backlog interface {
	Backlog(ctx context.Context) (outbox.Backlog, error)
}

// NewOutboxCollector reports a program's fleet outbox: the events waiting
// for the hub (<Namespace>_<subsystem>_fleet_outbox_events) and the age of
// the oldest (..._fleet_outbox_oldest_age_seconds, 0 when empty), read at
// each scrape.
func NewOutboxCollector(subsystem string, out Backlog, now func() time.Time) prometheus.Collector {
	name := Namespace + "_" + subsystem + "_fleet_outbox_"
	return &outboxCollector{
		out: out, now: now,
		events: prometheus.NewDesc(name+"events", "Events in the fleet outbox waiting for the hub.", nil, nil),
		oldest: prometheus.NewDesc(name+"oldest_age_seconds", "Age of the oldest event in the fleet outbox (0 when empty).", nil, nil),
	}
}

type outboxCollector struct {
	out            Backlog
	now            func() time.Time
	events, oldest *prometheus.Desc
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.events
	ch <- c.oldest
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), ScrapeTimeout)
	defer cancel()
	b, err := c.out.Backlog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.events, err)
		return
	}
	age := 0.0
	if !b.Oldest.IsZero() {
		age = max(c.now().Sub(b.Oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.events, prometheus.GaugeValue, float64(b.Count))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}
