package http

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/station/account"
)

//go:embed console
var consoleFiles embed.FS

// sessionCookie is the console's session cookie: Secure, HttpOnly,
// SameSite=Strict, Path=/, no Domain.
const sessionCookie = "__Host-anjungan-fleet"

// SessionLifetime is how long a console session lasts.
const SessionLifetime = 8 * time.Hour

// LoginDelays is the console's login throttle, the station console's
// schedule: 5 attempts of a key within 15 minutes are free, the next
// waits 1 s after the one before, each further one twice as long, up to
// 30 s. A store that implements account.FailureStore (fleet/postgres)
// keeps the attempts, so every hub on the database counts them.
var LoginDelays = account.Delays{Free: 5, First: time.Second, Max: 30 * time.Second, Window: 15 * time.Minute}

// Console is the hub's read-only web console (docs/fleet.md, Console):
// the overview of the kiosks a supervisor's scope covers, with the open
// alerts kept live over server-sent events.
type Console struct {
	store     fleet.ConsoleStore
	now       func() time.Time
	th        fleet.Thresholds
	log       zerolog.Logger
	poll      time.Duration
	tmpl      *template.Template
	dummyHash func() string // made on the first unknown name, not at start (64 MiB)
	mu        sync.Mutex
	open      []fleet.Alert // the open alerts as last polled
	polled    bool
	subs      map[chan alertChange]struct{}
	mux       *http.ServeMux
	throttle  *account.Throttle

	// Hub is the hub's identity, printed on reports (set before serving).
	Hub string
	// PasswordChecks lets one argon2id check run at a time: each takes
	// 64 MiB while it runs, so logins arriving together queue instead of
	// adding up. NewConsole makes it (32 may wait, up to 10 s each); a
	// login that finds no slot is answered 429.
	PasswordChecks *account.Gate
}

// alertChange is the whole list of open alerts after a change: each
// page's stream compares it with what it sent, so a stream that began
// before the poller's first read still sees every change.
type alertChange struct {
	open []fleet.Alert
}

// NewConsole returns the console on store. poll is how often it reads
// the open alerts (every hub polls, so a page on any hub sees alerts any
// hub opened); Run does the polling.
func NewConsole(store fleet.ConsoleStore, now func() time.Time, th fleet.Thresholds, log zerolog.Logger, poll time.Duration) *Console {
	c := &Console{store: store, now: now, th: th, log: log, poll: poll, subs: map[chan alertChange]struct{}{}}
	c.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"days": func(d float64) string {
			if math.IsInf(d, 1) {
				return ""
			}
			return fmt.Sprintf("%.1f", d)
		},
		"inf":  func(d float64) bool { return math.IsInf(d, 1) },
		"time": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"ago":  func(d time.Duration) string { return d.Truncate(time.Minute).String() },
		"join": strings.Join,
		"item": func(a fleet.Alert, t map[string]string) alertItem { return alertItem{a, t} },
	}).ParseFS(consoleFiles, "console/*.html"))
	if fs, ok := store.(account.FailureStore); ok {
		c.throttle = account.NewStoredThrottle(LoginDelays, now, fs)
	} else {
		c.throttle = account.NewThrottle(LoginDelays, now)
	}
	c.dummyHash = sync.OnceValue(func() string {
		h, _ := account.Hash("dummy password for unknown users", rand.Reader, account.DefaultParams())
		return h
	})
	c.PasswordChecks = account.NewGate(1, 32, 10*time.Second)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", c.overview)
	mux.HandleFunc("GET /login", c.loginPage)
	mux.HandleFunc("POST /login", c.login)
	mux.HandleFunc("POST /logout", c.logout)
	mux.HandleFunc("GET /events", c.events)
	mux.HandleFunc("GET /reports", c.reportsPage)
	mux.HandleFunc("GET /reports/blanks", c.blankReport)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(mustSub(consoleFiles, "console/assets"))))
	c.mux = mux
	return c
}

// ServeHTTP serves the console with its security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin") // no-referrer would make the browser send Origin: null
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

