package http

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"errors"
	"html/template"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/account"
	"github.com/anjungan/anjungan/station/sqlite"
)

const (
	testPassword = "kata sandi yang panjang"
	testNIK      = "3171014501900001"
	testOrigin   = "http://example.com" // httptest.NewRequest's host
)

// cheapHash keeps argon2id's format but not its cost, so tests run fast.
var cheapHash = account.Params{Time: 1, Memory: 64, Threads: 1}

// consoleRig is a console with real SQLite accounts, a fake printerd and a
// fake audit log, on an injected clock.
type consoleRig struct {
	tb       testing.TB
	s        *Console
	audit    *fakeAudit
	pd       *fakePrinterd
	clock    *clock
	accounts *sqlite.Accounts
	waits    *waits
	pins     *fakePINs
}

// waits records the throttle delays logins were made to wait, without
// waiting.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return nil
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// deps are the rig's console dependencies with audit as the log.
func (r *consoleRig) deps(audit station.AuditLog) ConsoleDeps {
	return ConsoleDeps{Printerd: r.pd, Audit: audit, Accounts: r.accounts, PrinterdAudit: fakeCheckpoints{},
		Now: r.clock.Now, Rand: rand.Reader, Hashing: cheapHash, Sleep: r.waits.sleep, PINs: r.pins}
}

// MustConsole returns a rig with the accounts siti (supervisor), tono
// (technician) and ani (auditor), all with testPassword.
func MustConsole(tb testing.TB) *consoleRig {
	tb.Helper()
	clk := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	pd := newFakePrinterd(clk.Now())
	r := mustConsoleOn(tb, pd, clk)
	r.pd = pd
	return r
}

// mustConsoleOn is MustConsole's rig on printerd pd and clock clk.
func mustConsoleOn(tb testing.TB, pd ConsolePrinterd, clk *clock) *consoleRig {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "station.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	r := &consoleRig{tb: tb, audit: &fakeAudit{}, clock: clk, accounts: sqlite.NewAccounts(db), waits: &waits{}, pins: &fakePINs{}}
	for name, role := range map[string]account.Role{"siti": account.Supervisor, "tono": account.Technician, "ani": account.Auditor} {
		h, err := account.Hash(testPassword, rand.Reader, cheapHash)
		if err != nil {
			tb.Fatal(err)
		}
		if err := r.accounts.AddAccount(context.Background(), account.Account{Name: name, Role: role, Hash: h, Created: clk.Now()}); err != nil {
			tb.Fatal(err)
		}
	}
	deps := r.deps(r.audit)
	deps.Printerd = pd
	r.s = NewConsole(deps, zerolog.Nop())
	r.s.liveFor = 0 // an event stream sends its first event and ends
	return r
}

// request is one request to the console.
type request struct {
	method, path string
	form         url.Values
	cookies      map[string]string
	header       map[string]string
}

func (r *consoleRig) do(q request) *http.Response {
	r.tb.Helper()
	var body io.Reader
	if q.form != nil {
		body = strings.NewReader(q.form.Encode())
	}
	req := httptest.NewRequest(q.method, q.path, body)
	if q.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range q.header {
		req.Header.Set(k, v)
	}
	for k, v := range q.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := r.s.app.Test(req, -1)
	if err != nil {
		r.tb.Fatal(err)
	}
	r.tb.Cleanup(func() { res.Body.Close() })
	return res
}

