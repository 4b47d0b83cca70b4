// Package metrics serves a program's Prometheus registry on a listener of
// its own (docs/operations.md, "Metrics"). The counts it exposes — logins,
// prints, blank cards — are operational data of the hall: the listener is
// on loopback unless the operator says otherwise.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace begins every series name.
const Namespace = "anjungan"

// ScrapeTimeout bounds the database reads of a scrape.
const ScrapeTimeout = 5 * time.Second

// NewRegistry returns a registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// CheckAddr refuses an address that is not on loopback unless public is
// set: whoever reaches it learns how many citizens logged in and printed.
func CheckAddr(addr string, public bool) error {
	if addr == "" || public {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-metrics-addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-metrics-addr %s is not on loopback: the counts of logins and prints are operational data of the hall; set -metrics-public to serve them beyond this machine", addr)
}

// Server serves one registry's /metrics.
type Server struct {
	ln  net.Listener
	srv *http.Server
	end chan struct{}
}

// Listen serves reg on addr; errors of the handler go to logf.
func Listen(addr string, reg *prometheus.Registry, logf func(error)) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: errorLog(logf), ErrorHandling: promhttp.ContinueOnError, Registry: reg, Timeout: ScrapeTimeout,
	}))
	s := &Server{ln: ln, end: make(chan struct{}),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}}
	go func() {
		defer close(s.end)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf(err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server; nil is a server that never started.
func (s *Server) Close() error {
	if s == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.end
	return err
}

type errorLog func(error)

func (f errorLog) Println(v ...any) { f(errors.New(fmt.Sprint(v...))) }

// StatusClass is an HTTP status's class label: "2xx", "4xx", "5xx".
func StatusClass(status int) string { return strconv.Itoa(status/100) + "xx" }
