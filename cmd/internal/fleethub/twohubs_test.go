package fleethub_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/cmd/internal/fleethub"
	"github.com/anjungan/anjungan/internal/pgtest"
)

// hubClock is the hubs' shared clock; tests move it.
type hubClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *hubClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *hubClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// twoHubs runs two hubs on one database with a supervisor "jabar"
// (province:32, password consolePassword) and the shared clock.
func twoHubs(t *testing.T, clk *hubClock, poll time.Duration) (dsn, ca string, hubs [2]*fleethub.Main) {
	t.Helper()
	dsn = pgtest.MustDB(t)
	dir := t.TempDir()
	ca = filepath.Join(dir, "fleet")
	mustCtl(t, "fleet", "ca-init", "-dir", ca)
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(consolePassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCtl(t, "fleet", "user", "add", "-hub-db", dsn, "-scope", "province:32", "-password-file", pw, "jabar")
	for i := range hubs {
		m := fleethub.NewMain()
		m.Stderr = io.Discard
		m.Now = clk.Now
		m.ConsolePoll = poll
		if err := m.ParseFlags([]string{"-db", dsn, "-listen", "127.0.0.1:0", "-tls-cert", filepath.Join(ca, "fleethub.crt"),
			"-tls-key", filepath.Join(ca, "fleethub.key"), "-client-ca", filepath.Join(ca, "fleet-ca.crt"),
			"-console-addr", "127.0.0.1:0", "-metrics-addr", "", "-alert-every", "50ms"}); err != nil {
			t.Fatal(err)
		}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		hubs[i] = m
	}
	return dsn, ca, hubs
}

const consolePassword = "a long enough password"

var noFollow = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// consoleLogin posts the login form to a hub's console.
func consoleLogin(t *testing.T, h *fleethub.Main, name, password, lang string) (*http.Response, string) {
	t.Helper()
	base := h.ConsoleURL()
	req, _ := http.NewRequest("POST", base+"/login?lang="+lang, strings.NewReader(url.Values{"name": {name}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// Failed logins on hub A slow the same user down on hub B: the attempts
// are in the database, not in a hub's memory. The throttled answer is a
// page in the asked language with 429 and Retry-After; once the wait is
// over the right password gets in, and that clears the count.
func TestConsoleThrottleAcrossHubs(t *testing.T) {
	clk := &hubClock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	_, _, hubs := twoHubs(t, clk, time.Hour)
	a, b := hubs[0], hubs[1]
	for i := range 5 {
		if resp, _ := consoleLogin(t, a, "jabar", "wrong password "+string(rune('a'+i)), "id"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d on hub A: %s", i, resp.Status)
		}
	}
	resp, body := consoleLogin(t, b, "jabar", consolePassword, "id")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" ||
		!strings.Contains(body, "Terlalu banyak percobaan masuk") || !strings.Contains(body, `role="alert"`) {
		t.Fatalf("hub B after 5 failures on A: %s Retry-After %q\n%s", resp.Status, resp.Header.Get("Retry-After"), body)
	}
	resp, body = consoleLogin(t, b, "jabar", consolePassword, "en")
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many sign-in attempts") {
		t.Fatalf("in English: %s\n%.400s", resp.Status, body)
	}
	// Another name is not slowed down by jabar's attempts.
	if resp, _ := consoleLogin(t, b, "someone", "whatever it is", "en"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("another name: %s", resp.Status)
	}
	clk.Add(4 * time.Second) // 7 attempts: the wait after them is 4 s from the last
	if resp, _ := consoleLogin(t, b, "jabar", consolePassword, "id"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the wait: %s", resp.Status)
	}
	if resp, _ := consoleLogin(t, a, "jabar", "wrong again", "id"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the success did not clear the attempts: %s", resp.Status)
	}
}
