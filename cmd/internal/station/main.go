// Package station wires the station program: the kiosk and console
// servers, the upstream registry client, the ticket verifier, the renderer
// and the printerd client.
package station

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	_ "github.com/anjungan/anjungan/station/documents" // the document types this program knows
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/fleetsend"
	"github.com/anjungan/anjungan/internal/health"
	"github.com/anjungan/anjungan/internal/logging"
	"github.com/anjungan/anjungan/internal/metrics"
	"github.com/anjungan/anjungan/internal/privtmp"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/auditrec"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/fingerprint"
	stationhttp "github.com/anjungan/anjungan/station/http"
	"github.com/anjungan/anjungan/station/registry"
	"github.com/anjungan/anjungan/station/render"
	"github.com/anjungan/anjungan/station/smartcard"
	"github.com/anjungan/anjungan/station/sqlite"
	"github.com/anjungan/anjungan/station/ticket"
	"github.com/anjungan/anjungan/station/voice"
	"github.com/anjungan/anjungan/templates"
)

var _ station.PrintService = (*client.Client)(nil)

// Main is the station program.
type Main struct {
	KioskAddr      string
	ConsoleAddr    string
	ConsoleCert    string // TLS certificate and key for a console bound beyond loopback
	ConsoleKey     string
	RegistryURL    string
	PrinterdSocket string
	PrinterdURL    string // https://HOST:PORT of printerd's mTLS listener, instead of the socket
	PrinterdCA     string // mTLS to printerd: its CA, our client certificate and key
	PrinterdCert   string
	PrinterdKey    string
	TicketPubKey   string
	// DocumentPubKeys are the upstream's published document keys (PEM
	// files, comma-separated): every document's QR must verify against
	// one. The station holds no key that signs a document.
	DocumentPubKeys string
	RegistryCA      string // mTLS to the upstream: its CA, our client certificate and key
	RegistryCert    string
	RegistryKey     string
	BindingKey      string // checks a ticket's NIK binding against the upstream's answer
	DBPath          string
	IdleTimeout     time.Duration
	VoiceVolume     float64 // the page's spoken guidance, 0 to 1; 0 is off
	AuditKey        string  // signs the audit log's checkpoints (note format)
	AuditVKey       string
	SubjectKey      string // keys the audit subjects: HMAC of the NIK
	CardReader      string // PC/SC reader of the e-KTP; "" for no card login
	SAMReader       string // PC/SC reader holding the SAM
	// A licensed vendor's program that reads the e-KTP instead of the
	// emulation profile (docs/card-profile.md).
	CardVendorExec    string
	CardVendorArgs    []string      // its arguments, before the reader names
	CardVendorTimeout time.Duration // one read (0: 10 s)
	CardVendorGrace   time.Duration // from SIGTERM to SIGKILL (0: 1 s)
	CardAPDUTimeout   time.Duration // one APDU of the emulation profile (0: 5 s)
	Fingerprint       string        // second factor after a card read: "sim" or "off" (the PIN only)
	FingerprintDir    string        // the simulated sensor's samples
	FingerprintFinger string        // the finger the screen asks for (station.Fingers)
	KioskLayout       string        // where the reader, scanner and slots are (station.ParseKioskLayout)
	LogLevel          string
	Stdout            io.Writer // -h's usage (default os.Stdout)
	Stderr            io.Writer // the log and flag errors (default os.Stderr)
	Now               func() time.Time
	// Settle tunes how prints are settled with the upstream (tests
	// shorten its times); its other fields are wired by Run.
	Settle station.SettlerConfig
	// CrashAt kills the process at a named settlement step
	// (station.CrashPoints): the crash tests' -crash-at, never in service.
	CrashAt string
	// Hall names the service hall, the kiosk and its time zone for the
	// console, the reports and the kiosk.
	Hall station.Hall
	// Hours is when the kiosk takes citizens and the station runs (hours.go).
	Hours Hours
	// Fleet is the fleet hub the outbox goes to (docs/fleet.md).
	Fleet cli.Fleet
	// Metrics is the /metrics listener (-metrics-addr); Registry holds
	// the station's series.
	Metrics    cli.Metrics
	Registry   *prometheus.Registry
	metricsSrv *metrics.Server
	// Sender delivers the outbox; nil without -fleet-url.
	Sender *fleetsend.Sender

	log       zerolog.Logger
	kiosk     *station.Kiosk
	db        *sqlite.DB
	audit     *sqlite.AuditLog
	stopAudit context.CancelFunc
	cards     *smartcard.Loop
	presence  *smartcard.Presence
	kioskLn   net.Listener
	consLn    net.Listener
	kioskS    *stationhttp.Kiosk
	consS     *stationhttp.Console
	wg        sync.WaitGroup
	once      sync.Once
	done      chan struct{}
	stopHours context.CancelFunc
	stopVoice context.CancelFunc
	speaker   *voice.Speaker // nil: the voice is off
	stopFleet context.CancelFunc
}

