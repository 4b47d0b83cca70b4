// Package printerd is the printerd program as a library: Main wires the
// journal, the printer drivers, the dispatcher and the API on a unix
// socket (and, optionally, on a TCP address with mutual TLS), so tests
// run the real program in-process.
package printerd

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/fleetsend"
	"github.com/anjungan/anjungan/internal/logging"
	"github.com/anjungan/anjungan/internal/metrics"
	"github.com/anjungan/anjungan/internal/privtmp"
	domain "github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/api"
	"github.com/anjungan/anjungan/printerd/driver"
	"github.com/anjungan/anjungan/printerd/journal"

	_ "github.com/anjungan/anjungan/printerd/driver/exec" // the drivers printerd ships
	_ "github.com/anjungan/anjungan/printerd/driver/ipp"
	_ "github.com/anjungan/anjungan/printerd/driver/sim"
)

// Defaults: everything under var/, two simulated printers.
const (
	DefaultSocket   = "var/run/printerd.sock"
	DefaultData     = "var/printerd"
	DefaultAuditKey = "var/keys/audit-printerd.key" // made by anjunganctl keys init
)

// defaultPrinters are used when no -printer flag is given.
var defaultPrinters = []string{
	"name=card-1,driver=sim,uri=var/out/card,media=om_card_54x86mm,blanks=100",
	"name=paper-1,driver=sim,uri=var/out/paper,media=iso_a4_210x297mm",
}

// Main is the printerd program.
type Main struct {
	// Stdout receives -h's usage (default os.Stdout).
	Stdout io.Writer
	// Stderr receives the log and flag errors (default os.Stderr).
	Stderr io.Writer
	// Now is the clock of the journal and dispatcher (default time.Now).
	Now func() time.Time
	// Registry holds printerd's metrics, served on -metrics-addr.
	Registry *prometheus.Registry

	socket        string
	data          string
	logLevel      string
	lowStock      int
	destroyIn     time.Duration
	patience      time.Duration
	walEvery      int
	printers      []printerSpec
	auditKey      string
	auditEvery    int
	auditInterval time.Duration
	tlsAddr       string // "" when the API is on the socket only
	tlsCert       string
	tlsKey        string
	clientCA      string
	clientNames   []string // when set, the only client certificate names -tls-addr accepts
	fleet         cli.Fleet
	metrics       cli.Metrics
	metricsSrv    *metrics.Server
	jobMetrics    *printerdMetrics

	sender     *fleetsend.Sender // nil without -fleet-url
	stopSender context.CancelFunc
	sending    sync.WaitGroup

	log         zerolog.Logger
	journal     *journal.Journal
	devices     []domain.Device
	dispatcher  *domain.Dispatcher
	listener    net.Listener
	tlsListener net.Listener
	server      *http.Server
	serving     sync.WaitGroup
	// endStreams ends the event streams, which never go idle, so that
	// Shutdown need not wait for them.
	endStreams context.CancelFunc

	closeOnce sync.Once
	closeErr  error
}

// NewMain returns a Main with the embedded defaults.
func NewMain() *Main {
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now, socket: DefaultSocket, data: DefaultData, log: zerolog.Nop(),
		auditKey: DefaultAuditKey, auditEvery: journal.DefaultCheckpointEvery, auditInterval: journal.DefaultCheckpointInterval,
		Registry: metrics.NewRegistry()}
	for _, s := range defaultPrinters {
		p, err := parsePrinter(s)
		if err != nil {
			panic(err) // a constant above is wrong
		}
		m.printers = append(m.printers, p)
	}
	return m
}

// ParseFlags reads the command line. With no flags printerd runs two
// simulated printers under var/.
func (m *Main) ParseFlags(args []string) error {
	fs, check := m.flags()
	return cli.Parse(fs, args, m.Stdout, m.Stderr, check)
}

