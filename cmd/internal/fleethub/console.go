package fleethub

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"time"

	fleethttp "github.com/anjungan/anjungan/fleet/http"
)

// consoleServer is the web console on its own listener.
type consoleServer struct {
	ln     net.Listener
	server *http.Server
	tls    bool
	done   chan struct{}
}

// startConsole listens on -console-addr: plain HTTP on a loopback
// address (the browser treats it as secure, so Secure cookies work),
// HTTPS with the hub's certificate on any other.
func startConsole(m *Main, loop context.Context) (*consoleServer, error) {
	c := fleethttp.NewConsole(m.store, m.Now, m.th, m.log, m.ConsolePoll)
	c.Hub = m.identity
	ln, err := net.Listen("tcp", m.consoleAddr)
	if err != nil {
		return nil, err
	}
	s := &consoleServer{ln: ln, done: make(chan struct{})}
	if ip := net.ParseIP(ln.Addr().(*net.TCPAddr).IP.String()); ip == nil || !ip.IsLoopback() {
		cert, err := tls.LoadX509KeyPair(m.tlsCert, m.tlsKey)
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		s.tls = true
	}
	s.server = &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog:    stdlog.New(httpErrorLog{m.log}, "", 0),
		BaseContext: func(net.Listener) context.Context { return loop }} // open event streams end with the hub
	go c.Run(loop)
	go func() {
		defer close(s.done)
		if err := s.server.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error().Err(err).Msg("console serve")
		}
	}()
	return s, nil
}

func (s *consoleServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.server.Shutdown(ctx)
	if err != nil {
		err = s.server.Close()
	}
	<-s.done
	return err
}

// ConsoleURL is the console's address, "" without one.
func (m *Main) ConsoleURL() string {
	if m.console == nil {
		return ""
	}
	scheme := "http://"
	if m.console.tls {
		scheme = "https://"
	}
	return scheme + m.console.ln.Addr().String()
}

// hubIdentity names the hub by its server certificate: its subject's
// common name and the first 16 hex digits of the certificate's SHA-256.
func hubIdentity(cfg *tls.Config) string {
	if len(cfg.Certificates) == 0 || len(cfg.Certificates[0].Certificate) == 0 {
		return "fleethub"
	}
	der := cfg.Certificates[0].Certificate[0]
	sum := sha256.Sum256(der)
	name := "fleethub"
	if c, err := x509.ParseCertificate(der); err == nil && c.Subject.CommonName != "" {
		name = c.Subject.CommonName
	}
	return fmt.Sprintf("%s (SHA-256 %x)", name, sum[:8])
}