// NewMain returns a station with its embedded defaults.
func NewMain() *Main {
	return &Main{
		Registry:          metrics.NewRegistry(),
		KioskAddr:         "127.0.0.1:8080",
		ConsoleAddr:       "127.0.0.1:8081",
		ConsoleCert:       "var/certs/console.crt",
		ConsoleKey:        "var/certs/console.key",
		RegistryURL:       "https://127.0.0.1:8090",
		PrinterdSocket:    "var/run/printerd.sock",
		PrinterdCA:        "var/certs/ca.crt",
		PrinterdCert:      "var/certs/printerd-client.crt",
		PrinterdKey:       "var/certs/printerd-client.key",
		Fingerprint:       "off",
		FingerprintDir:    "var/fingerprint",
		FingerprintFinger: string(station.DefaultFinger),
		TicketPubKey:      "var/keys/ticket.pub",
		DocumentPubKeys:   "var/keys/upstream-document.pub",
		RegistryCA:        "var/certs/ca.crt",
		RegistryCert:      "var/certs/station-client.crt",
		RegistryKey:       "var/certs/station-client.key",
		BindingKey:        "var/keys/binding.key",
		DBPath:            "var/station/station.db",
		IdleTimeout:       60 * time.Second,
		VoiceVolume:       0.8,
		AuditKey:          "var/keys/audit-station.key",
		AuditVKey:         "var/keys/audit-station.vkey",
		SubjectKey:        "var/keys/subject.key",
		Stdout:            os.Stdout,
		Stderr:            os.Stderr,
		Now:               time.Now,
		Hall:              station.Hall{Name: "Anjungan", KioskID: "ADM-01", Zone: station.WIB},
		Hours:             Hours{Lead: 10 * time.Minute, Grace: 15 * time.Minute},
	}
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

// flags defines the flags on m and returns the check of their values.
func (m *Main) flags() (*flag.FlagSet, func() error) {
	fs := cli.NewFlagSet("station")
	fs.StringVar(&m.KioskAddr, "kiosk-addr", m.KioskAddr, "address of the citizen kiosk (keep it on loopback)")
	fs.StringVar(&m.ConsoleAddr, "console-addr", m.ConsoleAddr, "address of the supervisors' console (TLS when not loopback)")
	fs.StringVar(&m.ConsoleCert, "console-cert", m.ConsoleCert, "console TLS certificate, used when the console is not on loopback")
	fs.StringVar(&m.ConsoleKey, "console-key", m.ConsoleKey, "console TLS key")
	fs.StringVar(&m.RegistryURL, "registry-url", m.RegistryURL, "base URL of the upstream registry")
	fs.StringVar(&m.PrinterdSocket, "printerd-socket", m.PrinterdSocket, "printerd's unix socket")
	fs.StringVar(&m.PrinterdURL, "printerd-url", "", "printerd's mTLS listener, https://HOST:PORT, instead of -printerd-socket (printerd on another machine)")
	fs.StringVar(&m.PrinterdCA, "printerd-ca", m.PrinterdCA, "CA that issued printerd's certificate (with -printerd-url)")
	fs.StringVar(&m.PrinterdCert, "printerd-cert", m.PrinterdCert, "the station's client certificate for printerd (with -printerd-url)")
	fs.StringVar(&m.PrinterdKey, "printerd-key", m.PrinterdKey, "the station's client key for printerd (with -printerd-url)")
	fs.StringVar(&m.TicketPubKey, "ticket-pubkey", m.TicketPubKey, "the upstream's ticket-signing public key (PEM)")
	fs.StringVar(&m.DocumentPubKeys, "document-pubkey", m.DocumentPubKeys, "the upstream's document-signing public keys (PEM), comma-separated: every document's QR must verify against one")
	fs.StringVar(&m.RegistryCA, "registry-ca", m.RegistryCA, "CA that issued the upstream's certificate (https upstream)")
	fs.StringVar(&m.RegistryCert, "registry-cert", m.RegistryCert, "the station's client certificate for the upstream")
	fs.StringVar(&m.RegistryKey, "registry-key", m.RegistryKey, "the station's client key for the upstream")
	fs.StringVar(&m.BindingKey, "binding-key", m.BindingKey, "key of the tickets' NIK binding (hex)")
	fs.StringVar(&m.DBPath, "db", m.DBPath, "the station's SQLite database")
	fs.StringVar(&m.AuditKey, "audit-key", m.AuditKey, "the audit log's checkpoint signing key (note format)")
	fs.StringVar(&m.AuditVKey, "audit-vkey", m.AuditVKey, "the audit log's verifier key (note format)")
	fs.StringVar(&m.SubjectKey, "subject-key", m.SubjectKey, "key of the audit subjects, the NIKs' keyed hashes (hex)")
	fs.StringVar(&m.CardReader, "card-reader", "", "PC/SC reader for e-KTP login, e.g. \"Virtual PCD 00 00\" (empty: no card login)")
	fs.StringVar(&m.SAMReader, "sam-reader", "", "PC/SC reader holding the SAM of the card profile")
	fs.DurationVar(&m.CardAPDUTimeout, "card-apdu-timeout", 0, "how long the card or SAM may take to answer one APDU before the read ends with \"tap again\" (0: 5s; emulation profile only)")
	fs.StringVar(&m.CardVendorExec, "card-vendor-exec", "", "vendor program that reads the e-KTP (empty: the emulation profile; see docs/card-profile.md)")
	fs.Func("card-vendor-arg", "an argument for the vendor program, before the reader names (repeatable)", func(s string) error {
		m.CardVendorArgs = append(m.CardVendorArgs, s)
		return nil
	})
	fs.DurationVar(&m.CardVendorTimeout, "card-vendor-timeout", 0, "how long one read by the vendor program may take (0: 10s)")
	fs.DurationVar(&m.CardVendorGrace, "card-vendor-grace", 0, "how long the vendor program has to exit after SIGTERM (0: 1s)")
	fs.StringVar(&m.Fingerprint, "fingerprint", m.Fingerprint, "fingerprint second factor after a card read: sim (simulated sensor and matcher; never on a kiosk in service) or off")
	fs.StringVar(&m.FingerprintDir, "fingerprint-dir", m.FingerprintDir, "folder of the simulated sensor's samples (anjunganctl finger place)")
	fs.StringVar(&m.FingerprintFinger, "fingerprint-finger", m.FingerprintFinger, "the finger the fingerprint screen asks for: right-thumb, right-index, … left-little (ISO/IEC 19794-2 positions)")
	fs.StringVar(&m.KioskLayout, "kiosk-layout", m.KioskLayout, "where this kiosk model's parts are, for the page's pictures: reader, scanner, card-slot, paper-slot, each =left or =right, comma-separated (default "+station.DefaultKioskLayout.String()+")")
	fs.DurationVar(&m.IdleTimeout, "idle-timeout", m.IdleTimeout, "a citizen's session ends after this long without a touch")
	fs.Float64Var(&m.VoiceVolume, "voice-volume", m.VoiceVolume, "volume of the kiosk's spoken guidance, 0 to 1 (0: no voice; needs espeak-ng and opusenc)")
	fs.StringVar(&m.Hall.Name, "hall-name", m.Hall.Name, "the service hall's name, on the console and every report")
	fs.StringVar(&m.Hall.KioskID, "kiosk-id", m.Hall.KioskID, "this kiosk's id, on the console and every report")
	fs.Func("time-zone", "the hall's time zone: WIB, WITA or WIT (default WIB)", func(s string) error {
		z, err := station.ParseZone(s)
		m.Hall.Zone = z
		return err
	})
	m.hoursFlags(fs)
	fs.StringVar(&m.LogLevel, "log-level", "info", "debug, info, warn or error")
	m.Fleet.Register(fs)
	m.Metrics.Register(fs, "127.0.0.1:9101")
	fs.StringVar(&m.CrashAt, "crash-at", "", "tests only: kill the station at this settlement step ("+strings.Join(station.CrashPoints, ", ")+")")
	fs.DurationVar(&m.Settle.SubmitGrace, "settle-submit-grace", 0, "how long a submission cut short may still reach printerd before its absence is believed (0: 1m)")
	return fs, func() error {
		if err := cli.NoArgs(fs)(); err != nil {
			return err
		}
		if err := m.Metrics.Check(); err != nil {
			return err
		}
		if err := m.printerdTarget().Check(); err != nil {
			return fmt.Errorf("-printerd-url: %w", err)
		}
		if err := m.parseHours(); err != nil {
			return err
		}
		if m.Fingerprint != "sim" && m.Fingerprint != "off" {
			return fmt.Errorf("-fingerprint %q: want sim or off", m.Fingerprint)
		}
		if _, err := station.ParseFinger(m.FingerprintFinger); err != nil {
			return fmt.Errorf("-fingerprint-finger: %w", err)
		}
		if _, err := station.ParseKioskLayout(m.KioskLayout); err != nil {
			return fmt.Errorf("-kiosk-layout: %w", err)
		}
		if !(m.VoiceVolume >= 0 && m.VoiceVolume <= 1) {
			return fmt.Errorf("-voice-volume %v: want 0 to 1", m.VoiceVolume)
		}
		return nil
	}
}

// Run starts the kiosk and console and returns once both listen.
func (m *Main) Run(ctx context.Context) error {
	m.log = logging.New(m.Stderr, m.LogLevel, "station")
	pub, err := ticket.LoadPublicKey(m.TicketPubKey)
	if err != nil {
		return fmt.Errorf("ticket public key: %w (run `anjunganctl keys init` to make development keys)", err)
	}
	docKeys, err := ticket.LoadKeySet(m.DocumentPubKeys)
	if err != nil {
		return fmt.Errorf("upstream document key: %w (run `anjunganctl keys init` to make development keys)", err)
	}
	docs := &docqr.Verifier{Keys: docKeys}
	renderer, err := render.New(templates.FS)
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	reg, err := m.registry()
	if err != nil {
		return err
	}
	printers, err := m.printerd()
	if err != nil {
		return err
	}
	// Bad card options fail before anything is opened. Identity records
	// on the cards are signed by the registry, with the same pinned key
	// as the tickets.
	var cardCfg smartcard.Config
	if m.CardReader != "" || m.CardVendorExec != "" {
		cardCfg, err = smartcard.NewConfig(smartcard.Options{
			CardReader: m.CardReader, SAMReader: m.SAMReader, APDUTimeout: m.CardAPDUTimeout,
			VendorExec: m.CardVendorExec, VendorArgs: m.CardVendorArgs,
			VendorTimeout: m.CardVendorTimeout, VendorGrace: m.CardVendorGrace,
		}, ticket.KeySet{ticket.KeyID(pub): pub}, m.log, m.Now)
		if err != nil {
			return fmt.Errorf("card reader: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(m.DBPath), 0o700); err != nil {
		return err
	}
	// Previews hold the citizen's document: their temporary files stay in
	// the data folder, and a crash's leftovers go at the next start.
	if err := privtmp.Prepare(m.TempDir()); err != nil {
		return fmt.Errorf("station temp folder: %w", err)
	}
	previewer, err := render.NewPreviewer(m.TempDir())
	if err != nil {
		return err
	}
	if m.db, err = sqlite.Open(m.DBPath); err != nil {
		return fmt.Errorf("station database: %w", err)
	}
	if m.audit, err = m.auditLog(); err != nil {
		return err
	}
	var cards station.CardReader
	var cardStates station.CardStates
	if m.CardReader != "" {
		m.cards = smartcard.Start(cardCfg)
		cards = m.cards
		m.presence = smartcard.NewPresence(m.cards)
		cardStates = m.presence
	}
	settle := m.Settle
	if m.CrashAt != "" {
		settle.Crash = crashAt(m.CrashAt, m.log)
	}
	sm := newStationMetrics(m.Registry, sqlite.Settlements{DB: m.db}, m.db.Outbox(), m.Now)
	m.kiosk = station.NewKiosk(station.KioskConfig{
		Settlements: sqlite.Settlements{DB: m.db},
		Calls:       sqlite.OfficerCalls{DB: m.db},
		Settle:      settle,
		Registry:    reg,
		Tickets:     &ticket.Verifier{Keys: ticket.KeySet{ticket.KeyID(pub): pub}, Skew: 2 * time.Minute},
		Renderer:    renderer,
		Signatures:  docs,
		Printers:    printers,
		Used:        sqlite.NewUsedTickets(m.db),
		Previewer:   previewer,
		SessionTTL:  m.IdleTimeout,
		Hall:        m.Hall,
		Cards:       cards,
		CardStates:  cardStates,
		Notices:     printers,
		Recorder:    recorders{eventLog{m.log}, auditrec.Recorder{Log: m.audit, Fallback: m.auditLost}, sm},
		Now:         m.Now,
		Rand:        rand.Reader,
		Hours:       m.openingHours(),
	})
	if m.kioskLn, err = net.Listen("tcp", m.KioskAddr); err != nil {
		return fmt.Errorf("kiosk listener: %w", err)
	}
	if m.consLn, err = m.consoleListener(); err != nil {
		m.kioskLn.Close()
		return err
	}
	m.kioskS = stationhttp.NewKiosk(m.kiosk, docs, m.log)
	layout, _ := station.ParseKioskLayout(m.KioskLayout) // checked with the flags
	m.kioskS.SetLayout(layout)
	m.kioskS.ObserveRequests(sm.observer("kiosk"))
	if m.Fingerprint == "sim" && cards != nil {
		fp, err := m.fingerprint()
		if err != nil {
			m.kioskLn.Close()
			m.consLn.Close()
			return err
		}
		m.kioskS.MountFingerprint(fp)
	}
	m.kioskS.MountReadiness(readiness(m.db, printers))
	m.mountVoice()
	m.consS = stationhttp.NewConsole(stationhttp.ConsoleDeps{
		Printerd: printers, Audit: m.audit, Accounts: sqlite.NewAccounts(m.db),
		PrinterdAudit: printers, Now: m.Now, Hall: m.Hall, PINs: reg, Rand: rand.Reader, Settlements: m.kiosk.Settler(),
		Calls: m.kiosk, Custody: printers, Fleet: m.fleetBacklog,
	}, m.log)
	m.consS.ObserveRequests(sm.observer("console"))
	if err := m.startFleet(); err != nil {
		m.kioskLn.Close()
		m.consLn.Close()
		return err
	}
	m.checkpoints()
	m.closeByHours()
	m.metricsSrv = m.Metrics.Serve(m.Registry, m.log) // metrics.go
	m.serve("kiosk", func() error { return m.kioskS.Serve(m.kioskLn) })
	m.serve("console", func() error { return m.consS.Serve(m.consLn) })
	m.log.Info().Str("kiosk", m.KioskURL()).Str("console", m.ConsoleURL()).Msg("station ready")
	return nil
}

// readiness is what /readyz checks: the station can serve a citizen when
// its database can be written, printerd answers with a journal that can
// write, and some printer can print now.
func readiness(db *sqlite.DB, printers *client.Client) []health.Check {
	return []health.Check{
		{Name: "database", Probe: db.CheckWritable},
		{Name: "printerd", Probe: printers.Health},
		{Name: "printer", Probe: func(ctx context.Context) error {
			as, err := printers.Availability(ctx)
			if err != nil {
				return err
			}
			return printerd.ReadyToPrint(as)
		}},
	}
}

// Settlements is the station's settler: what it owes the upstream.
func (m *Main) Settlements() *station.Settler { return m.kiosk.Settler() }

// crashAt returns a Crash hook that kills the process at point, as a
// power cut would: no deferred function runs, nothing is flushed.
func crashAt(point string, log zerolog.Logger) func(string) {
	return func(p string) {
		if p != point {
			return
		}
		log.Warn().Str("point", p).Msg("crash point reached: killing the station")
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal lands before this returns
	}
}

// TempDir is the station's private folder for temporary files, tmp in
// the folder of its database (-db): mode 0700, emptied at start-up.
func (m *Main) TempDir() string {
	return filepath.Join(filepath.Dir(m.DBPath), privtmp.Name)
}

// printerdTarget is where printerd is: its unix socket, or its mTLS
// listener when printerd runs on another machine (-printerd-url).
func (m *Main) printerdTarget() client.Target {
	return client.Target{Socket: m.PrinterdSocket, URL: m.PrinterdURL, CA: m.PrinterdCA, Cert: m.PrinterdCert, Key: m.PrinterdKey}
}

// printerd returns the printerd client.
func (m *Main) printerd() (*client.Client, error) {
	c, err := m.printerdTarget().Client()
	if err != nil {
		return nil, fmt.Errorf("printerd mTLS: %w (run `anjunganctl keys init`)", err)
	}
	return c, nil
}

// fingerprint is the simulated fingerprint second factor.
func (m *Main) fingerprint() (*station.FingerprintLogin, error) {
	// The sensor keeps the real clock: it compares with file times.
	sensor, err := fingerprint.NewDirSensor(fingerprint.DirSensorConfig{Dir: m.FingerprintDir})
	if err != nil {
		return nil, err
	}
	matcher, err := fingerprint.NewSimulated(fingerprint.SimulatedConfig{Now: m.Now})
	if err != nil {
		return nil, err
	}
	m.log.Warn().Str("dir", m.FingerprintDir).Msg("simulated fingerprint sensor and matcher: never on a kiosk in service")
	return station.NewFingerprintLogin(m.kiosk, station.FingerprintConfig{Sensor: sensor, Matcher: matcher, MatcherID: "simulated-v1", Finger: station.Finger(m.FingerprintFinger)})
}

// registry returns the upstream client: mTLS for an https upstream, the
// tickets' binding key, and the PIN attempt limits.
func (m *Main) registry() (*registry.Client, error) {
	hc := registry.HTTPClient(nil)
	if strings.HasPrefix(m.RegistryURL, "https://") {
		cfg, err := registry.ClientTLS(m.RegistryCA, m.RegistryCert, m.RegistryKey)
		if err != nil {
			return nil, fmt.Errorf("upstream mTLS: %w (run `anjunganctl keys init`)", err)
		}
		hc = registry.HTTPClient(cfg)
	}
	reg := registry.New(m.RegistryURL, hc, m.log)
	var err error
	if reg.BindingKey, err = ticket.LoadBindingKey(m.BindingKey); err != nil {
		return nil, fmt.Errorf("binding key: %w", err)
	}
	if reg.PINLimit, err = registry.NewPINLimit(rand.Reader, m.Now); err != nil {
		return nil, err
	}
	return reg, nil
}

func (m *Main) serve(name string, f func() error) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := f(); err != nil {
			m.log.Error().Err(err).Str("server", name).Msg("server stopped")
		}
	}()
}

// consoleListener listens for the console, with TLS when the address is
// not loopback: supervisors' passwords never cross a network in clear.
func (m *Main) consoleListener() (net.Listener, error) {
	ln, err := net.Listen("tcp", m.ConsoleAddr)
	if err != nil {
		return nil, fmt.Errorf("console listener: %w", err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; ip.IsLoopback() {
		return ln, nil
	}
	cert, err := tls.LoadX509KeyPair(m.ConsoleCert, m.ConsoleKey)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("console on %s needs TLS: %w", m.ConsoleAddr, err)
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// MetricsAddr is the address of /metrics ("" when off).
func (m *Main) MetricsAddr() string {
	if m.metricsSrv == nil {
		return ""
	}
	return m.metricsSrv.Addr()
}

// KioskURL is the kiosk's address after Run.
func (m *Main) KioskURL() string { return "http://" + m.kioskLn.Addr().String() }

// ConsoleURL is the console's address after Run.
func (m *Main) ConsoleURL() string {
	scheme := "https://"
	if m.consLn.Addr().(*net.TCPAddr).IP.IsLoopback() {
		scheme = "http://"
	}
	return scheme + m.consLn.Addr().String()
}

// Close stops the servers, then the settlement of pending prints.
func (m *Main) Close() error {
	var err error
	m.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if m.kioskS != nil {
			err = errors.Join(err, m.kioskS.Shutdown(ctx))
		}
		if m.consS != nil {
			err = errors.Join(err, m.consS.Shutdown(ctx))
		}
		if m.stopAudit != nil {
			m.stopAudit()
		}
		if m.stopHours != nil {
			m.stopHours()
		}
		if m.stopVoice != nil {
			m.stopVoice()
		}
		if m.stopFleet != nil {
			m.stopFleet()
		}
		m.wg.Wait()
		err = errors.Join(err, m.metricsSrv.Close())
		if m.kiosk != nil {
			m.kiosk.Close()
		}
		if m.audit != nil {
			// A last checkpoint covers everything this run appended.
			if _, cerr := m.audit.Checkpoint(ctx); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
		if m.presence != nil {
			m.presence.Close()
		}
		if m.cards != nil {
			// Bounded: a card that never answers cannot hold the shutdown.
			err = errors.Join(err, m.cards.Close())
		}
		if m.db != nil {
			err = errors.Join(err, m.db.Close())
		}
	})
	return err
}

// auditLog opens the station's audit log in its database.
func (m *Main) auditLog() (*sqlite.AuditLog, error) {
	subjectKey, err := sqlite.LoadSubjectKey(m.SubjectKey)
	if err != nil {
		return nil, fmt.Errorf("subject key: %w (run `anjunganctl keys init`)", err)
	}
	skey, err := os.ReadFile(m.AuditKey)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w (run `anjunganctl keys init`)", err)
	}
	vkey, err := os.ReadFile(m.AuditVKey)
	if err != nil {
		return nil, fmt.Errorf("audit verifier key: %w", err)
	}
	signer, err := audit.NewSigner(strings.TrimSpace(string(skey)), m.Now)
	if err != nil {
		return nil, err
	}
	return sqlite.NewAuditLog(m.db, subjectKey, signer, strings.TrimSpace(string(vkey)), m.Now)
}

// checkpoints signs the audit log's checkpoints while the station runs.
func (m *Main) checkpoints() {
	ctx, cancel := context.WithCancel(context.Background())
	m.stopAudit = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := m.audit.MaybeCheckpoint(ctx); err != nil {
					m.log.Error().Err(err).Msg("audit checkpoint")
				}
			}
		}
	}()
}