// Flags returns the flag set ParseFlags parses, for its documentation.
func (m *Main) Flags() *flag.FlagSet {
	fs, _ := m.flags()
	return fs
}

// flags defines the flags on m and returns the check of their values.
func (m *Main) flags() (*flag.FlagSet, func() error) {
	fs := cli.NewFlagSet("printerd")
	fs.StringVar(&m.socket, "socket", m.socket, "unix socket to serve the API on")
	fs.StringVar(&m.data, "data", m.data, "directory of the journal")
	fs.StringVar(&m.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	m.fleet.Register(fs)
	m.metrics.Register(fs, "127.0.0.1:9102")
	fs.IntVar(&m.lowStock, "low-stock", domain.DefaultLowStock, "blank cards left at or below which the ledger alerts")
	fs.DurationVar(&m.destroyIn, "destruction-window", domain.DefaultDestructionWindow,
		"how long a proposed destruction of spoiled cards waits for its second supervisor")
	fs.DurationVar(&m.patience, "journal-patience", 30*time.Second, "how long a printer's worker retries recording a print's outcome before it also stops the printer (journal-error)")
	fs.IntVar(&m.walEvery, "journal-wal-every", journal.DefaultWALCheckpointEvery, "checkpoint the journal's WAL before the next claim once it holds this many write transactions")
	fs.StringVar(&m.auditKey, "audit-key", m.auditKey, "the audit log's signing key (note format; anjunganctl keys init makes it)")
	fs.IntVar(&m.auditEvery, "audit-every", m.auditEvery, "sign an audit checkpoint after this many new entries")
	fs.DurationVar(&m.auditInterval, "audit-interval", m.auditInterval, "sign an audit checkpoint at least this often when there are new entries")
	fs.StringVar(&m.tlsAddr, "tls-addr", "", "also serve the API on this TCP address (HOST:PORT) with mutual TLS; empty: the socket only")
	fs.StringVar(&m.tlsCert, "tls-cert", "", "printerd's server certificate for -tls-addr (PEM)")
	fs.StringVar(&m.tlsKey, "tls-key", "", "printerd's server key for -tls-addr (PEM)")
	fs.StringVar(&m.clientCA, "client-ca", "", "CA whose client certificates may call the API on -tls-addr (PEM)")
	fs.Func("client-name", "with -tls-addr, accept only client certificates of this name (common name or DNS name; repeatable)", func(s string) error {
		if s == "" {
			return errors.New("empty client name")
		}
		m.clientNames = append(m.clientNames, s)
		return nil
	})
	var specs []printerSpec
	fs.Func("printer", "a printer, repeatable: name=card-1,driver=sim,uri=var/out/card,media=om_card_54x86mm[,option=value…]", func(s string) error {
		p, err := parsePrinter(s)
		if err == nil {
			specs = append(specs, p)
		}
		return err
	})
	return fs, func() error {
		if err := cli.NoArgs(fs)(); err != nil {
			return err
		}
		if len(specs) > 0 {
			m.printers = specs
		}
		if err := m.metrics.Check(); err != nil {
			return err
		}
		if m.auditEvery < 1 || m.auditInterval <= 0 {
			return fmt.Errorf("-audit-every and -audit-interval must be positive")
		}
		if m.tlsAddr != "" {
			var missing []string
			for _, f := range []struct{ name, value string }{{"-tls-cert", m.tlsCert}, {"-tls-key", m.tlsKey}, {"-client-ca", m.clientCA}} {
				if f.value == "" {
					missing = append(missing, f.name)
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("-tls-addr needs %s: the TCP listener only accepts clients with a certificate of -client-ca", strings.Join(missing, ", "))
			}
		}
		return nil
	}
}

// printerSpec is one -printer flag.
type printerSpec struct {
	Name, Driver, URI string
	Media             domain.Media // "" to take the device's first media
	Options           map[string]string
}

// parsePrinter reads "name=…,driver=…,uri=…,media=…,key=value…". Keys
// other than name, driver and uri (media included) become driver options.
// Values cannot hold commas.
func parsePrinter(s string) (printerSpec, error) {
	p := printerSpec{Options: map[string]string{}}
	seen := map[string]bool{}
	for _, field := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(field, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return printerSpec{}, fmt.Errorf("printer %q: %q is not key=value", s, field)
		}
		if seen[k] {
			return printerSpec{}, fmt.Errorf("printer %q: %s given twice", s, k)
		}
		seen[k] = true
		switch k {
		case "name":
			p.Name = v
		case "driver":
			p.Driver = v
		case "uri":
			p.URI = v
		default:
			p.Options[k] = v
		}
	}
	p.Media = domain.Media(p.Options["media"])
	switch {
	case p.Name == "":
		return printerSpec{}, fmt.Errorf("printer %q: no name", s)
	case p.Driver == "":
		return printerSpec{}, fmt.Errorf("printer %q: no driver", s)
	case p.Media != "" && !p.Media.Valid():
		return printerSpec{}, fmt.Errorf("printer %q: unknown media %q", s, p.Media)
	}
	return p, nil
}

// Run opens the journal and the printers, starts the dispatcher and
// serves the API on the socket, and on -tls-addr when set. It returns once
// both listen.
func (m *Main) Run(ctx context.Context) error {
	if m.Stderr == nil {
		m.Stderr = os.Stderr
	}
	if m.Now == nil {
		m.Now = time.Now
	}
	m.log = logging.New(m.Stderr, m.logLevel, "printerd")
	if err := m.run(ctx); err != nil {
		_ = m.Close()
		return err
	}
	return nil
}

func (m *Main) run(ctx context.Context) error {
	cp, err := m.checkpoints()
	if err != nil {
		return err
	}
	j, err := journal.Open(m.data, m.Now, journal.WithCheckpoints(cp), journal.WithWALCheckpointEvery(m.walEvery))
	if err != nil {
		return fmt.Errorf("printerd: open journal in %s: %w", m.data, err)
	}
	m.journal = j
	// The drivers' temporary files (rasters, a vendor program's copy of
	// the document) hold personal data: they live in the data folder, and
	// what a crash left there goes now, before any printer opens.
	if err := privtmp.Prepare(m.TempDir()); err != nil {
		return fmt.Errorf("printerd: temp folder: %w", err)
	}
	for _, job := range j.Recovered() {
		// A supervisor resolves these: printed, reprint or void.
		m.logJob(m.log.Warn(), job).Msg("job was dispatching when printerd stopped; now in doubt")
	}

	printers := make([]domain.Printer, 0, len(m.printers))
	for _, spec := range m.printers {
		p, err := m.openPrinter(ctx, spec)
		if err != nil {
			return err
		}
		printers = append(printers, p)
	}
	m.jobMetrics = newPrinterdMetrics(m.Registry, j, lazyDispatcher{m}, j.Outbox(), m.Now)
	m.dispatcher, err = domain.NewDispatcher(domain.DispatcherConfig{
		Journal:           j,
		Printers:          printers,
		Now:               m.Now,
		Observe:           m.observe,
		LowStock:          m.lowStock,
		DestructionWindow: m.destroyIn,
		JournalPatience:   m.patience,
		PrinterStates:     m.printerStates(j),
	})
	if err != nil {
		return fmt.Errorf("printerd: %w", err)
	}

	// The certificates are read before anything listens, so a wrong
	// file leaves no socket behind.
	var tlsConfig *tls.Config
	if m.tlsAddr != "" {
		if tlsConfig, err = serverTLS(m.tlsCert, m.tlsKey, m.clientCA, m.clientNames); err != nil {
			return fmt.Errorf("printerd: -tls-addr %s: %w", m.tlsAddr, err)
		}
	}
	m.listener, err = listenUnix(m.socket)
	if err != nil {
		return fmt.Errorf("printerd: %w", err)
	}
	if tlsConfig != nil {
		ln, err := net.Listen("tcp", m.tlsAddr)
		if err != nil {
			return fmt.Errorf("printerd: -tls-addr: %w", err)
		}
		m.tlsListener = tls.NewListener(ln, tlsConfig)
	}
	base, endStreams := context.WithCancel(context.Background())
	m.endStreams = endStreams
	// One server for both listeners: the same handler, timeouts and
	// shutdown. Refused TLS handshakes go to the service log.
	m.server = &http.Server{
		Handler:           api.NewHandler(m.dispatcher, m.log, api.WithAudit(j), api.WithRequestObserver(m.jobMetrics.observeRequest)),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          stdlog.New(httpErrorLog{m.log}, "", 0),
	}
	m.server.RegisterOnShutdown(endStreams)
	for _, ln := range []net.Listener{m.listener, m.tlsListener} {
		if ln == nil {
			continue
		}
		m.serving.Add(1)
		go func() {
			defer m.serving.Done()
			if err := m.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				m.log.Error().Err(err).Str("addr", ln.Addr().String()).Msg("serve")
			}
		}()
	}
	names := make([]string, len(printers))
	for i, p := range printers {
		names[i] = p.Name
	}
	if err := m.startSender(); err != nil {
		return err
	}
	// Metrics (metrics.go) on their own listener.
	m.metricsSrv = m.metrics.Serve(m.Registry, m.log)
	m.log.Info().Str("socket", m.socket).Str("tls_addr", m.TLSAddr()).Str("data", m.data).Strs("printers", names).Msg("listening")
	return nil
}

