package http_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/fleet"
	fleethttp "github.com/anjungan/anjungan/fleet/http"
	"github.com/anjungan/anjungan/fleet/postgres"
	"github.com/anjungan/anjungan/internal/pgtest"
	"github.com/anjungan/anjungan/station/account"
)

// clock is the hub's injected clock; tests move it forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type consoleRig struct {
	url     string
	console *fleethttp.Console
	store   *postgres.Store
	clock   *clock
	watcher *fleet.Watcher
	seq     map[string]uint64
}

// The rig's fleet: two kiosks in West Java (province 32: Bandung 3273
// and Bekasi 3275) and one in Jakarta (3171, province 31), and a user
// per kind of scope. Every password is consolePassword.
var (
	rigKiosks = []fleet.Kiosk{
		{ID: "bdg-01", Name: "MPP Bandung", Regency: "3273", Province: "32"},
		{ID: "bks-01", Name: "Disdukcapil Bekasi", Regency: "3275", Province: "32"},
		{ID: "jkt-01", Name: "Balai Kota Jakarta", Regency: "3171", Province: "31"},
	}
	rigUsers = map[string]string{"menteri": "all", "jabar": "province:32", "bandung": "regency:3273", "jakarta": "kiosks:jkt-01"}
)

const consolePassword = "correct horse battery"