// auditLost logs an event the audit log could not take, by ids only.
func (m *Main) auditLost(e station.Event, err error) {
	m.log.Error().Err(err).Str("event", string(e.Kind)).Str("request", string(e.Request)).Str("job", string(e.Job)).Msg("audit entry lost")
}

// recorders sends each kiosk event to several recorders.
type recorders []station.Recorder

func (rs recorders) Record(ctx context.Context, e station.Event) {
	for _, r := range rs {
		r.Record(ctx, e)
	}
}

// eventLog writes kiosk events to the log. The subject is a station.NIK,
// which logs itself masked.
type eventLog struct{ log zerolog.Logger }

func (l eventLog) Record(_ context.Context, e station.Event) {
	ev := l.log.Info()
	if e.Err != nil {
		ev = l.log.Warn().Err(e.Err)
	}
	if !e.Subject.IsZero() {
		ev = ev.Stringer("subject", e.Subject)
	}
	ev.Str("event", string(e.Kind)).Str("method", string(e.Method)).Str("request", string(e.Request)).
		Str("job", string(e.Job)).Str("sha256", e.SHA256).Msg("kiosk")
}

// startFleet starts, when a hub is set (-fleet-url), the watch of the
// kiosk's service state and the sender of the outbox, each in its own
// goroutine: no citizen waits for the network.
func (m *Main) startFleet() error {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := m.Fleet.Start(ctx, &m.wg, fleet.StreamStation, m.db.Outbox(), m.db.CosignLog(), func(msg string, err error) {
		m.log.Warn().Err(err).Msg(msg)
	})
	if err != nil || s == nil {
		cancel()
		return err
	}
	m.Sender, m.stopFleet = s, cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.kiosk.WatchService(ctx, m.db, 30*time.Second, m.Now)
	}()
	return nil
}

// fleetBacklog is the console's view of the sender; none without a hub.
func (m *Main) fleetBacklog() station.FleetBacklog {
	if m.Sender == nil {
		return station.FleetBacklog{}
	}
	st := m.Sender.Status()
	return station.FleetBacklog{Count: st.Backlog, Oldest: st.Oldest, Alerting: st.Alerting}
}
