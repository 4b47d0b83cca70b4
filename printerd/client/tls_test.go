package client_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/printerd/client"
)

// MustTLSServer answers /v1/health on 127.0.0.1:0 with the development
// PKI of dir, requiring a client certificate of its CA as printerd does.
func MustTLSServer(tb testing.TB, dir string) string {
	tb.Helper()
	cfg, err := certs.ServerMTLS(filepath.Join(dir, "printerd.crt"), filepath.Join(dir, "printerd.key"), filepath.Join(dir, "ca.crt"))
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ln = tls.NewListener(ln, cfg)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/health" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return "https://" + ln.Addr().String()
}

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	if err := certs.WriteDev(dir, rand.Reader, time.Now()); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("nothing here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name         string
		ca, crt, key string
		wantErr      string // "" for none
	}{
		{"development client", f("ca.crt"), f("printerd-client.crt"), f("printerd-client.key"), ""},
		{"CA missing", f("missing.crt"), f("printerd-client.crt"), f("printerd-client.key"), "printerd CA"},
		{"CA not PEM", notPEM, f("printerd-client.crt"), f("printerd-client.key"), "no PEM certificate"},
		{"certificate missing", f("ca.crt"), f("missing.crt"), f("printerd-client.key"), "client certificate"},
		{"key of another certificate", f("ca.crt"), f("printerd-client.crt"), f("station-client.key"), "client certificate"},
	}
	url := MustTLSServer(t, dir)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := client.TLSConfig(tt.ca, tt.crt, tt.key)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("TLSConfig = %v, want an error naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := client.NewTLS(url+"/", cfg)
			defer c.CloseIdleConnections()
			// NewTLS keeps its own copy: a later change to cfg does not
			// reach the client.
			cfg.Certificates = nil
			if err := c.Health(context.Background()); err != nil {
				t.Errorf("Health over mTLS: %v", err)
			}
		})
	}
}

// TestTarget: a target reaches printerd over its socket or, with a URL,
// over mutual TLS; a URL that is not https is refused before any file is
// read.
func TestTarget(t *testing.T) {
	dir := t.TempDir()
	if err := certs.WriteDev(dir, rand.Reader, time.Now()); err != nil {
		t.Fatal(err)
	}
	f := func(name string) string { return filepath.Join(dir, name) }
	url := MustTLSServer(t, dir)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		target  client.Target
		wantErr string // "" when the client reaches printerd
	}{
		{"socket", client.Target{Socket: MustServe(t)}, ""},
		{"mutual TLS", client.Target{URL: url, CA: f("ca.crt"), Cert: f("printerd-client.crt"), Key: f("printerd-client.key")}, ""},
		{"plain http", client.Target{URL: "http://" + strings.TrimPrefix(url, "https://"), CA: f("missing.crt")}, "only mutual TLS"},
		{"certificate missing", client.Target{URL: url, CA: f("ca.crt"), Cert: f("missing.crt"), Key: f("printerd-client.key")}, "client certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.target.Client()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Client = %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			if err := c.Health(ctx); err != nil {
				t.Errorf("Health: %v", err)
			}
		})
	}
}
