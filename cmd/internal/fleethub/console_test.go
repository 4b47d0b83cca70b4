package fleethub_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/cmd/internal/fleethub"
	"github.com/anjungan/anjungan/internal/pgtest"
)

// anjunganctl fleet user add writes a scoped supervisor into the hub's
// database; a hub with a console on a non-loopback address serves it
// over HTTPS with its certificate, and the supervisor signs in there.
func TestConsoleUserAddAndHTTPS(t *testing.T) {
	dsn := pgtest.MustDB(t)
	dir := t.TempDir()
	ca := filepath.Join(dir, "fleet")
	mustCtl(t, "fleet", "ca-init", "-dir", ca)
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("a long enough password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustCtl(t, "fleet", "user", "add", "-hub-db", dsn, "-scope", "province:32", "-password-file", pw, "jabar"); !strings.Contains(out, "scope province:32") {
		t.Fatalf("user add said %q", out)
	}
	m := fleethub.NewMain()
	m.Stderr = io.Discard
	if err := m.ParseFlags([]string{"-db", dsn, "-listen", "127.0.0.1:0", "-tls-cert", filepath.Join(ca, "fleethub.crt"),
		"-tls-key", filepath.Join(ca, "fleethub.key"), "-client-ca", filepath.Join(ca, "fleet-ca.crt"), "-console-addr", "0.0.0.0:0"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	u, err := url.Parse(m.ConsoleURL())
	if err != nil || u.Scheme != "https" {
		t.Fatalf("console at %q, want https", m.ConsoleURL())
	}
	pem, err := os.ReadFile(filepath.Join(ca, "fleet-ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	base := "https://127.0.0.1:" + u.Port()
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader("name=jabar&password=a+long+enough+password"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("login over HTTPS: %s %v", resp.Status, resp.Cookies())
	}
	req, _ = http.NewRequest("GET", base+"/?lang=en", nil)
	req.AddCookie(resp.Cookies()[0])
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Scope: province:32") {
		t.Fatalf("overview: %s %.300s", resp.Status, body)
	}
}