func body(tb testing.TB, res *http.Response) string {
	tb.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func cookie(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// sameOrigin is what Chromium sends with a form posted from the console.
var sameOrigin = map[string]string{"Origin": testOrigin, "Sec-Fetch-Site": "same-origin"}

// session is a logged-in browser.
type session struct {
	id, csrf string
}

func (s session) cookies() map[string]string { return map[string]string{consoleSessionCookie: s.id} }

// tryLogin fetches the login form and posts it, bringing extra cookies.
func (r *consoleRig) tryLogin(name, password string, extra map[string]string) *http.Response {
	r.tb.Helper()
	form := r.do(request{method: "GET", path: "/login"})
	lc := cookie(form, consoleLoginCookie)
	if lc == nil {
		r.tb.Fatal("login form set no token cookie")
	}
	cookies := map[string]string{consoleLoginCookie: lc.Value}
	for k, v := range extra {
		cookies[k] = v
	}
	return r.do(request{method: "POST", path: "/login", header: sameOrigin, cookies: cookies,
		form: url.Values{"login_token": {lc.Value}, "name": {name}, "password": {password}}})
}

// MustLogin logs name in and returns the browser's session.
func (r *consoleRig) MustLogin(name string) session {
	r.tb.Helper()
	res := r.tryLogin(name, testPassword, nil)
	c := cookie(res, consoleSessionCookie)
	if res.StatusCode != http.StatusSeeOther || c == nil {
		r.tb.Fatalf("login of %s: %d %s", name, res.StatusCode, body(r.tb, res))
	}
	ss, err := r.accounts.Session(context.Background(), account.HashSessionID(c.Value))
	if err != nil {
		r.tb.Fatal(err)
	}
	return session{id: c.Value, csrf: ss.CSRF}
}

// consoleRoute is one route with a request that succeeds for a role
// allowed to use it, and the status each kind of visitor gets.
type consoleRoute struct {
	method, pattern, path string
	form                  url.Values
	// want is the status for "", supervisor, technician and auditor.
	anon, supervisor, technician, auditor int
}

const (
	ok        = http.StatusOK
	redirect  = http.StatusSeeOther
	forbidden = http.StatusForbidden
	noSession = http.StatusUnauthorized
)

func consoleRoutes() []consoleRoute {
	return []consoleRoute{
		{"GET", "/healthz", "/healthz", nil, ok, ok, ok, ok},
		{"GET", "/console.css", "/console.css", nil, ok, ok, ok, ok},
		{"GET", "/console.js", "/console.js", nil, ok, ok, ok, ok},
		{"GET", "/events", "/events", nil, noSession, ok, ok, ok},
		{"GET", "/login", "/login", nil, ok, redirect, redirect, redirect},
		{"POST", "/logout", "/logout", url.Values{}, noSession, redirect, redirect, redirect},
		{"GET", "/", "/", nil, redirect, ok, ok, ok},
		{"GET", "/jobs/:id", "/jobs/J1", nil, redirect, ok, ok, ok},
		{"POST", "/jobs/:id/resolve", "/jobs/J1/resolve", url.Values{"action": {"printed"}}, noSession, redirect, forbidden, forbidden},
		{"POST", "/jobs/:id/release", "/jobs/J3/release", url.Values{}, noSession, redirect, redirect, forbidden},
		{"GET", "/printers/:name", "/printers/card-1", nil, redirect, ok, ok, ok},
		{"POST", "/printers/:name/resume", "/printers/card-1/resume", url.Values{}, noSession, redirect, redirect, forbidden},
		{"GET", "/ledger", "/ledger", nil, redirect, ok, ok, forbidden},
		{"POST", "/ledger/loads", "/ledger/loads", url.Values{"printer": {"card-1"}, "count": {"100"}}, noSession, redirect, redirect, forbidden},
		{"GET", "/audit", "/audit?kind=print.", nil, redirect, ok, forbidden, ok},
		{"GET", "/audit.csv", "/audit.csv", nil, redirect, ok, forbidden, ok},
		{"POST", "/audit/nik", "/audit/nik", url.Values{"nik": {testNIK}}, noSession, ok, forbidden, forbidden},
		{"GET", "/integrity", "/integrity", nil, redirect, ok, forbidden, ok},
		{"GET", "/exports", "/exports", nil, redirect, ok, ok, ok},
		{"GET", "/report.pdf", "/report.pdf?day=2025-03-01", nil, redirect, ok, ok, ok},
		{"GET", "/pins", "/pins", nil, redirect, ok, forbidden, forbidden},
		{"POST", "/pins/lift", "/pins/lift", url.Values{"nik": {testNIK}, "reason": {"identity-checked"}}, noSession, ok, forbidden, forbidden},
		{"POST", "/integrity/verify", "/integrity/verify", url.Values{}, noSession, redirect, forbidden, redirect},
	}
}

// TestRoutesAreAllListed keeps consoleRoutes complete: a new route must
// be added there, with its answer for every role.
func TestRoutesAreAllListed(t *testing.T) {
	r := MustConsole(t)
	listed := map[string]bool{"POST /login": true} // TestLogin and TestCSRF cover it
	for _, rt := range consoleRoutes() {
		listed[rt.method+" "+rt.pattern] = true
	}
	var missing []string
	for _, rt := range r.s.app.GetRoutes(true) {
		if rt.Method != "GET" && rt.Method != "POST" {
			continue
		}
		if !listed[rt.Method+" "+rt.Path] {
			missing = append(missing, rt.Method+" "+rt.Path)
		}
		delete(listed, rt.Method+" "+rt.Path)
	}
	sort.Strings(missing)
	if len(missing) > 0 || len(listed) > 0 {
		t.Errorf("routes not in consoleRoutes: %v; listed but not served: %v", missing, listed)
	}
}

func TestRouteByRole(t *testing.T) {
	for _, rt := range consoleRoutes() {
		for _, who := range []struct {
			name string
			want int
		}{{"", rt.anon}, {"siti", rt.supervisor}, {"tono", rt.technician}, {"ani", rt.auditor}} {
			t.Run(rt.method+" "+rt.pattern+" as "+who.name, func(t *testing.T) {
				r := MustConsole(t)
				q := request{method: rt.method, path: rt.path}
				if rt.method == "POST" {
					q.header = sameOrigin
					q.form = url.Values{}
					for k, v := range rt.form {
						q.form[k] = v
					}
				}
				if who.name != "" {
					ss := r.MustLogin(who.name)
					q.cookies = ss.cookies()
					if q.form != nil {
						q.form.Set(csrfField, ss.csrf)
					}
				}
				res := r.do(q)
				if res.StatusCode != who.want {
					t.Fatalf("status %d, want %d: %s", res.StatusCode, who.want, body(t, res))
				}
				if who.want == redirect && who.name == "" && res.Header.Get("Location") != "/login" {
					t.Errorf("anonymous redirect to %q, want /login", res.Header.Get("Location"))
				}
				if who.want == forbidden && len(r.pd.done()) > 0 {
					t.Errorf("a refused request reached printerd: %v", r.pd.done())
				}
			})
		}
	}
}

// TestCSRF sends every state-changing route, as a supervisor who may use
// it, without the proof that the request comes from the console.
func TestCSRF(t *testing.T) {
	tests := []struct {
		name   string
		token  func(own, other session) string
		header map[string]string
	}{
		{"no token", func(session, session) string { return "" }, sameOrigin},
		{"wrong token", func(session, session) string { return "x" + strings.Repeat("A", 42) }, sameOrigin},
		{"token of another session", func(_, other session) string { return other.csrf }, sameOrigin},
		{"cross-site origin", func(own, _ session) string { return own.csrf }, map[string]string{"Origin": "https://evil.example"}},
		{"cross-site fetch", func(own, _ session) string { return own.csrf }, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"same-site fetch", func(own, _ session) string { return own.csrf }, map[string]string{"Sec-Fetch-Site": "same-site", "Origin": testOrigin}},
		{"cross-site fetch, own origin", func(own, _ session) string { return own.csrf }, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": testOrigin}},
		{"null origin", func(own, _ session) string { return own.csrf }, map[string]string{"Origin": "null"}},
		{"no origin headers", func(own, _ session) string { return own.csrf }, nil},
	}
	for _, rt := range consoleRoutes() {
		if rt.method != "POST" {
			continue
		}
		for _, tt := range tests {
			t.Run(rt.pattern+" "+tt.name, func(t *testing.T) {
				r := MustConsole(t)
				own, other := r.MustLogin("siti"), r.MustLogin("ani")
				before := len(r.audit.kinds())
				form := url.Values{}
				for k, v := range rt.form {
					form[k] = v
				}
				if tok := tt.token(own, other); tok != "" {
					form.Set(csrfField, tok)
				}
				res := r.do(request{method: "POST", path: rt.path, form: form, header: tt.header, cookies: own.cookies()})
				if res.StatusCode != forbidden {
					t.Fatalf("status %d, want 403", res.StatusCode)
				}
				if len(r.pd.done()) > 0 || r.audit.verified > 0 || len(r.audit.kinds()) != before {
					t.Errorf("refused request had effects: printerd %v, verified %d, audit %v", r.pd.done(), r.audit.verified, r.audit.kinds()[before:])
				}
				if _, err := r.accounts.Session(context.Background(), account.HashSessionID(own.id)); err != nil {
					t.Errorf("session gone after a refused request: %v", err)
				}
			})
		}
	}
	// The header carries the token as well as the form field.
	r := MustConsole(t)
	own := r.MustLogin("siti")
	h := map[string]string{"Origin": testOrigin, csrfHeader: own.csrf}
	if res := r.do(request{method: "POST", path: "/integrity/verify", header: h, cookies: own.cookies(), form: url.Values{}}); res.StatusCode != redirect {
		t.Errorf("token in header: %d", res.StatusCode)
	}
}

func TestLoginCSRF(t *testing.T) {
	r := MustConsole(t)
	form := r.do(request{method: "GET", path: "/login"})
	tok := cookie(form, consoleLoginCookie).Value
	tests := []struct {
		name    string
		cookie  string
		field   string
		header  map[string]string
		wantErr bool
	}{
		{"no field", tok, "", sameOrigin, true},
		{"no cookie", "", tok, sameOrigin, true},
		{"mismatch", tok, "x" + tok[1:], sameOrigin, true},
		{"cross-site", tok, tok, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, true},
		{"no origin headers", tok, tok, nil, true},
		{"good", tok, tok, sameOrigin, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := r.do(request{method: "POST", path: "/login", header: tt.header,
				cookies: map[string]string{consoleLoginCookie: tt.cookie},
				form:    url.Values{"login_token": {tt.field}, "name": {"siti"}, "password": {testPassword}}})
			if got := res.StatusCode == forbidden; got != tt.wantErr || cookie(res, consoleSessionCookie) != nil == tt.wantErr {
				t.Errorf("status %d, session cookie %v", res.StatusCode, cookie(res, consoleSessionCookie))
			}
		})
	}
}

func TestLogin(t *testing.T) {
	r := MustConsole(t)
	res := r.tryLogin("siti", testPassword, nil)
	c := cookie(res, consoleSessionCookie)
	if res.StatusCode != redirect || res.Header.Get("Location") != "/" || c == nil {
		t.Fatalf("login: %d %v", res.StatusCode, c)
	}
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" || len(c.Value) != 43 {
		t.Errorf("session cookie %+v: want __Host- rules, Secure, HttpOnly, SameSite=Strict, 256-bit id", c)
	}
	if got := r.audit.last(); got.Kind != "console.login" || got.Actor != "siti" || got.Fields["outcome"] != "ok" {
		t.Errorf("audit entry %+v", got)
	}
	// Only the hash of the id is stored.
	if _, err := r.accounts.Session(context.Background(), c.Value); err == nil {
		t.Error("the raw session id opens a stored session")
	}

	tests := []struct {
		name, account, password string
		wantActor               string
	}{
		{"wrong password", "siti", "salah sekali", "siti"},
		{"unknown account", "nobody", testPassword, "unknown"},
		{"password typed as name", "Kata Sandi Rahasia", "", "unknown"},
		{"empty", "", "", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustConsole(t)
			res := r.tryLogin(tt.account, tt.password, nil)
			if res.StatusCode != http.StatusUnauthorized || cookie(res, consoleSessionCookie) != nil {
				t.Fatalf("status %d", res.StatusCode)
			}
			page := body(t, res)
			if !strings.Contains(page, texts("id")["login_refused"]) {
				t.Error("no refusal message")
			}
			got := r.audit.last()
			if got.Kind != "console.login" || got.Actor != tt.wantActor || got.Fields["outcome"] != "refused" {
				t.Errorf("audit entry %+v", got)
			}
		})
	}
}

