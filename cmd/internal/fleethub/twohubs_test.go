package fleethub_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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
// hubArgs adds flags to hub i's and logs gives its log (nil: none).
func twoHubs(t *testing.T, clk *hubClock, poll time.Duration, hubArgs func(i int) []string, logs [2]io.Writer) (dsn, ca string, hubs [2]*fleethub.Main) {
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
		if logs[i] != nil {
			m.Stderr = logs[i]
		}
		m.Now = clk.Now
		m.ConsolePoll = poll
		if err := m.ParseFlags(append([]string{"-db", dsn, "-listen", "127.0.0.1:0", "-tls-cert", filepath.Join(ca, "fleethub.crt"),
			"-tls-key", filepath.Join(ca, "fleethub.key"), "-client-ca", filepath.Join(ca, "fleet-ca.crt"),
			"-console-addr", "127.0.0.1:0", "-metrics-addr", ""}, hubArgs(i)...)); err != nil {
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
	_, _, hubs := twoHubs(t, clk, time.Hour, func(int) []string { return nil }, [2]io.Writer{})
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
	resp, _ = consoleLogin(t, b, "jabar", consolePassword, "id")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the wait: %s", resp.Status)
	}
	// The hub names itself on reports by its certificate.
	req, _ := http.NewRequest("GET", b.ConsoleURL()+"/reports/blanks?month=2026-11&format=csv", nil)
	req.AddCookie(resp.Cookies()[0])
	rep, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(rep.Body).ReadAll()
	rep.Body.Close()
	if err != nil || len(recs) != 2 || !regexp.MustCompile(`^fleethub \(SHA-256 [0-9a-f]{16}\)$`).MatchString(recs[1][21]) {
		t.Fatalf("report: %v %v", recs, err)
	}
	if resp, _ := consoleLogin(t, a, "jabar", "wrong again", "id"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the success did not clear the attempts: %s", resp.Status)
	}
}

// lockedBuffer is a log both the hub and the test use.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A console page served by hub A receives live the alert hub B opened:
// A's alert loop does not run after its start (-alert-every 1h), B's
// runs every 50 ms; A's console polls the shared alerts table and sends
// the new alert on the page's event stream.
func TestConsoleLiveAlertFromOtherHub(t *testing.T) {
	clk := &hubClock{t: time.Now()}
	logA, logB := &lockedBuffer{}, &lockedBuffer{}
	dsn, ca, hubs := twoHubs(t, clk, 50*time.Millisecond, func(i int) []string {
		return [][]string{{"-alert-every", "1h"}, {"-alert-every", "50ms"}}[i]
	}, [2]io.Writer{logA, logB})
	a := hubs[0]
	resp, _ := consoleLogin(t, a, "jabar", consolePassword, "en")
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("login on A: %s", resp.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", a.ConsoleURL()+"/events?lang=en", nil)
	req.AddCookie(resp.Cookies()[0])
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	events := make(chan [2]string, 16) // event name, data
	go func() {
		defer close(events)
		sc := bufio.NewScanner(stream.Body)
		var name, data string
		for sc.Scan() {
			switch line := sc.Text(); {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data += strings.TrimPrefix(line, "data: ") + "\n"
			case line == "":
				if name != "" {
					events <- [2]string{name, data}
				}
				name, data = "", ""
			}
		}
	}()
	if e := <-events; e[0] != "alerts" || strings.Contains(e[1], "data-kiosk") {
		t.Fatalf("first event %v, want an empty alerts list", e)
	}
	// A kiosk in West Java, enrolled now, then silent for an hour.
	keys := filepath.Join(t.TempDir(), "kiosk")
	mustCtl(t, "fleet", "enrol", "-kiosk", "bdg-01", "-key-dir", keys)
	mustCtl(t, "fleet", "sign", "-csr", filepath.Join(keys, "bdg-01.csr"), "-dir", ca, "-hub-db", dsn, "-regency", "3273", "-province", "32")
	clk.Add(time.Hour)
	for e := range events {
		if e[0] == "opened" {
			if !strings.Contains(e[1], `data-kind="kiosk_offline"`) || !strings.Contains(e[1], `data-kiosk="bdg-01"`) {
				t.Fatalf("opened %q", e[1])
			}
			if !strings.Contains(logB.String(), "alert opened") || strings.Contains(logA.String(), "alert opened") {
				t.Fatalf("the alert was not opened by hub B alone:\nA: %s\nB: %s", logA, logB)
			}
			return
		}
	}
	t.Fatal("the stream ended without the alert")
}
