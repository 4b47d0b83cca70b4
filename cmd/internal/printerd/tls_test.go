package printerd_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/certs"
	program "github.com/anjungan/anjungan/cmd/internal/printerd"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// MustCerts writes the development PKI into dir, as anjunganctl keys init
// does.
func MustCerts(tb testing.TB, dir string) string {
	tb.Helper()
	if err := certs.WriteDev(dir, rand.Reader, time.Now()); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// MustTLSConfig builds a client configuration from files of the
// development PKI; an empty name leaves that part out.
func MustTLSConfig(tb testing.TB, caFile, certFile, keyFile string) *tls.Config {
	tb.Helper()
	cfg := &tls.Config{MinVersion: tls.VersionTLS13}
	if caFile != "" {
		b, err := os.ReadFile(caFile)
		if err != nil {
			tb.Fatal(err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(b) {
			tb.Fatalf("%s holds no certificate", caFile)
		}
	}
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			tb.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg
}

// tlsArgs are the flags of the mTLS listener with the certificates of dir.
func tlsArgs(addr, dir string) []string {
	return []string{"-tls-addr", addr, "-tls-cert", filepath.Join(dir, "printerd.crt"), "-tls-key", filepath.Join(dir, "printerd.key"),
		"-client-ca", filepath.Join(dir, "ca.crt")}
}

// TestTLSListener runs printerd with both listeners: a caller with a
// client certificate of the client CA uses the whole API over TCP while
// the socket keeps working; every other caller is refused before the API
// sees a request.
func TestTLSListener(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // stops a hung test only
	defer cancel()
	tmp := t.TempDir()
	dir := MustCerts(t, filepath.Join(tmp, "certs"))
	other := MustCerts(t, filepath.Join(tmp, "other"))
	key, _ := MustAuditKey(t, tmp)
	var log syncBuffer
	m := MustRun(t, &log, append([]string{"-audit-key", key,
		"-socket", filepath.Join(MustSocketDir(t), "printerd.sock"),
		"-data", filepath.Join(tmp, "data"),
		"-printer", "name=card-1,driver=sim,uri=" + filepath.Join(tmp, "card") + ",media=om_card_54x86mm,blanks=10"},
		tlsArgs("127.0.0.1:0", dir)...)...)
	host, port, err := net.SplitHostPort(m.TLSAddr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("TLSAddr = %q, %v; want 127.0.0.1 and the bound port", m.TLSAddr(), err)
	}
	url := "https://" + m.TLSAddr()
	sock := client.New(m.SocketPath())
	defer sock.CloseIdleConnections()

	cfg, err := client.TLSConfig(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "printerd-client.crt"), filepath.Join(dir, "printerd-client.key"))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewTLS(url+"/", cfg)
	defer c.CloseIdleConnections()

	events, err := c.Events(ctx)
	if err != nil {
		t.Fatalf("Events over mTLS: %v", err)
	}
	if _, err := c.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 10, Actor: "sari"}); err != nil {
		t.Fatalf("LoadCards over mTLS: %v", err)
	}
	job, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "tls-1", Media: printerd.MediaCard, Title: "KTP-el", Document: MustRead(t, "card.pdf")})
	if err != nil {
		t.Fatalf("Submit over mTLS: %v", err)
	}
	job = MustPrint(t, c, job.ID) // Job over mTLS
	// The same job through the socket, while the TCP stream is open.
	if got, err := sock.Job(ctx, job.ID); err != nil || got.State != printerd.JobPrinted || got.CardSerial != job.CardSerial {
		t.Errorf("Job over the socket = %+v, %v; want %+v", got, err, job)
	}
	printed := false
	for n := range events {
		if n.Kind == printerd.NoticeJob && n.Job != nil && n.Job.ID == job.ID && n.Job.State == printerd.JobPrinted {
			printed = true
			break
		}
	}
	if !printed {
		t.Fatal("no printed notice on the event stream over mTLS")
	}
	if ps, err := c.Printers(ctx); err != nil || len(ps) != 1 || ps[0].Name != "card-1" {
		t.Errorf("Printers over mTLS = %+v, %v", ps, err)
	}
	// A fault printerd reports travels back as itself over TLS too.
	if _, err := c.Job(ctx, "J-none"); !errors.Is(err, printerd.ErrJobNotFound) {
		t.Errorf("unknown job over mTLS = %v, want job_not_found", err)
	}
	if _, err := c.Checkpoint(ctx); err != nil && !errors.Is(err, printerd.ErrNoCheckpoint) {
		t.Errorf("Checkpoint over mTLS = %v", err)
	}

	ca, otherCA := filepath.Join(dir, "ca.crt"), filepath.Join(other, "ca.crt")
	pair := func(d, name string) (string, string) {
		return filepath.Join(d, name+".crt"), filepath.Join(d, name+".key")
	}
	clientCrt, clientKey := pair(dir, "printerd-client")
	foreignCrt, foreignKey := pair(other, "printerd-client")
	serverCrt, serverKey := pair(dir, "printerd")
	tests := []struct {
		name      string
		client    func(t *testing.T) *client.Client
		handshake bool // refused in the TLS handshake, so printerd_unreachable
	}{
		{"no client certificate", func(t *testing.T) *client.Client {
			return client.NewTLS(url, MustTLSConfig(t, ca, "", ""))
		}, true},
		{"client certificate from another CA", func(t *testing.T) *client.Client {
			return client.NewTLS(url, MustTLSConfig(t, ca, foreignCrt, foreignKey))
		}, true},
		{"server certificate as a client certificate", func(t *testing.T) *client.Client {
			return client.NewTLS(url, MustTLSConfig(t, ca, serverCrt, serverKey))
		}, true},
		{"TLS 1.2", func(t *testing.T) *client.Client {
			cfg := MustTLSConfig(t, ca, clientCrt, clientKey)
			cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
			return client.NewTLS(url, cfg)
		}, true},
		{"printerd not from the trusted CA", func(t *testing.T) *client.Client {
			return client.NewTLS(url, MustTLSConfig(t, otherCA, clientCrt, clientKey))
		}, true},
		{"plain HTTP", func(t *testing.T) *client.Client {
			return client.NewTLS("http://"+m.TLSAddr(), nil)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := sock.Jobs(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			bad := tt.client(t)
			defer bad.CloseIdleConnections()
			_, err = bad.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "refused/" + strings.ReplaceAll(tt.name, " ", "-"), Media: printerd.MediaCard, Title: "KTP-el", Document: MustRead(t, "card.pdf")})
			if err == nil {
				t.Fatal("Submit succeeded")
			}
			// Plain HTTP gets a 400 or, with a body printerd does not
			// read, a reset: either way no API call.
			if tt.handshake && !errors.Is(err, printerd.ErrUnreachable) {
				t.Errorf("Submit = %v, want printerd_unreachable", err)
			}
			if err := bad.Health(ctx); err == nil {
				t.Error("Health succeeded")
			}
			if _, err := bad.Events(ctx); err == nil {
				t.Error("Events succeeded")
			}
			after, err := sock.Jobs(ctx, "")
			if err != nil || len(after) != len(before) {
				t.Errorf("jobs %d → %d (%v): a refused caller made one", len(before), len(after), err)
			}
		})
	}
	// The good client still works after the refusals.
	if err := c.Health(ctx); err != nil {
		t.Errorf("Health over mTLS after the refusals: %v", err)
	}
	if !strings.Contains(log.String(), `"tls_addr":"`+m.TLSAddr()+`"`) {
		t.Error("the log does not name the TLS address")
	}
	if !strings.Contains(log.String(), "TLS handshake error") {
		t.Error("refused handshakes are not in the service log")
	}

	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if conn, err := net.Dial("tcp", m.TLSAddr()); err == nil {
		_ = conn.Close()
		t.Error("the TLS address still accepts after Close")
	}
}

func TestTLSFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" for none
	}{
		{"off by default", nil, ""},
		{"complete", tlsArgs("127.0.0.1:0", "certs"), ""},
		{"address only", []string{"-tls-addr", "127.0.0.1:0"}, "-tls-cert, -tls-key, -client-ca"},
		{"no client CA", []string{"-tls-addr", ":7631", "-tls-cert", "c", "-tls-key", "k"}, "needs -client-ca"},
		{"no key", []string{"-tls-addr", ":7631", "-tls-cert", "c", "-client-ca", "ca"}, "needs -tls-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := program.NewMain()
			m.Stderr = io.Discard
			err := m.ParseFlags(tt.args)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("ParseFlags(%q) = %v, want an error naming %q", tt.args, err, tt.wantErr)
			}
			if m.TLSAddr() != "" {
				t.Errorf("TLSAddr before Run = %q", m.TLSAddr())
			}
		})
	}
}

// TestTLSRunFailsCleanly: a listener that cannot start stops printerd
// with a clear error and leaves no socket behind.
func TestTLSRunFailsCleanly(t *testing.T) {
	tmp := t.TempDir()
	dir := MustCerts(t, filepath.Join(tmp, "certs"))
	key, _ := MustAuditKey(t, tmp)
	notPEM := filepath.Join(tmp, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name    string
		change  func(args []string) // edits tlsArgs(…): [addr, cert, key, CA] at 1, 3, 5, 7
		wantErr string
	}{
		{"certificate missing", func(a []string) { a[3] = filepath.Join(tmp, "missing.crt") }, "anjunganctl keys init"},
		{"key of another certificate", func(a []string) { a[5] = filepath.Join(dir, "registry.key") }, "server certificate"},
		{"client CA missing", func(a []string) { a[7] = filepath.Join(tmp, "missing-ca.crt") }, "client CA"},
		{"client CA not PEM", func(a []string) { a[7] = notPEM }, "holds no PEM certificate"},
		{"address in use", func(a []string) { a[1] = busy.Addr().String() }, "-tls-addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := filepath.Join(MustSocketDir(t), "p.sock")
			args := tlsArgs("127.0.0.1:0", dir)
			tt.change(args)
			m := program.NewMain()
			m.Stderr = io.Discard
			if err := m.ParseFlags(append([]string{"-audit-key", key, "-socket", sock, "-data", filepath.Join(t.TempDir(), "data"),
				"-printer", "name=p,driver=sim,uri=" + filepath.Join(tmp, "out") + ",media=iso_a4_210x297mm"}, args...)); err != nil {
				t.Fatal(err)
			}
			err := m.Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Run = %v, want an error naming %q", err, tt.wantErr)
			}
			if err := m.Close(); err != nil {
				t.Errorf("Close after a failed Run: %v", err)
			}
			if _, err := os.Stat(sock); !os.IsNotExist(err) {
				t.Errorf("failed Run left a socket: %v", err)
			}
		})
	}
}