// serverTLS is the configuration of the TCP listener: printerd's
// certificate, and only clients with a certificate of the client CA (not
// the system roots), and of one of names when there are names, get
// through the handshake.
func serverTLS(certFile, keyFile, caFile string, names []string) (*tls.Config, error) {
	cfg, err := certs.ServerMTLS(certFile, keyFile, caFile)
	if err != nil {
		return nil, fmt.Errorf("%w (for development: anjunganctl keys init makes var/certs/printerd.crt and .key)", err)
	}
	// Both ends are ours (station, anjunganctl), so no older version is
	// needed.
	cfg.MinVersion = tls.VersionTLS13
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(names) == 0 {
			return nil
		}
		leaf := cs.PeerCertificates[0] // verified against the CA by now
		for _, n := range append([]string{leaf.Subject.CommonName}, leaf.DNSNames...) {
			if slices.Contains(names, n) {
				return nil
			}
		}
		return fmt.Errorf("client certificate %q is not one of -client-name", leaf.Subject.CommonName)
	}
	return cfg, nil
}

// httpErrorLog sends the HTTP server's own messages (refused TLS
// handshakes, mostly) to the service log.
type httpErrorLog struct{ log zerolog.Logger }

func (l httpErrorLog) Write(p []byte) (int, error) {
	l.log.Warn().Str("source", "http").Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}

