package certs_test

import (
	"crypto/rand"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/certs"
)

// TestMTLSHandshake: ServerMTLS lets through a client of ClientMTLS with a
// certificate of the CA, and refuses one without a certificate and one
// whose certificate another CA issued.
func TestMTLSHandshake(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	for _, d := range []string{dir, other} {
		if err := certs.WriteDev(d, rand.Reader, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	f := func(d, name string) string { return filepath.Join(d, name) }
	server, err := certs.ServerMTLS(f(dir, "printerd.crt"), f(dir, "printerd.key"), f(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := certs.ClientMTLS("printerd", f(dir, "ca.crt"), f(dir, "printerd-client.crt"), f(dir, "printerd-client.key"))
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := certs.ClientMTLS("printerd", f(dir, "ca.crt"), f(other, "printerd-client.crt"), f(other, "printerd-client.key"))
	if err != nil {
		t.Fatal(err)
	}
	none := ours.Clone()
	none.Certificates = nil
	for _, tc := range []struct {
		name   string
		client *tls.Config
		ok     bool
	}{
		{"certificate of the CA", ours, true},
		{"no certificate", none, false},
		{"certificate of another CA", foreign, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			done := make(chan error, 1)
			go func() {
				s, err := ln.Accept()
				if err != nil {
					done <- err
					return
				}
				defer s.Close()
				done <- tls.Server(s, server).Handshake()
			}()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			cfg := tc.client.Clone()
			cfg.ServerName = "localhost" // the development server certificates name localhost
			_ = tls.Client(c, cfg).Handshake()
			// Under TLS 1.3 the client learns of a refusal only when it
			// reads; the server's verdict is the one to check.
			cerr := <-done
			if (cerr == nil) != tc.ok {
				t.Errorf("handshake: %v, want ok=%v", cerr, tc.ok)
			}
		})
	}
}

func TestMTLSFileErrors(t *testing.T) {
	dir := t.TempDir()
	if err := certs.WriteDev(dir, rand.Reader, time.Now()); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not-pem.crt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := func(name string) string { return filepath.Join(dir, name) }
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"CA without PEM", func() error { _, err := certs.Pool(notPEM); return err }(), "holds no PEM certificate"},
		{"CA missing", func() error {
			_, err := certs.ClientMTLS("printerd", f("missing.crt"), f("station-client.crt"), f("station-client.key"))
			return err
		}(), "printerd CA:"},
		{"client certificate missing", func() error {
			_, err := certs.ClientMTLS("printerd", f("ca.crt"), f("missing.crt"), f("station-client.key"))
			return err
		}(), "client certificate for printerd:"},
		{"server certificate missing", func() error { _, err := certs.ServerMTLS(f("missing.crt"), f("printerd.key"), f("ca.crt")); return err }(), "server certificate:"},
		{"client CA without PEM", func() error { _, err := certs.ServerMTLS(f("printerd.crt"), f("printerd.key"), notPEM); return err }(), "client CA:"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, tc.err, tc.want)
		}
	}
}
