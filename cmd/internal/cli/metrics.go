package cli

import (
	"flag"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/metrics"
)

// Metrics is the flags of the /metrics listener, the same in station,
// printerd and fleethub (docs/operations.md, "Metrics").
type Metrics struct {
	Addr   string
	Public bool
}

// Register adds the metrics flags to fs with the program's default address.
func (m *Metrics) Register(fs *flag.FlagSet, addr string) {
	fs.StringVar(&m.Addr, "metrics-addr", addr, "serve Prometheus /metrics on this address (HOST:PORT; loopback unless -metrics-public; empty: off)")
	fs.BoolVar(&m.Public, "metrics-public", false, "allow -metrics-addr beyond loopback: the counts of logins and prints are operational data, so expose them only to your monitoring network")
}

// Check refuses a non-loopback address without -metrics-public.
func (m *Metrics) Check() error { return metrics.CheckAddr(m.Addr, m.Public) }

// Serve serves reg, or returns nil when -metrics-addr is empty. A
// listener that cannot start is logged, not fatal: citizens are served
// without monitoring rather than turned away for it.
func (m *Metrics) Serve(reg *prometheus.Registry, log zerolog.Logger) *metrics.Server {
	if m.Addr == "" {
		return nil
	}
	s, err := metrics.Listen(m.Addr, reg, func(err error) { log.Warn().Err(err).Msg("metrics") })
	if err != nil {
		log.Error().Err(err).Msg("metrics not served")
		return nil
	}
	log.Info().Str("metrics", "http://"+s.Addr()+"/metrics").Msg("metrics served")
	return s
}
