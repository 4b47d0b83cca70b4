package printerd

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anjungan/anjungan/internal/metrics"
	domain "github.com/anjungan/anjungan/printerd"
)

// jobStates are the states the jobs gauge always reports, zero or not.
var jobStates = []domain.JobState{domain.JobQueued, domain.JobDispatching, domain.JobPrinted, domain.JobHeld,
	domain.JobFailed, domain.JobCanceled, domain.JobInDoubt}

// printerStates are the IPP printer states the printer gauge reports.
var printerStates = []domain.PrinterState{domain.PrinterIdle, domain.PrinterProcessing, domain.PrinterStopped}

// printerdMetrics is printerd's series (docs/operations.md, "Metrics").
// Only the duration histogram lives in memory; the rest is read from the
// journal, the dispatcher and the outbox at scrape time, so a restart
// loses nothing.
type printerdMetrics struct {
	duration *prometheus.HistogramVec
	requests *prometheus.HistogramVec

	mu      sync.Mutex
	started map[domain.JobID]time.Time // claimed jobs, until their outcome
}

// source is what the collector reads.
type source interface {
	JobCounts(ctx context.Context) (map[domain.JobState]int, error)
}

type dispatcherView interface {
	Printers(ctx context.Context) ([]domain.PrinterInfo, error)
	Ledger(ctx context.Context) ([]domain.LedgerEntry, error)
}

func newPrinterdMetrics(reg prometheus.Registerer, jobs source, d dispatcherView, out metrics.Backlog, now func() time.Time) *printerdMetrics {
	m := &printerdMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metrics.Namespace, Subsystem: "printerd",
			Name: "print_duration_seconds", Help: "Time from a job's dispatch to its outcome, by printer and outcome state.",
			Buckets: []float64{1, 2, 5, 10, 20, 30, 60, 120, 300}}, []string{"printer", "state"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metrics.Namespace, Subsystem: "printerd",
			Name: "http_request_duration_seconds", Help: "Time to answer a request of printerd's API, by route template, method and status class.",
			Buckets: prometheus.DefBuckets}, []string{"route", "method", "status_class"}),
		started: map[domain.JobID]time.Time{},
	}
	reg.MustRegister(m.duration, m.requests, &printerdCollector{jobs: jobs, d: d}, metrics.NewOutboxCollector("printerd", out, now))
	return m
}

// observeRequest times a request of the API by its route template, never
// its path (which holds job ids).
func (m *printerdMetrics) observeRequest(route, method string, status int, took time.Duration) {
	m.requests.WithLabelValues(route, method, metrics.StatusClass(status)).Observe(took.Seconds())
}

// observe times a job from its claim (dispatching) to the state the
// dispatcher finishes it in; the journal's times are the clock's.
func (m *printerdMetrics) observe(e domain.Event) {
	if e.Unrecorded != nil || e.Job.ID == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.Job.State == domain.JobDispatching {
		m.started[e.Job.ID] = e.Job.Updated
		return
	}
	start, ok := m.started[e.Job.ID]
	if !ok {
		return
	}
	delete(m.started, e.Job.ID)
	m.duration.WithLabelValues(e.Job.Printer, string(e.Job.State)).Observe(e.Job.Updated.Sub(start).Seconds())
}

var (
	jobsDesc    = prometheus.NewDesc(metrics.Namespace+"_printerd_jobs", "Jobs in the journal by state.", []string{"state"}, nil)
	blankDesc   = prometheus.NewDesc(metrics.Namespace+"_printerd_blank_cards", "Blank cards left per counted printer, by the ledger.", []string{"printer"}, nil)
	printerDesc = prometheus.NewDesc(metrics.Namespace+"_printerd_printer_state", "1 for the printer's current IPP state, 0 for the others.", []string{"printer", "state"}, nil)
)

type printerdCollector struct {
	jobs source
	d    dispatcherView
}

func (c *printerdCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{jobsDesc, blankDesc, printerDesc} {
		ch <- d
	}
}

func (c *printerdCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), metrics.ScrapeTimeout)
	defer cancel()
	if counts, err := c.jobs.JobCounts(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
	} else {
		for _, s := range jobStates {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
		}
	}
	if ledger, err := c.d.Ledger(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(blankDesc, err)
	} else {
		for _, l := range ledger {
			ch <- prometheus.MustNewConstMetric(blankDesc, prometheus.GaugeValue, float64(l.Remaining), l.Printer)
		}
	}
	if printers, err := c.d.Printers(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(printerDesc, err)
	} else {
		for _, p := range printers {
			for _, s := range printerStates {
				v := 0.0
				if p.Status.State == s {
					v = 1
				}
				ch <- prometheus.MustNewConstMetric(printerDesc, prometheus.GaugeValue, v, p.Name, string(s))
			}
		}
	}
}