// TestLoginThrottle: wrong passwords slow the next attempts down, never
// lock anyone out; a correct password is always checked after its wait.
func TestLoginThrottle(t *testing.T) {
	d := loginDelays()
	t.Run("a stranger's guesses slow the account and never lock it", func(t *testing.T) {
		r := MustConsole(t)
		for i := 0; i < 20; i++ {
			if res := r.tryLogin("siti", "salah", nil); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: %d", i+1, res.StatusCode)
			}
		}
		res := r.tryLogin("siti", testPassword, nil)
		if res.StatusCode != redirect || cookie(res, consoleSessionCookie) == nil {
			t.Fatalf("right password after 20 wrong ones: %d, want a session", res.StatusCode)
		}
		w := r.waits.all()
		if len(w) != 21-loginFree || w[0] != d.First || w[len(w)-1] != loginMaxWait {
			t.Errorf("waits %v: want %d of them, from %v to %v", w, 21-loginFree, d.First, loginMaxWait)
		}
		if got := r.audit.last(); got.Fields["outcome"] != "ok" || got.Fields["delay"] != "30s" {
			t.Errorf("audit entry %+v, want ok with its delay", got)
		}
		// A success clears the account's attempts (the address's stay).
		if w, err := r.s.accounts.Attempt("account:siti"); err != nil || w != 0 {
			t.Errorf("the account's next attempt waits %v, %v", w, err)
		}
	})
	t.Run("concurrent wrong passwords each count before hashing", func(t *testing.T) {
		r := MustConsole(t)
		const n = 30
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.tryLogin("siti", "salah", nil)
			}()
		}
		wg.Wait()
		// Counted after their check, all 30 would be checked with no wait.
		w := r.waits.all()
		if len(w) != n-loginFree {
			t.Fatalf("%d of %d concurrent attempts waited (%v); want all but the first %d", len(w), n, w, loginFree)
		}
		longest := slices.Max(w)
		if longest != loginMaxWait {
			t.Errorf("longest wait %v, want %v", longest, loginMaxWait)
		}
	})
	t.Run("per client beyond loopback", func(t *testing.T) {
		r := MustConsole(t) // app.Test's client is 0.0.0.0
		for i := 0; i < loginFree; i++ {
			r.tryLogin("user"+string(rune('a'+i)), "salah", nil)
		}
		res := r.tryLogin("ani", testPassword, nil)
		if res.StatusCode != redirect {
			t.Fatalf("another account from the same client: %d", res.StatusCode)
		}
		if w := r.waits.all(); len(w) != 1 || w[0] != d.First {
			t.Errorf("waits %v, want the client's %v", w, d.First)
		}
	})
}

