// Package fleethub is the fleet hub's program: kiosks post their events
// to it over mutual TLS, it stores them in PostgreSQL (fleet/postgres)
// and raises alerts. It keeps no state of its own: run as many as needed
// on one database. docs/fleet.md describes it.
package fleethub

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/fleet"
	fleethttp "github.com/anjungan/anjungan/fleet/http"
	"github.com/anjungan/anjungan/fleet/postgres"
	"github.com/anjungan/anjungan/fleet/webhook"
	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/logging"
	"github.com/anjungan/anjungan/internal/metrics"
)

// Main is the hub: ParseFlags, then Run (returns once listening), then
// Close.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time
	// Registry holds the hub's metrics, served on -metrics-addr.
	Registry *prometheus.Registry

	db          string
	listen      string
	tlsCert     string
	tlsKey      string
	clientCA    string
	logLevel    string
	webhookURL  string
	witnessKey  string
	alertEvery  time.Duration
	consoleAddr string
	identity    string // the hub's certificate, as reports name the hub
	// ConsolePoll is how often the console reads the open alerts.
	ConsolePoll time.Duration
	th          fleet.Thresholds
	metrics     cli.Metrics
	metricsSrv  *metrics.Server

	log      zerolog.Logger
	store    *postgres.Store
	listener net.Listener
	server   *http.Server
	console  *consoleServer
	serving  sync.WaitGroup
	stop     context.CancelFunc

	closeOnce sync.Once
	closeErr  error
}

// NewMain returns a Main with the defaults.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now, log: zerolog.Nop(), th: fleet.DefaultThresholds,
		ConsolePoll: 2 * time.Second, Registry: metrics.NewRegistry()}
}

// ParseFlags reads the command line.
func (m *Main) ParseFlags(args []string) error {
	fs, check := m.flags()
	return cli.Parse(fs, args, m.Stdout, m.Stderr, check)
}

// Flags returns the flag set ParseFlags parses, for its documentation.
func (m *Main) Flags() *flag.FlagSet {
	fs, _ := m.flags()
	return fs
}

func (m *Main) flags() (*flag.FlagSet, func() error) {
	fs := cli.NewFlagSet("fleethub")
	fs.StringVar(&m.db, "db", "", "the hub's PostgreSQL database (postgres://USER@HOST:PORT/NAME); required")
	fs.StringVar(&m.listen, "listen", "127.0.0.1:8443", "address of the HTTPS API (HOST:PORT)")
	fs.StringVar(&m.tlsCert, "tls-cert", "var/fleet/fleethub.crt", "the hub's server certificate (PEM; anjunganctl fleet ca-init makes one)")
	fs.StringVar(&m.tlsKey, "tls-key", "var/fleet/fleethub.key", "the hub's server key (PEM)")
	fs.StringVar(&m.clientCA, "client-ca", "var/fleet/fleet-ca.crt", "the fleet CA: only kiosks with a certificate it issued get through the handshake")
	fs.StringVar(&m.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&m.webhookURL, "alert-webhook", "", "POST each new alert as JSON to this URL (retried with backoff); empty: none")
	fs.StringVar(&m.witnessKey, "witness-key", "", "the hub's witness private key (anjunganctl fleet witness-key makes it): with it the hub witnesses the kiosks' audit logs at "+fleethttp.WitnessPath+"; empty: no witness")
	fs.StringVar(&m.consoleAddr, "console-addr", "127.0.0.1:8444", "address of the supervisors' web console (HOST:PORT): plain HTTP on a loopback address, else HTTPS with -tls-cert; empty: no console")
	fs.DurationVar(&m.alertEvery, "alert-every", 30*time.Second, "how often the alerts are computed")
	fs.DurationVar(&m.th.Offline, "offline-after", m.th.Offline, "a kiosk with no event for this long is offline")
	fs.Float64Var(&m.th.BlankDays, "blank-days", m.th.BlankDays, "alert when a printer's blank cards last fewer days than this")
	fs.DurationVar(&m.th.BlankWindow, "blank-window", m.th.BlankWindow, "the window over which the blank-card rate is measured")
	fs.IntVar(&m.th.PaperPercent, "paper-percent", m.th.PaperPercent, "alert when a printer's paper is below this percentage")
	fs.IntVar(&m.th.Backlog, "backlog-events", m.th.Backlog, "alert when a kiosk's outbox grows beyond this many events")
	m.metrics.Register(fs, "127.0.0.1:9103")
	return fs, func() error {
		if err := cli.NoArgs(fs)(); err != nil {
			return err
		}
		if err := m.metrics.Check(); err != nil {
			return err
		}
		if m.db == "" {
			return errors.New("-db is required")
		}
		if !strings.HasPrefix(m.db, "postgres://") && !strings.HasPrefix(m.db, "postgresql://") {
			return fmt.Errorf("-db %q is not a postgres:// URL", redact(m.db))
		}
		if m.alertEvery <= 0 || m.th.Offline <= 0 || m.th.BlankWindow <= 0 {
			return errors.New("-alert-every, -offline-after and -blank-window must be positive")
		}
		return nil
	}
}

// redact drops a password from a database URL for messages.
func redact(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 {
		if j := strings.Index(dsn, "://"); j > 0 && j < i {
			return dsn[:j+3] + "…" + dsn[i:]
		}
	}
	return dsn
}