// mustConsole serves the console on 127.0.0.1 over plain HTTP (the
// browser treats loopback as secure) on a fresh database, with the rig's
// fleet reporting at t0.
func mustConsole(t *testing.T) *consoleRig {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: t0}
	store, err := postgres.Open(ctx, pgtest.MustDB(t), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	th := fleet.DefaultThresholds
	c := fleethttp.NewConsole(store, clk.Now, th, zerolog.Nop(), 50*time.Millisecond)
	c.Hub = "test hub"
	run, cancel := context.WithCancel(ctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: c, BaseContext: func(net.Listener) context.Context { return run }}
	done := make(chan struct{})
	go func() { defer close(done); c.Run(run) }()
	go srv.Serve(ln)
	t.Cleanup(func() { cancel(); srv.Close(); <-done })
	r := &consoleRig{url: "http://" + ln.Addr().String(), console: c, store: store, clock: clk,
		watcher: &fleet.Watcher{Store: store, Now: clk.Now, Thresholds: th}, seq: map[string]uint64{}}
	for _, k := range rigKiosks {
		k.EnrolledAt = t0.Add(-24 * time.Hour)
		if err := store.Enrol(ctx, k); err != nil {
			t.Fatal(err)
		}
		r.report(t, k.ID)
	}
	cheap := account.Params{Time: 1, Memory: 64, Threads: 1} // the console reads the costs from the hash
	for name, scope := range rigUsers {
		h, err := account.Hash(consolePassword, rand.Reader, cheap)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := fleet.ParseScope(scope)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.AddUser(ctx, fleet.User{Name: name, PasswordHash: h, Scope: sc, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// report ingests a kiosk's day: in service, a card printer with ribbon,
// 100 blank cards loaded and 3 printed KTP-el, one in doubt.
func (r *consoleRig) report(t *testing.T, kiosk string) {
	t.Helper()
	if r.seq[kiosk] > 0 {
		r.ingest(t, kiosk, fleet.KindKioskState, fleet.KioskState{State: "in_service"})
		return
	}
	r.ingest(t, kiosk, fleet.KindKioskState, fleet.KioskState{State: "in_service"})
	r.ingest(t, kiosk, fleet.KindPrinterState, fleet.PrinterState{Printer: "card-1", Media: "card", State: "idle", Supplies: map[string]int{"ribbon": 60}})
	r.ingest(t, kiosk, fleet.KindBlankMovement, fleet.BlankMovement{Printer: "card-1", Kind: "load", Count: 100, Balance: 100})
	for i := range 3 {
		r.ingest(t, kiosk, fleet.KindBlankMovement, fleet.BlankMovement{Printer: "card-1", Kind: "print", Count: 1, Balance: 99 - i})
		r.ingest(t, kiosk, fleet.KindPrintOutcome, fleet.PrintOutcome{DocumentType: "ktp-el", Outcome: "printed", JobRef: fmt.Sprintf("j%d", i)})
	}
	r.ingest(t, kiosk, fleet.KindJobState, fleet.JobState{JobRef: "j9", DocumentType: "ktp-el", Media: "card", State: "in_doubt"})
}

// ingest sends one event on the printerd stream (every kind is stored
// the same way whichever stream carries it).
func (r *consoleRig) ingest(t *testing.T, kiosk string, kind fleet.Kind, v any) {
	t.Helper()
	d, _ := json.Marshal(v)
	r.seq[kiosk]++
	b := fleet.Batch{Stream: fleet.StreamPrinterd, Events: []fleet.Event{{Seq: r.seq[kiosk], At: r.clock.Now(), Kind: kind, Data: d}}}
	if _, err := r.store.Ingest(context.Background(), kiosk, b); err != nil {
		t.Fatal(err)
	}
}

func (r *consoleRig) tick(t *testing.T) []fleet.Alert {
	t.Helper()
	opened, err := r.watcher.Tick(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return opened
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// login signs in and returns the session cookie.
func (r *consoleRig) login(t *testing.T, name, password string, header map[string]string) (*http.Response, *http.Cookie) {
	t.Helper()
	req, _ := http.NewRequest("POST", r.url+"/login", strings.NewReader(url.Values{"name": {name}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", r.url)
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-anjungan-fleet" {
			return resp, c
		}
	}
	return resp, nil
}

func (r *consoleRig) mustLogin(t *testing.T, name string) *http.Cookie {
	t.Helper()
	resp, c := r.login(t, name, consolePassword, nil)
	if resp.StatusCode != http.StatusSeeOther || c == nil {
		t.Fatalf("login %s: %s, cookie %v", name, resp.Status, c)
	}
	return c
}

func (r *consoleRig) get(t *testing.T, path string, c *http.Cookie, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", r.url+path, nil)
	if c != nil {
		req.AddCookie(c)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// A scoped user never sees another scope's kiosk: not on the overview,
// not in its alerts, not on the live stream.
func TestConsoleScopes(t *testing.T) {
	r := mustConsole(t)
	r.clock.Add(time.Hour) // every kiosk silent for an hour: all offline
	if opened := r.tick(t); len(opened) != 3 {
		t.Fatalf("opened %v, want 3 offline alerts", opened)
	}
	want := map[string][]string{"menteri": {"bdg-01", "bks-01", "jkt-01"}, "jabar": {"bdg-01", "bks-01"},
		"bandung": {"bdg-01"}, "jakarta": {"jkt-01"}}
	for name, sees := range want {
		c := r.mustLogin(t, name)
		resp, body := r.get(t, "/", c)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s", name, resp.Status)
		}
		for _, k := range rigKiosks {
			seen := strings.Contains(body, `id="kiosk-`+k.ID+`"`)
			visible := strings.Contains(strings.Join(sees, " "), k.ID)
			if seen != visible {
				t.Errorf("%s sees %s on the overview: %v, want %v", name, k.ID, seen, visible)
			}
			if !visible && (strings.Contains(body, k.ID) || strings.Contains(body, k.Name)) {
				t.Errorf("%s's page names %s", name, k.ID)
			}
			if got := strings.Contains(body, `data-kiosk="`+k.ID+`"`); got != visible {
				t.Errorf("%s sees %s's alert: %v, want %v", name, k.ID, got, visible)
			}
		}
	}
	// Live: bandung's stream carries only bdg-01's alerts. A printer of
	// each kiosk stops; then bdg-01 reports again, which closes its
	// offline alert: the "closed" event comes after every "opened" one.
	c := r.mustLogin(t, "bandung")
	events := r.stream(t, c)
	if first := <-events; first.name != "alerts" || !strings.Contains(first.data, `data-kiosk="bdg-01"`) || strings.Contains(first.data, "bks-01") {
		t.Fatalf("first event %+v", first)
	}
	for _, k := range rigKiosks {
		r.ingest(t, k.ID, fleet.KindPrinterState, fleet.PrinterState{Printer: "card-1", Media: "card", State: "stopped", Reasons: []string{"media-jam"}})
	}
	r.clock.Add(time.Minute)
	r.tick(t)
	// The printer events made every kiosk seen again: the offline alerts
	// close in the same tick that opens the printer alerts.
	var opened []string
	closed := 0
	for e := range events {
		switch e.name {
		case "opened":
			opened = append(opened, e.data)
			if strings.Contains(e.data, "bks-01") || strings.Contains(e.data, "jkt-01") {
				t.Errorf("bandung's stream carries %s", e.data)
			}
		case "closed":
			closed++
		}
		if closed == 1 { // bdg-01's offline alert: the others are not in the scope
			break
		}
	}
	if len(opened) != 1 || !strings.Contains(opened[0], `data-kind="printer_stopped"`) {
		t.Errorf("bandung saw opened %v, want bdg-01's printer_stopped", opened)
	}
}

type sse struct{ name, data string }

// stream opens /events and returns its events; it fails the test when
// none comes for 10 seconds.
func (r *consoleRig) stream(t *testing.T, c *http.Cookie) <-chan sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", r.url+"/events", nil)
	req.AddCookie(c)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("/events: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	raw := make(chan sse)
	go func() {
		defer resp.Body.Close()
		defer close(raw)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var e sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				e.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				if e.data != "" {
					e.data += "\n"
				}
				e.data += line[6:]
			case line == "" && e.name != "":
				select {
				case raw <- e:
				case <-ctx.Done():
					return
				}
				e = sse{}
			}
		}
	}()
	out := make(chan sse)
	go func() {
		defer close(out)
		for {
			select {
			case e, ok := <-raw:
				if !ok {
					return
				}
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			case <-time.After(10 * time.Second):
				t.Error("no event on /events for 10 s")
				cancel()
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func TestConsoleLogin(t *testing.T) {
	r := mustConsole(t)
	if resp, _ := r.get(t, "/", nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("/ without a session: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	if resp, _ := r.get(t, "/events", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/events without a session: %s", resp.Status)
	}
	if resp, c := r.login(t, "jabar", "wrong password!", nil); resp.StatusCode != http.StatusUnauthorized || c != nil {
		t.Errorf("wrong password: %s, cookie %v", resp.Status, c)
	}
	if resp, c := r.login(t, "nobody", consolePassword, nil); resp.StatusCode != http.StatusUnauthorized || c != nil {
		t.Errorf("unknown user: %s, cookie %v", resp.Status, c)
	}
	for name, h := range map[string]map[string]string{
		"foreign Origin":                  {"Origin": "https://evil.example"},
		"no Origin, no Sec-Fetch-Site":    {"Origin": ""},
		"no Origin, cross-site fetch":     {"Origin": "", "Sec-Fetch-Site": "cross-site"},
		"Origin of another port, same IP": {"Origin": "http://127.0.0.1:1"},
	} {
		if resp, c := r.login(t, "jabar", consolePassword, h); resp.StatusCode != http.StatusForbidden || c != nil {
			t.Errorf("%s: %s, cookie %v", name, resp.Status, c)
		}
	}
	if resp, c := r.login(t, "jabar", consolePassword, map[string]string{"Origin": "", "Sec-Fetch-Site": "same-origin"}); resp.StatusCode != http.StatusSeeOther || c == nil {
		t.Errorf("same-origin fetch without Origin: %s", resp.Status)
	}
	c := r.mustLogin(t, "jabar")
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("session cookie %+v", c)
	}
	if resp, _ := r.get(t, "/", c); resp.StatusCode != 200 {
		t.Fatalf("/ signed in: %s", resp.Status)
	}
	// Sessions expire.
	r.clock.Add(fleethttp.SessionLifetime + time.Second)
	if resp, _ := r.get(t, "/", c); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("/ with an expired session: %s", resp.Status)
	}
	// Logout ends the session on the hub, not just in the browser.
	c = r.mustLogin(t, "jabar")
	req, _ := http.NewRequest("POST", r.url+"/logout", nil)
	req.Header.Set("Origin", r.url)
	req.AddCookie(c)
	resp, err := noRedirect.Do(req)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %v %v", resp, err)
	}
	if resp, _ := r.get(t, "/", c); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("/ after logout: %s", resp.Status)
	}
}

// TestConsolePasswordChecksQueue: a login that finds the password check
// busy waits for it, and past the wait is answered 429 with Retry-After
// and a page in the user's language, without a session; once the check
// is free the same login succeeds.
func TestConsolePasswordChecksQueue(t *testing.T) {
	r := mustConsole(t)
	r.console.PasswordChecks = account.NewGate(1, 32, 50*time.Millisecond)
	taken, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- r.console.PasswordChecks.Do(context.Background(), func() { close(taken); <-release })
	}()
	<-taken
	req, _ := http.NewRequest("POST", r.url+"/login?lang=en", strings.NewReader(url.Values{"name": {"jabar"}, "password": {consolePassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", r.url)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "10" {
		t.Errorf("login while the check is busy: %s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(string(body), "Wait 10 seconds") {
		t.Errorf("the refusal's page does not say how long to wait: %s", body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-anjungan-fleet" {
			t.Errorf("a refused login got a session: %v", c)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r.mustLogin(t, "jabar")
}

func TestConsoleLanguage(t *testing.T) {
	r := mustConsole(t)
	c := r.mustLogin(t, "menteri")
	for _, tc := range []struct {
		path, accept, lang, words string
	}{
		{"/", "", "id", "Peringatan terbuka"},
		{"/", "en-GB,en;q=0.9", "en", "Open alerts"},
		{"/", "id-ID,en;q=0.5", "id", "Peringatan terbuka"},
		{"/?lang=en", "id", "en", "Open alerts"},
		{"/?lang=id", "en", "id", "Peringatan terbuka"},
		{"/login?lang=en", "", "en", "Sign in"},
	} {
		_, body := r.get(t, tc.path, c, "Accept-Language", tc.accept)
		if !strings.Contains(body, `<html lang="`+tc.lang+`">`) || !strings.Contains(body, tc.words) {
			t.Errorf("%s (Accept-Language %q): want lang %s and %q", tc.path, tc.accept, tc.lang, tc.words)
		}
	}
}

// Every key of the console's words exists in both languages, and every
// alert kind has its name and next step.
func TestConsoleTexts(t *testing.T) {
	id, en := fleethttp.ConsoleTexts("id"), fleethttp.ConsoleTexts("en")
	for k := range id {
		if en[k] == "" {
			t.Errorf("%q has no English", k)
		}
	}
	for k := range en {
		if id[k] == "" {
			t.Errorf("%q has no Bahasa Indonesia", k)
		}
	}
	for _, kind := range fleet.AlertKinds {
		for _, k := range []string{"kind_", "next_"} {
			if id[k+string(kind)] == "" {
				t.Errorf("no %s%s", k, kind)
			}
		}
	}
	for _, s := range []string{fleet.StatusInService, fleet.StatusOutOfService, fleet.StatusClosed, fleet.StatusOffline, fleet.StatusNeverSeen, fleet.StatusRevoked} {
		if id["status_"+s] == "" {
			t.Errorf("no status_%s", s)
		}
	}
}