// TestTLSClientNames: with -client-name, a certificate of the client CA
// gets through only when it carries one of the names; the station's
// registry certificate, from the same development CA, is refused.
func TestTLSClientNames(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // stops a hung test only
	defer cancel()
	tmp := t.TempDir()
	dir := MustCerts(t, filepath.Join(tmp, "certs"))
	key, _ := MustAuditKey(t, tmp)
	m := MustRun(t, io.Discard, append([]string{"-audit-key", key,
		"-socket", filepath.Join(MustSocketDir(t), "printerd.sock"), "-data", filepath.Join(tmp, "data"),
		"-printer", "name=card-1,driver=sim,uri=" + filepath.Join(tmp, "card") + ",media=om_card_54x86mm",
		"-client-name", "printerd-client"}, tlsArgs("127.0.0.1:0", dir)...)...)
	for _, tt := range []struct {
		leaf string
		ok   bool
	}{{"printerd-client", true}, {"station-client", false}} {
		cfg, err := client.TLSConfig(filepath.Join(dir, "ca.crt"), filepath.Join(dir, tt.leaf+".crt"), filepath.Join(dir, tt.leaf+".key"))
		if err != nil {
			t.Fatal(err)
		}
		c := client.NewTLS("https://"+m.TLSAddr(), cfg)
		err = c.Health(ctx)
		c.CloseIdleConnections()
		if (err == nil) != tt.ok || !tt.ok && !errors.Is(err, printerd.ErrUnreachable) {
			t.Errorf("%s: Health = %v, want accepted: %v", tt.leaf, err, tt.ok)
		}
	}
}