// Run opens the database (migrating it), listens and starts the alert
// loop. It returns once the hub serves.
func (m *Main) Run(ctx context.Context) error {
	m.log = logging.New(m.Stderr, m.logLevel, "fleethub")
	tlsCfg, err := certs.ServerMTLS(m.tlsCert, m.tlsKey, m.clientCA)
	if err != nil {
		return fmt.Errorf("fleethub: %w (anjunganctl fleet ca-init makes the fleet CA and the hub's certificate)", err)
	}
	tlsCfg.MinVersion = tls.VersionTLS13 // both ends are ours
	m.identity = hubIdentity(tlsCfg)
	var witness *fleet.Witness // read before the database opens: a bad key fails fast
	if m.witnessKey != "" {
		b, err := os.ReadFile(m.witnessKey)
		if err != nil {
			return fmt.Errorf("fleethub: -witness-key: %w", err)
		}
		cos, err := audit.NewCosigner(strings.TrimSpace(string(b)))
		if err != nil {
			return fmt.Errorf("fleethub: -witness-key %s: %w", m.witnessKey, err)
		}
		witness = &fleet.Witness{Cosigner: cos, Now: m.Now}
	}
	m.store, err = postgres.Open(ctx, m.db, m.Now)
	if err != nil {
		return fmt.Errorf("fleethub: %w", err)
	}
	var opts []fleethttp.Option
	if witness != nil {
		witness.Store = m.store
		opts = append(opts, fleethttp.WithWitness(witness))
	}
	// Metrics: the hub's series (metrics.go) on their own listener.
	hm := newHubMetrics(m.Registry, m.store.Pool(), m.Now, m.th.Offline)
	m.store.Stored = func(k fleet.Kind) { hm.ingested.WithLabelValues(string(k)).Inc() }
	m.metricsSrv = m.metrics.Serve(m.Registry, m.log)
	ln, err := net.Listen("tcp", m.listen)
	if err != nil {
		_ = m.metricsSrv.Close()
		return fmt.Errorf("fleethub: -listen: %w", err)
	}
	m.listener = tls.NewListener(ln, tlsCfg)
	m.server = &http.Server{
		Handler:           hm.instrument(fleethttp.NewHandler(m.store, m.log, append(opts, fleethttp.WithRefused(func(code string) { hm.refused.WithLabelValues(code).Inc() }))...)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          stdlog.New(httpErrorLog{m.log}, "", 0),
	}
	m.serving.Add(1)
	go func() {
		defer m.serving.Done()
		if err := m.server.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error().Err(err).Msg("serve")
		}
	}()
	w := &fleet.Watcher{Store: m.store, Now: m.Now, Thresholds: m.th}
	if m.webhookURL != "" {
		w.Notifier = &webhook.Notifier{URL: m.webhookURL, Client: &http.Client{Timeout: 10 * time.Second}}
	}
	loop, stop := context.WithCancel(context.Background())
	m.stop = stop
	m.serving.Add(1)
	go func() {
		defer m.serving.Done()
		t := time.NewTicker(m.alertEvery)
		defer t.Stop()
		for {
			opened, err := w.Tick(loop)
			if err != nil && loop.Err() == nil {
				m.log.Warn().Err(err).Msg("alerts")
			}
			for _, a := range opened {
				m.log.Warn().Str("alert", string(a.Kind)).Str("kiosk", a.Kiosk).Str("subject", a.Subject).Str("detail", a.Detail).Msg("alert opened")
			}
			select {
			case <-loop.Done():
				return
			case <-t.C:
			}
		}
	}()
	if m.consoleAddr != "" {
		if m.console, err = startConsole(m, loop); err != nil {
			return fmt.Errorf("fleethub: -console-addr: %w", err)
		}
		m.log.Info().Str("console", m.ConsoleURL()).Msg("console listening")
	}
	m.log.Info().Str("listen", m.Addr()).Msg("listening")
	return nil
}

// Addr is the address the API listens on.
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// MetricsAddr is the address of /metrics ("" when off).
func (m *Main) MetricsAddr() string {
	if m.metricsSrv == nil {
		return ""
	}
	return m.metricsSrv.Addr()
}

// Close stops the API and the alert loop and closes the pool. It may be
// called more than once, and after a failed Run.
func (m *Main) Close() error {
	m.closeOnce.Do(func() {
		var errs []error
		if m.stop != nil {
			m.stop()
		}
		if m.console != nil {
			errs = append(errs, m.console.close())
		}
		if m.server != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := m.server.Shutdown(ctx); err != nil {
				errs = append(errs, m.server.Close())
			}
			cancel()
		}
		m.serving.Wait()
		errs = append(errs, m.metricsSrv.Close())
		if m.store != nil {
			m.store.Close()
		}
		m.closeErr = errors.Join(errs...)
		m.log.Info().Msg("stopped")
	})
	return m.closeErr
}

type httpErrorLog struct{ log zerolog.Logger }

func (l httpErrorLog) Write(p []byte) (int, error) {
	l.log.Warn().Str("http", strings.TrimSpace(string(p))).Msg("http server")
	return len(p), nil
}