// TestLoopbackConsoleNotLockedOut: on a console bound to loopback every
// browser has the address 127.0.0.1. Five wrong passwords of a stranger
// there must not keep another supervisor out (they did, for 15 minutes).
func TestLoopbackConsoleNotLockedOut(t *testing.T) {
	r := MustConsole(t)
	base := r.serve()
	for i := 0; i < 2*loginFree; i++ {
		if st := loginOver(t, base, "user"+string(rune('a'+i)), "salah"); st != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, st)
		}
	}
	if st := loginOver(t, base, "ani", testPassword); st != redirect {
		t.Fatalf("a supervisor after a stranger's %d wrong passwords on loopback: %d, want logged in", 2*loginFree, st)
	}
	if w := r.waits.all(); len(w) != 0 {
		t.Errorf("the supervisor waited %v for other accounts' failures", w)
	}
}

// serve serves the rig's console on 127.0.0.1:0 and returns its base URL.
func (r *consoleRig) serve() string {
	r.tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.tb.Fatal(err)
	}
	go func() { _ = r.s.Serve(ln) }()
	r.tb.Cleanup(func() { _ = r.s.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

// loginOver logs in through a real connection and returns the status.
func loginOver(tb testing.TB, base, name, password string) int {
	tb.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(base + "/login")
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	var tok string
	for _, c := range res.Cookies() {
		if c.Name == consoleLoginCookie {
			tok = c.Value
		}
	}
	form := url.Values{"login_token": {tok}, "name": {name}, "password": {password}}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.AddCookie(&http.Cookie{Name: consoleLoginCookie, Value: tok})
	res, err = hc.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestLoginNeedsTheAuditLog(t *testing.T) {
	r := MustConsole(t)
	r.audit.appendErr = errors.New("disk full")
	res := r.tryLogin("siti", testPassword, nil)
	if res.StatusCode < 500 || cookie(res, consoleSessionCookie) != nil {
		t.Errorf("login without an audit entry: %d", res.StatusCode)
	}
}

func TestSessionFixation(t *testing.T) {
	r := MustConsole(t)
	tests := []struct {
		name    string
		planted func() string
	}{
		{"made-up id", func() string { return strings.Repeat("A", 43) }},
		{"someone else's session", func() string { return r.MustLogin("ani").id }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			planted := tt.planted()
			res := r.tryLogin("siti", testPassword, map[string]string{consoleSessionCookie: planted})
			c := cookie(res, consoleSessionCookie)
			if res.StatusCode != redirect || c == nil || c.Value == planted {
				t.Fatalf("login kept the planted id: %d %v", res.StatusCode, c)
			}
			if res := r.do(request{method: "GET", path: "/", cookies: map[string]string{consoleSessionCookie: planted}}); res.StatusCode != redirect {
				t.Errorf("the planted id still opens a session: %d", res.StatusCode)
			}
			if res := r.do(request{method: "GET", path: "/audit", cookies: map[string]string{consoleSessionCookie: c.Value}}); res.StatusCode != ok {
				t.Errorf("the new session: %d", res.StatusCode)
			}
		})
	}
}

func TestSessionExpiry(t *testing.T) {
	tests := []struct {
		name string
		// steps are the pauses between requests; the last request must fail.
		steps []time.Duration
	}{
		{"idle", []time.Duration{account.IdleTimeout - time.Second, account.IdleTimeout}},
		{"absolute", func() []time.Duration {
			var s []time.Duration
			for d := time.Duration(0); d < account.AbsoluteTimeout-10*time.Minute; d += 10 * time.Minute {
				s = append(s, 10*time.Minute)
			}
			return append(s, 10*time.Minute)
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustConsole(t)
			ss := r.MustLogin("siti")
			for i, d := range tt.steps {
				r.clock.Add(d)
				res := r.do(request{method: "GET", path: "/", cookies: ss.cookies()})
				last := i == len(tt.steps)-1
				if last && (res.StatusCode != redirect || res.Header.Get("Location") != "/login") {
					t.Fatalf("after %v: %d, want a redirect to /login", d, res.StatusCode)
				}
				if !last && res.StatusCode != ok {
					t.Fatalf("step %d: %d", i, res.StatusCode)
				}
			}
			if _, err := r.accounts.Session(context.Background(), account.HashSessionID(ss.id)); !errors.Is(err, account.ErrNoSession) {
				t.Errorf("expired session still stored: %v", err)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	r := MustConsole(t)
	ss := r.MustLogin("siti")
	res := r.do(request{method: "POST", path: "/logout", header: sameOrigin, cookies: ss.cookies(), form: url.Values{csrfField: {ss.csrf}}})
	if res.StatusCode != redirect || res.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if c := cookie(res, consoleSessionCookie); c == nil || c.Value != "" || c.Expires.After(r.clock.Now()) {
		t.Errorf("logout does not clear the cookie: %+v", c)
	}
	if res := r.do(request{method: "GET", path: "/", cookies: ss.cookies()}); res.StatusCode != redirect {
		t.Errorf("the old cookie after logout: %d", res.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	r := MustConsole(t)
	ss := r.MustLogin("siti")
	for _, path := range []string{"/login", "/", "/audit"} {
		res := r.do(request{method: "GET", path: path, cookies: ss.cookies()})
		for h, want := range map[string]string{
			"Content-Security-Policy": consoleCSP, "Cache-Control": "no-store", "X-Frame-Options": "DENY",
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin",
		} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("%s %s = %q, want %q", path, h, got, want)
			}
		}
		if strings.Contains(consoleCSP, "unsafe") || !strings.Contains(consoleCSP, "default-src 'none'") {
			t.Errorf("CSP %q is not strict", consoleCSP)
		}
		page := body(t, res)
		if regexp.MustCompile(`\sstyle=|\son[a-z]+=`).MatchString(page) {
			t.Errorf("%s has inline script or style", path)
		}
		// The one script is the console's own file, never inline.
		own := regexp.MustCompile(`<script src="/console.js" defer></script>`)
		if strings.Count(page, "<script") != len(own.FindAllString(page, -1)) {
			t.Errorf("%s has inline script", path)
		}
	}
}

func TestNIKLookup(t *testing.T) {
	r := MustConsole(t)
	ctx := context.Background()
	nik := mustNIK(t, testNIK)
	subject := r.audit.SubjectOf(nik)
	_, _ = r.audit.Append(ctx, auditEntry("print.confirmed", subject, r.clock.Now()))
	_, _ = r.audit.Append(ctx, auditEntry("print.confirmed", "someone else", r.clock.Now()))
	ss := r.MustLogin("siti")
	res := r.do(request{method: "POST", path: "/audit/nik", header: sameOrigin, cookies: ss.cookies(),
		form: url.Values{csrfField: {ss.csrf}, "nik": {testNIK}}})
	page := body(t, res)
	if res.StatusCode != ok {
		t.Fatalf("lookup: %d %s", res.StatusCode, page)
	}
	if strings.Contains(page, testNIK) || !strings.Contains(page, nik.Masked()) {
		t.Error("the page shows the full NIK or not the masked one")
	}
	if strings.Contains(page, "someone else") || !strings.Contains(page, subject) {
		t.Error("the page does not show exactly the subject's entries")
	}
	if got := r.audit.last(); got.Kind != "console.nik_lookup" || got.Actor != "siti" || got.Subject != subject {
		t.Errorf("lookup audited as %+v", got)
	}
	for _, e := range r.audit.entries {
		if strings.Contains(fieldText(e.Fields)+e.Subject+e.Actor, testNIK) {
			t.Errorf("an audit entry holds the NIK: %+v", e)
		}
	}
	// A bad NIK is refused and nothing is looked up.
	n := len(r.audit.kinds())
	res = r.do(request{method: "POST", path: "/audit/nik", header: sameOrigin, cookies: ss.cookies(),
		form: url.Values{csrfField: {ss.csrf}, "nik": {"1234"}}})
	if res.StatusCode != http.StatusBadRequest || len(r.audit.kinds()) != n {
		t.Errorf("bad NIK: %d, %d new entries", res.StatusCode, len(r.audit.kinds())-n)
	}
	// No audit entry, no result.
	r.audit.appendErr = errors.New("disk full")
	res = r.do(request{method: "POST", path: "/audit/nik", header: sameOrigin, cookies: ss.cookies(),
		form: url.Values{csrfField: {ss.csrf}, "nik": {testNIK}}})
	if page := body(t, res); res.StatusCode < 500 || strings.Contains(page, subject) {
		t.Errorf("lookup without an audit entry: %d", res.StatusCode)
	}
}

func TestTimelineAndExport(t *testing.T) {
	r := MustConsole(t)
	ctx := context.Background()
	e := auditEntry("print.failed", "abc", r.clock.Now())
	e.Fields["printer"] = "=HYPERLINK(\"x\")"
	_, _ = r.audit.Append(ctx, e)
	_, _ = r.audit.Append(ctx, auditEntry("login.ok", "def", r.clock.Now()))
	ss := r.MustLogin("ani")
	res := r.do(request{method: "GET", path: "/audit?kind=print.", cookies: ss.cookies()})
	page := body(t, res)
	if !strings.Contains(page, "print.failed") || strings.Contains(page, "login.ok") {
		t.Error("timeline filter by kind")
	}
	if strings.Contains(page, `name="nik"`) {
		t.Error("an auditor is offered the NIK lookup")
	}
	if got := r.audit.last(); got.Kind != "console.view" || got.Actor != "ani" {
		t.Errorf("timeline view audited as %+v", got)
	}
	res = r.do(request{method: "GET", path: "/audit.csv?kind=print.", cookies: ss.cookies()})
	csv := body(t, res)
	if res.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("export headers %v", res.Header)
	}
	if !strings.HasPrefix(csv, "index,time,kind,actor,subject,outcome,printer,fields\n") || !strings.Contains(csv, `'=HYPERLINK`) || strings.Contains(csv, "login.ok") {
		t.Errorf("export:\n%s", csv)
	}
	if got := r.audit.last(); got.Kind != "console.export" {
		t.Errorf("export audited as %+v", got)
	}
}

func TestResolveAndLedger(t *testing.T) {
	r := MustConsole(t)
	ss := r.MustLogin("siti")
	post := func(path string, form url.Values) *http.Response {
		form.Set(csrfField, ss.csrf)
		return r.do(request{method: "POST", path: path, header: sameOrigin, cookies: ss.cookies(), form: form})
	}
	res := post("/jobs/J1/resolve", url.Values{"action": {"reprint"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("reprint without a reason code: %d", res.StatusCode)
	}
	res = post("/jobs/J1/resolve", url.Values{"action": {"reprint"}, "reason_code": {"jam"}, "note": {"kartu macet"}, "present": {"yes"}})
	if res.StatusCode != redirect || res.Header.Get("Location") != "/jobs/J4?done=resolved" {
		t.Errorf("reprint: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res := post("/jobs/J1/resolve", url.Values{"action": {"printed"}}); res.StatusCode != redirect {
		t.Errorf("printed: %d", res.StatusCode)
	}
	res = post("/jobs/NOPE/resolve", url.Values{"action": {"printed"}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown job: %d", res.StatusCode)
	}
	res = post("/ledger/loads", url.Values{"printer": {"card-1"}, "count": {"banyak"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("load of a non-number: %d", res.StatusCode)
	}
	res = post("/ledger/loads", url.Values{"printer": {"card-1"}, "count": {"250"}, "first_serial": {"A0001"}, "last_serial": {"A0250"}})
	if res.StatusCode != redirect {
		t.Errorf("load: %d", res.StatusCode)
	}
	want := []string{"resolve J1 reprint by siti", "resolve J1 printed by siti", "load card-1 250 by siti"}
	if got := r.pd.done(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("printerd got %q, want %q", got, want)
	}
}

// TestResolveKeepsTheForm: a refused resolution shows the job page again
// with why, in the console's language, and the form as it was filled.
func TestResolveKeepsTheForm(t *testing.T) {
	r := MustConsole(t)
	ss := r.MustLogin("siti")
	post := func(path string, form url.Values) (*http.Response, string) {
		form.Set(csrfField, ss.csrf)
		res := r.do(request{method: "POST", path: path, header: sameOrigin, cookies: ss.cookies(), form: form})
		return res, body(t, res)
	}
	tests := []struct {
		name, lang string
		form       url.Values
		want       []string // in the page
		problem    string   // in the refusal
	}{
		{"an old form: a reason, no code", "id", url.Values{"action": {"reprint"}, "note": {"tidak keluar"}, "card_serial": {"SIM-7"}},
			[]string{`value="reprint" id="action-reprint" checked`, `value="tidak keluar"`, `value="SIM-7"`, `<option value="">`},
			printerd.ErrReasonCodeMissing.ID},
		{"a code of another action", "en", url.Values{"action": {"void"}, "reason_code": {"jam"}, "card_serial": {"SIM-8"}},
			[]string{`value="void" id="action-void" checked`, `<option value="jam" selected>Jammed in the printer (reprint only)</option>`, `value="SIM-8"`},
			printerd.ErrReasonCodeInvalid.EN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, page := post("/jobs/J1/resolve?lang="+tt.lang, tt.form)
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", res.StatusCode)
			}
			want := append(tt.want, `id="resolve-problem">`+template.HTMLEscapeString(tt.problem), `href="/jobs/J1?lang=`)
			for _, w := range want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %s\n%s", w, page)
				}
			}
		})
	}
	if got := r.pd.done(); len(got) != 0 {
		t.Errorf("printerd carried out %q", got)
	}
}

func TestOverview(t *testing.T) {
	r := MustConsole(t)
	ss := r.MustLogin("tono")
	res := r.do(request{method: "GET", path: "/?lang=en", cookies: ss.cookies()})
	page := body(t, res)
	for _, want := range []string{"J1", "J2", "J3", "KK: <strong>1</strong>", "<strong>Printer stopped</strong> · card-1 · card or paper jammed", "<strong>Blank cards need a look</strong> · card-1 · blank cards low", `href="/printers/card-1"`, "YMCKO ribbon: 180/250"} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Contains(page, `href="/audit"`) {
		t.Error("a technician is offered the audit trail")
	}
	// printerd down: the page still shows, with the alert.
	r.pd.err = errors.New("connection refused")
	res = r.do(request{method: "GET", path: "/?lang=en", cookies: ss.cookies()})
	page = body(t, res)
	if res.StatusCode != ok || !strings.Contains(page, "The print service does not answer") || !strings.Contains(page, "Today") {
		t.Errorf("overview with printerd down: %d", res.StatusCode)
	}
	if c := cookie(res, consoleLangCookie); c == nil || c.Value != "en" {
		t.Error("the language choice is not kept")
	}
}

func TestIntegrity(t *testing.T) {
	r := MustConsole(t)
	ss := r.MustLogin("ani")
	page := body(t, r.do(request{method: "GET", path: "/integrity", cookies: ss.cookies()}))
	if !strings.Contains(page, "anjungan.test/station/audit") || !strings.Contains(page, "anjungan.test/printerd/audit") {
		t.Error("checkpoints missing")
	}
	r.audit.verifyErr = errors.New("entry 3: hash mismatch")
	res := r.do(request{method: "POST", path: "/integrity/verify", header: sameOrigin, cookies: ss.cookies(), form: url.Values{csrfField: {ss.csrf}}})
	if res.StatusCode != redirect || r.audit.verified != 1 {
		t.Fatalf("verify: %d, verified %d", res.StatusCode, r.audit.verified)
	}
	if got := r.audit.last(); got.Kind != "console.verify" || got.Fields["outcome"] != "failed" || got.Actor != "ani" {
		t.Errorf("verification audited as %+v", got)
	}
	page = body(t, r.do(request{method: "GET", path: "/integrity", cookies: ss.cookies()}))
	if !strings.Contains(page, "hash mismatch") {
		t.Error("the failed verification is not shown")
	}
}

func TestConsoleTextsComplete(t *testing.T) {
	id, en := texts("id"), texts("en")
	for k := range id {
		if en[k] == "" {
			t.Errorf("%q has no English text", k)
		}
	}
	for k := range en {
		if id[k] == "" {
			t.Errorf("%q has no Indonesian text", k)
		}
	}
	// Every key a template or the code asks for exists.
	for _, k := range []string{"refused_cross_site", "refused_no_session", "refused_csrf", "refused_forbidden",
		"done_resolved", "done_released", "done_resumed", "done_loaded", "done_verified"} {
		if id[k] == "" {
			t.Errorf("%q is missing", k)
		}
	}
}

// TestConsoleRefusals: requests the console refuses before or outside
// its handlers answer with its own error page (not the kiosk's JSON),
// their code, their status and the console's headers, never internal.
func TestConsoleRefusals(t *testing.T) {
	r := MustConsole(t)
	base := r.serve()
	ss := r.MustLogin("siti")
	form := url.Values{csrfField: {ss.csrf}, "nik": {testNIK}}.Encode()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(bytes.Repeat([]byte("nik="+testNIK+"&"), 1<<20))
	_ = zw.Close()
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField(csrfField, ss.csrf)
	_ = mw.WriteField("nik", testNIK)
	_ = mw.Close()
	session := consoleSessionCookie + "=" + ss.id
	formType := "application/x-www-form-urlencoded"
	tests := []struct {
		name, method, path string
		header             map[string]string
		body               []byte
		status             int
		code               string
	}{
		{"gzip form inflated without a bound", "POST", "/audit/nik", map[string]string{"Content-Type": formType, "Content-Encoding": "gzip"}, gz.Bytes(), 415, "encoding_unsupported"},
		{"gzip multipart login", "POST", "/login", map[string]string{"Content-Type": mw.FormDataContentType(), "Content-Encoding": "gzip"}, gz.Bytes(), 415, "encoding_unsupported"},
		{"multipart form", "POST", "/audit/nik", map[string]string{"Content-Type": mw.FormDataContentType()}, mp.Bytes(), 415, "content_type_unsupported"},
		{"JSON body", "POST", "/audit/nik", map[string]string{"Content-Type": "application/json"}, []byte(`{"nik":"` + testNIK + `"}`), 415, "content_type_unsupported"},
		{"body too large", "POST", "/audit/nik", map[string]string{"Content-Type": formType}, []byte(form + "&pad=" + strings.Repeat("a", 70<<10)), 413, "body_too_large"},
		{"unknown route", "GET", "/nothing-here", nil, nil, 404, "route_not_found"},
		{"wrong method", "PUT", "/audit/nik", map[string]string{"Content-Type": formType}, []byte(form), 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+tt.path, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			req.Header.Set("Origin", base)
			req.Header.Set("Cookie", session)
			req.Header.Set("Accept-Encoding", "identity")
			var res *http.Response
			if len(tt.body) > 64<<10 {
				res = rawDo(t, req) // the 413 comes before the body is read
			} else if res, err = http.DefaultClient.Do(req); err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			page := body(t, res)
			code := regexp.MustCompile(`<p class="code">([a-z_]+)</p>`).FindStringSubmatch(page)
			if res.StatusCode != tt.status || code == nil || code[1] != tt.code {
				t.Fatalf("%d %v, want %d %s: %.300s", res.StatusCode, code, tt.status, tt.code, page)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q, want the HTML page", ct)
			}
			for h, want := range map[string]string{"Content-Security-Policy": consoleCSP, "Cache-Control": "no-store",
				"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
				if got := res.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
	// What fasthttp refuses before any handler gets the page too.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: k\r\nX-Pad: "+strings.Repeat("a", 8<<10)+"\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if page := body(t, res); res.StatusCode != 431 || !strings.Contains(page, `<p class="code">headers_too_large</p>`) ||
		res.Header.Get("Content-Security-Policy") != consoleCSP {
		t.Errorf("headers too large: %d %v %.300s", res.StatusCode, res.Header, page)
	}
}