var _ api.AuditLog = (*journal.Journal)(nil)

// checkpoints reads the audit signing key. printerd does not run without
// it: an unsigned log could be rewritten whole without a trace.
func (m *Main) checkpoints() (journal.Checkpoints, error) {
	b, err := os.ReadFile(m.auditKey)
	if err != nil {
		return journal.Checkpoints{}, fmt.Errorf("printerd: cannot read the audit signing key (-audit-key %s): %w; make one with `anjunganctl keys init`", m.auditKey, err)
	}
	skey := strings.TrimSpace(string(b))
	vkey, err := verifierKey(skey)
	if err != nil {
		return journal.Checkpoints{}, fmt.Errorf("printerd: audit signing key %s: %w", m.auditKey, err)
	}
	signer, err := audit.NewSigner(skey, m.Now)
	if err != nil {
		return journal.Checkpoints{}, fmt.Errorf("printerd: audit signing key %s: %w", m.auditKey, err)
	}
	return journal.Checkpoints{Signer: signer, VerifierKey: vkey, Every: m.auditEvery, Interval: m.auditInterval,
		Report: func(size int64, err error) {
			if err != nil {
				m.log.Error().Err(err).Int64("size", size).Msg("audit checkpoint failed")
				return
			}
			m.log.Debug().Int64("size", size).Msg("audit checkpoint signed")
		}}, nil
}

