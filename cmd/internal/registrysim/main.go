// Package registrysim is registry-sim: a simulator of the upstream civil
// registry speaking the station's upstream contract v1 (docs/upstream.md).
// It holds a synthetic population made deterministically from a seed,
// approvals with one-time PINs and signed QR tickets, and keeps its state
// in SQLite so that a restart loses nothing.
package registrysim

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	_ "github.com/anjungan/anjungan/station/documents" // the document types this program knows
	"io"
	"io/fs"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/internal/logging"
	"github.com/anjungan/anjungan/station/ticket"
)

// Main is the registry-sim program.
type Main struct {
	Addr           string // listen address
	DataDir        string // holds registry.db
	TicketKeyPath  string // Ed25519 private key, PEM PKCS #8
	BindingKeyPath string // NIK binding key, 32 bytes hex
	TLSCert        string // server certificate; with TLSKey and ClientCA, serve mTLS
	TLSKey         string
	ClientCA       string // CA whose client certificates are accepted
	Seed           uint64 // population seed
	People         int    // population size
	LogLevel       string

	Stdout io.Writer        // -h's usage; os.Stdout by default
	Stderr io.Writer        // log output and flag errors; os.Stderr by default
	Now    func() time.Time // clock; time.Now by default
	Rand   io.Reader        // ids, PINs and ticket ids; crypto/rand by default

	store    *store
	listener net.Listener
	tls      bool
	srv      *server
	http     *http.Server
	served   chan struct{}
	close    sync.Once
	closeErr error
}

// NewMain returns a Main with the embedded defaults.
func NewMain() *Main {
	return &Main{
		Addr:           "127.0.0.1:8090",
		DataDir:        "var/registry-sim",
		TicketKeyPath:  "var/keys/ticket.key",
		BindingKeyPath: "var/keys/binding.key",
		Seed:           1,
		People:         200,
		LogLevel:       "info",
		Stdout:         os.Stdout,
		Stderr:         os.Stderr,
		Now:            time.Now,
		Rand:           rand.Reader,
	}
}

// ParseFlags reads the command line; with no flags the defaults stand.
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
	fs := cli.NewFlagSet("registry-sim")
	fs.StringVar(&m.Addr, "addr", m.Addr, "listen address (loopback only in development)")
	fs.StringVar(&m.DataDir, "data", m.DataDir, "data folder; holds registry.db")
	fs.StringVar(&m.TicketKeyPath, "ticket-key", m.TicketKeyPath, "ticket signing key (PEM, Ed25519)")
	fs.StringVar(&m.BindingKeyPath, "binding-key", m.BindingKeyPath, "NIK binding key (32 bytes, hex)")
	fs.StringVar(&m.TLSCert, "tls-cert", m.TLSCert, "server certificate (PEM); with -tls-key and -client-ca, serve HTTPS and require client certificates")
	fs.StringVar(&m.TLSKey, "tls-key", m.TLSKey, "server private key (PEM)")
	fs.StringVar(&m.ClientCA, "client-ca", m.ClientCA, "CA certificate (PEM) that client certificates must chain to")
	fs.Uint64Var(&m.Seed, "seed", m.Seed, "seed of the synthetic population")
	fs.IntVar(&m.People, "people", m.People, "number of synthetic residents")
	fs.StringVar(&m.LogLevel, "log-level", m.LogLevel, "debug, info, warn or error")
	return fs, func() error {
		switch {
		case fs.NArg() > 0:
			return fmt.Errorf("unexpected arguments: %v", fs.Args())
		case m.People < 1 || m.People > 100_000:
			return fmt.Errorf("-people must be between 1 and 100000")
		case (m.TLSCert != "") != (m.TLSKey != "") || (m.TLSCert != "") != (m.ClientCA != ""):
			return fmt.Errorf("-tls-cert, -tls-key and -client-ca go together: set all three or none")
		}
		return nil
	}
}

// Run loads the keys, opens the database, makes the population and
// starts serving; it returns once the listener is open.
func (m *Main) Run(ctx context.Context) error {
	log := logging.New(m.Stderr, m.LogLevel, "registry-sim")
	key, err := ticket.LoadPrivateKey(m.TicketKeyPath)
	if err != nil {
		return keyError("ticket signing key", m.TicketKeyPath, err)
	}
	bindingKey, err := ticket.LoadBindingKey(m.BindingKeyPath)
	if err != nil {
		return keyError("NIK binding key", m.BindingKeyPath, err)
	}
	pop, err := generatePopulation(m.Seed, m.People)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(m.DataDir, 0o700); err != nil {
		return err
	}
	st, err := openStore(filepath.Join(m.DataDir, "registry.db"))
	if err != nil {
		return err
	}
	if err := st.checkPopulation(ctx, m.Seed, m.People); err != nil {
		st.Close()
		return err
	}
	tlsConfig, err := m.serverTLS()
	if err != nil {
		st.Close()
		return err
	}
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		st.Close()
		return err
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	m.tls = tlsConfig != nil
	srv := &server{
		store:  st,
		pop:    pop,
		issuer: &ticket.Issuer{Key: key, Issuer: "registry-sim", BindingKey: bindingKey, Rand: m.Rand},
		now:    m.Now,
		rand:   m.Rand,
		seed:   m.Seed,
		log:    log,
		faults: newFaults(),
	}
	m.store, m.listener, m.srv = st, ln, srv
	m.http = &http.Server{
		Handler:           srv.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		// Refused handshakes go to our log, not the standard logger.
		ErrorLog: stdlog.New(httpErrorLog{log}, "", 0),
	}
	m.served = make(chan struct{})
	go func() {
		defer close(m.served)
		if err := m.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Msg("serve")
		}
	}()
	log.Info().Str("url", m.URL()).Int("people", len(pop.People)).Uint64("seed", m.Seed).
		Str("ticket_kid", ticket.KeyID(key.Public().(ed25519.PublicKey))).Msg("registry-sim listening")
	return nil
}

func keyError(what, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s not found: run `anjunganctl keys init` first", what, path)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// serverTLS is the mTLS configuration, or nil when no certificate is set.
func (m *Main) serverTLS() (*tls.Config, error) {
	if m.TLSCert == "" {
		return nil, nil
	}
	cfg, err := certs.ServerMTLS(m.TLSCert, m.TLSKey, m.ClientCA)
	if err != nil {
		return nil, fmt.Errorf("%w (run `anjunganctl keys init` first)", err)
	}
	return cfg, nil
}

// URL is the base URL, http://127.0.0.1:PORT (https with mTLS), once Run
// has returned.
func (m *Main) URL() string {
	if m.listener == nil {
		return ""
	}
	if m.tls {
		return "https://" + m.listener.Addr().String()
	}
	return "http://" + m.listener.Addr().String()
}

// Close stops serving, waits for requests in flight and closes the
// database. It is safe to call more than once.
func (m *Main) Close() error {
	m.close.Do(func() {
		if m.srv != nil {
			close(m.srv.faults.stop) // release calls hung by a timeout fault
		}
		if m.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := m.http.Shutdown(ctx); err != nil {
				m.closeErr = err
				m.http.Close() // requests still running past the grace period
			}
			<-m.served
		}
		if m.store != nil {
			if err := m.store.Close(); err != nil && m.closeErr == nil {
				m.closeErr = err
			}
		}
	})
	return m.closeErr
}

// httpErrorLog sends the HTTP server's own messages (refused TLS
// handshakes, mostly) to the service log.
type httpErrorLog struct{ log zerolog.Logger }

func (l httpErrorLog) Write(p []byte) (int, error) {
	l.log.Warn().Str("source", "http").Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}