// Run polls the open alerts until ctx ends and tells every open page
// what changed.
func (c *Console) Run(ctx context.Context) {
	t := time.NewTicker(c.poll)
	defer t.Stop()
	for {
		if err := c.pollOnce(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn().Err(err).Msg("console: reading alerts")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Console) pollOnce(ctx context.Context) error {
	next, err := c.store.OpenAlertList(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.polled {
		opened, closed := fleet.AlertChanges(c.open, next)
		if len(opened)+len(closed) > 0 {
			for ch := range c.subs {
				select {
				case ch <- alertChange{next}:
				default: // a page that does not keep up resynchronises on its next connection
				}
			}
		}
	}
	c.open, c.polled = next, true
	return nil
}

func mustSub(fsys embed.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// lang is the page's language: ?lang=, else the first of id and en the
// browser accepts, else Bahasa Indonesia.
func lang(r *http.Request) string {
	switch l := r.URL.Query().Get("lang"); l {
	case "id", "en":
		return l
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "id"):
			return "id"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "id"
}

func other(l string) string {
	if l == "en" {
		return "id"
	}
	return "en"
}

func hashID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// user is the signed-in user of r, or ErrNoUser.
func (c *Console) user(r *http.Request) (fleet.User, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 64 {
		return fleet.User{}, fleet.ErrNoUser
	}
	return c.store.SessionUser(r.Context(), hashID(ck.Value), c.now())
}

// sameOrigin refuses a POST a browser says comes from elsewhere:
// Sec-Fetch-Site must be same-origin when present and Origin this
// console when present; a request with neither is refused too.
func sameOrigin(r *http.Request) bool {
	site, origin := r.Header.Get("Sec-Fetch-Site"), r.Header.Get("Origin")
	if site == "" && origin == "" {
		return false
	}
	if site != "" && site != "same-origin" {
		return false
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return origin == "" || origin == scheme+r.Host
}

type page struct {
	Lang, Other string
	T           map[string]string
	User        fleet.User
	Overview    fleet.Overview
	Message     string
	Now         time.Time
	Months      []string // the reports page's months, newest first
}

func (c *Console) render(w http.ResponseWriter, status int, name string, p page) {
	var b bytes.Buffer
	if err := c.tmpl.ExecuteTemplate(&b, name, p); err != nil {
		c.log.Error().Err(err).Str("template", name).Msg("console: render")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func (c *Console) newPage(r *http.Request) page {
	l := lang(r)
	return page{Lang: l, Other: other(l), T: consoleTexts(l), Now: c.now()}
}

// signedIn is the page of a signed-in user, with its User set; without
// a session it redirects to the sign-in page and returns false.
func (c *Console) signedIn(w http.ResponseWriter, r *http.Request) (page, bool) {
	p := c.newPage(r)
	u, err := c.user(r)
	if errors.Is(err, fleet.ErrNoUser) {
		http.Redirect(w, r, "/login?lang="+p.Lang, http.StatusSeeOther)
		return p, false
	}
	if err != nil {
		c.fail(w, err)
		return p, false
	}
	p.User = u
	return p, true
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request) {
	p, ok := c.signedIn(w, r)
	if !ok {
		return
	}
	now := c.now()
	snap, err := c.store.Snapshot(r.Context(), now.Add(-c.th.BlankWindow))
	if err != nil {
		c.fail(w, err)
		return
	}
	alerts, err := c.store.OpenAlertList(r.Context())
	if err != nil {
		c.fail(w, err)
		return
	}
	p.Overview = fleet.BuildOverview(snap, alerts, p.User.Scope, now, c.th)
	c.render(w, http.StatusOK, "overview.html", p)
}

func (c *Console) fail(w http.ResponseWriter, err error) {
	c.log.Warn().Err(err).Msg("console")
	http.Error(w, "the hub's database is unavailable; try again later", http.StatusServiceUnavailable)
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, http.StatusOK, "login.html", c.newPage(r))
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(r)
	if !sameOrigin(r) {
		p.Message = p.T["refused_cross_site"]
		c.render(w, http.StatusForbidden, "login.html", p)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	// The attempt counts before its password is checked; one that comes
	// before its wait is over is refused unchecked (and counts too).
	keys := []string{"account:" + name}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil && !net.ParseIP(host).IsLoopback() {
		keys = append(keys, "client:"+host) // loopback browsers share one address: no limit per address there
	}
	var wait time.Duration
	for _, k := range keys {
		d, err := c.throttle.Attempt(k)
		if err != nil {
			c.fail(w, err) // fails closed
			return
		}
		wait = max(wait, d)
	}
	if wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		c.log.Info().Int("wait_s", secs).Msg("console: login throttled")
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		p.Message = fmt.Sprintf(p.T["login_throttled"], secs)
		c.render(w, http.StatusTooManyRequests, "login.html", p)
		return
	}
	u, err := c.store.User(r.Context(), name)
	if err != nil && !errors.Is(err, fleet.ErrNoUser) {
		c.fail(w, err)
		return
	}
	known, ok := err == nil, false
	if err := c.PasswordChecks.Do(r.Context(), func() {
		if !known {
			_, _ = account.Check(c.dummyHash(), password) // the same time as a known user
			return
		}
		ok, _ = account.Check(u.PasswordHash, password)
	}); err != nil {
		c.log.Info().Err(err).Msg("console: login throttled")
		w.Header().Set("Retry-After", "10")
		p.Message = fmt.Sprintf(p.T["login_throttled"], 10)
		c.render(w, http.StatusTooManyRequests, "login.html", p)
		return
	}
	if !ok {
		// Not the typed name: it may be a password typed in the wrong box.
		c.log.Info().Bool("known_user", known).Msg("console: login refused")
		p.Message = p.T["login_refused"]
		c.render(w, http.StatusUnauthorized, "login.html", p)
		return
	}
	id := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, id); err != nil {
		c.fail(w, err)
		return
	}
	sid := base64.RawURLEncoding.EncodeToString(id)
	expires := c.now().Add(SessionLifetime)
	if err := c.store.NewSession(r.Context(), hashID(sid), u.Name, expires); err != nil {
		c.fail(w, err)
		return
	}
	for _, k := range keys {
		if err := c.throttle.Reset(k); err != nil {
			c.log.Warn().Err(err).Msg("console: clearing login attempts")
		}
	}
	c.log.Info().Str("user", u.Name).Msg("console: login")
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(SessionLifetime / time.Second)})
	http.Redirect(w, r, "/?lang="+p.Lang, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(r)
	if !sameOrigin(r) {
		p.Message = p.T["refused_cross_site"]
		c.render(w, http.StatusForbidden, "login.html", p)
		return
	}
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if err := c.store.EndSession(r.Context(), hashID(ck.Value)); err != nil {
			c.fail(w, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/login?lang="+p.Lang, http.StatusSeeOther)
}

// events streams the user's alerts: first "alerts" (the whole list, so a
// page catches up with what changed since it was rendered), then
// "opened" (one rendered item) and "closed" (an alert's ID).
func (c *Console) events(w http.ResponseWriter, r *http.Request) {
	u, err := c.user(r)
	if err != nil {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	p := c.newPage(r)
	ch := make(chan alertChange, 16)
	c.mu.Lock()
	c.subs[ch] = struct{}{}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.subs, ch)
		c.mu.Unlock()
	}()
	// Read after subscribing: a change from now on is either in this
	// list or comes on ch (or both: sent tells which were sent).
	current, err := c.store.OpenAlertList(r.Context())
	if err != nil {
		c.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	send := func(event, tmpl string, data any) bool {
		var b bytes.Buffer
		if tmpl != "" {
			if err := c.tmpl.ExecuteTemplate(&b, tmpl, data); err != nil {
				c.log.Error().Err(err).Msg("console: render event")
				return false
			}
		} else {
			fmt.Fprint(&b, data)
		}
		fmt.Fprintf(w, "event: %s\n", event)
		for _, line := range strings.Split(b.String(), "\n") {
			fmt.Fprintf(w, "data: %s\n", line)
		}
		_, err := fmt.Fprint(w, "\n")
		fl.Flush()
		return err == nil
	}
	p.Overview.Alerts = fleet.VisibleAlerts(current, u.Scope)
	sent := map[int64]bool{}
	for _, a := range p.Overview.Alerts {
		sent[a.ID] = true
	}
	if !send("alerts", "alerts", p) {
		return
	}
	keepalive := time.NewTicker(25 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
			fl.Flush()
		case change := <-ch:
			var shown []fleet.Alert
			for id := range sent {
				shown = append(shown, fleet.Alert{ID: id})
			}
			opened, closed := fleet.AlertChanges(shown, fleet.VisibleAlerts(change.open, u.Scope))
			for _, a := range opened {
				sent[a.ID] = true
				if !send("opened", "alert", alertItem{a, p.T}) {
					return
				}
			}
			for _, id := range closed {
				delete(sent, id)
				if !send("closed", "", id) {
					return
				}
			}
		}
	}
}

type alertItem struct {
	A fleet.Alert
	T map[string]string
}