// verifierKey derives the note verifier key ("name+hash+key") from a
// note signer key ("PRIVATE+KEY+name+hash+key"): the same name and hash,
// the Ed25519 public key instead of the seed. note.NewVerifier checks
// the hash, so a wrong derivation cannot pass.
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5) // the key itself is base64 and may hold "+"
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("not a note signer key (PRIVATE+KEY+name+hash+key)")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("not an Ed25519 note signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey := parts[2] + "+" + parts[3] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, pub...))
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", err
	}
	return vkey, nil
}

func (m *Main) openPrinter(ctx context.Context, spec printerSpec) (domain.Printer, error) {
	drv, ok := driver.Lookup(spec.Driver)
	if !ok {
		return domain.Printer{}, fmt.Errorf("printerd: printer %s: no driver %q (have %s)", spec.Name, spec.Driver, strings.Join(driver.Names(), ", "))
	}
	dev, err := drv.Open(ctx, domain.DeviceConfig{Name: spec.Name, URI: spec.URI, Options: spec.Options, TempDir: m.TempDir()})
	if err != nil {
		return domain.Printer{}, fmt.Errorf("printerd: printer %s: %w", spec.Name, err)
	}
	m.devices = append(m.devices, dev)
	media := spec.Media
	if media == "" {
		caps, err := dev.Capabilities(ctx)
		if err != nil || len(caps.Media) == 0 {
			return domain.Printer{}, fmt.Errorf("printerd: printer %s: no media given and the device names none: %v", spec.Name, err)
		}
		media = caps.Media[0]
	}
	return domain.Printer{Name: spec.Name, Driver: spec.Driver, Media: media, Device: dev}, nil
}

// listenUnix listens on path: its directory is made 0750, a stale socket
// file left by a crash is removed (but not one a live printerd answers
// on), and the socket is made 0660 so only printerd's group may submit.
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
			_ = conn.Close()
			return nil, fmt.Errorf("another process is listening on %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o660); err != nil {
		_ = ln.Close()
		return nil, err
	}
	return ln, nil
}

// TempDir is printerd's private folder for the drivers' temporary files,
// tmp in its data folder (-data): mode 0700, emptied at start-up.
func (m *Main) TempDir() string { return filepath.Join(m.data, privtmp.Name) }

// SocketPath is the socket the API listens on.
func (m *Main) SocketPath() string { return m.socket }

// TLSAddr is the address the mTLS listener is bound to (the real port
// when -tls-addr asked for port 0), or "" when there is none.
func (m *Main) TLSAddr() string {
	if m.tlsListener == nil {
		return ""
	}
	return m.tlsListener.Addr().String()
}

// observe logs every job transition: ids, title, state, printer and
// reason; never document content.
func (m *Main) observe(e domain.Event) {
	m.jobMetrics.observe(e)
	if u := e.Unrecorded; u != nil {
		// A print's outcome the journal could not write: warn at each
		// retry, error once the printer is stopped or printerd gives up.
		ev := m.log.Warn()
		msg := "journal failed to record the job's outcome; retrying"
		switch {
		case u.Retry == 0:
			ev, msg = m.log.Error(), "journal failed to record the job's outcome; giving up: it stays dispatching and becomes in_doubt at the next start"
		case u.Stopped:
			ev, msg = m.log.Error(), "journal failed to record the job's outcome; printer stopped (journal-error), still retrying"
		}
		m.logJob(ev, e.Job).Str("outcome", string(u.Outcome)).Str("outcome_reason", u.Reason).
			Int("record_attempt", u.Attempt).Dur("retry_in", u.Retry).AnErr("cause", e.Err).Msg(msg)
		return
	}
	if e.Job.ID == "" {
		m.log.Error().Str("printer", e.Printer).Err(e.Err).Msg("dispatch failed")
		return
	}
	ev := m.log.Info()
	switch {
	case errors.Is(e.Err, domain.ErrDriverPanic) || errors.Is(e.Err, domain.ErrMalformedReply):
		// The device, not the job, is at fault: someone must look at
		// the driver or the printer.
		ev = m.log.Error()
	case e.Job.State == domain.JobFailed || e.Job.State == domain.JobHeld || e.Job.State == domain.JobInDoubt:
		ev = m.log.Warn()
	}
	if e.Err != nil {
		ev = ev.AnErr("cause", e.Err)
	}
	m.logJob(ev, e.Job).Msg("job " + string(e.Job.State))
}

func (m *Main) logJob(ev *zerolog.Event, job domain.Job) *zerolog.Event {
	return ev.Str("job", string(job.ID)).Str("title", job.Title).Str("state", string(job.State)).
		Str("printer", job.Printer).Str("reason", job.Reason).Int("attempts", job.Attempts).
		Str("card_serial", job.CardSerial)
}

// Close stops the API, then the dispatcher (a print under way is
// canceled), closes the devices and the journal. It may be called more
// than once, and after a failed Run.
func (m *Main) Close() error {
	m.closeOnce.Do(func() {
		var errs []error
		if m.endStreams != nil {
			defer m.endStreams()
		}
		if m.server != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := m.server.Shutdown(ctx); err != nil {
				errs = append(errs, m.server.Close())
			}
			cancel()
			m.serving.Wait()
		} else {
			for _, ln := range []net.Listener{m.listener, m.tlsListener} {
				if ln != nil {
					errs = append(errs, ln.Close())
				}
			}
		}
		errs = append(errs, m.metricsSrv.Close())
		if m.stopSender != nil {
			m.stopSender()
			m.sending.Wait()
		}
		if m.dispatcher != nil {
			errs = append(errs, m.dispatcher.Close())
		}
		for _, d := range m.devices {
			errs = append(errs, d.Close())
		}
		if m.journal != nil {
			errs = append(errs, m.journal.Close())
		}
		m.closeErr = errors.Join(errs...)
		m.log.Info().Msg("stopped")
	})
	return m.closeErr
}

// printerStates is the journal as the recorder of printer states when a
// fleet hub is set; without one nothing would ever read them.
func (m *Main) printerStates(j *journal.Journal) domain.PrinterStateRecorder {
	if m.fleet.URL == "" {
		return nil
	}
	return j
}

// startSender starts delivering the journal's fleet outbox when a hub is
// set (-fleet-url); printing never waits for it.
func (m *Main) startSender() error {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := m.fleet.Start(ctx, &m.sending, fleet.StreamPrinterd, m.journal.Outbox(), m.journal.CosignLog(), func(msg string, err error) {
		m.log.Warn().Err(err).Msg(msg)
	})
	if err != nil || s == nil {
		cancel()
		return err
	}
	m.sender, m.stopSender = s, cancel
	return nil
}

// MetricsAddr is the address of /metrics ("" when off).
func (m *Main) MetricsAddr() string {
	if m.metricsSrv == nil {
		return ""
	}
	return m.metricsSrv.Addr()
}

// lazyDispatcher is the dispatcher once made: the metrics are set up
// before it, for Observe.
type lazyDispatcher struct{ m *Main }

func (l lazyDispatcher) Printers(ctx context.Context) ([]domain.PrinterInfo, error) {
	return l.m.dispatcher.Printers(ctx)
}

func (l lazyDispatcher) Ledger(ctx context.Context) ([]domain.LedgerEntry, error) {
	return l.m.dispatcher.Ledger(ctx)
}
