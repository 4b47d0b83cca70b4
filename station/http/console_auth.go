package http

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/account"
)

// Console cookies. The session cookie has the __Host- prefix: the browser
// keeps it only if it is Secure, Path=/ and has no Domain, so no other
// host or path can plant or read it. Chromium stores Secure cookies from
// http://localhost and 127.0.0.1 too; beyond loopback the console is TLS.
const (
	consoleSessionCookie = "__Host-anjungan_console"
	consoleLoginCookie   = "__Host-anjungan_console_login" // double-submit token of the login form
	consoleLangCookie    = "anjungan_console_lang"         // not secret; works over plain http everywhere
	csrfField            = "csrf"
	csrfHeader           = "X-CSRF-Token"
	localSession         = "console.session"
)

// sameOrigin refuses a state-changing request that a browser says comes
// from another site. Sec-Fetch-Site must be same-origin when present and
// Origin must be this console when present; a request with neither is
// not from a modern browser's form and is refused too.
func (s *Console) sameOrigin(c *fiber.Ctx) error {
	site := c.Get("Sec-Fetch-Site")
	origin := c.Get(fiber.HeaderOrigin)
	if site == "" && origin == "" {
		return s.refuse(c, fiber.StatusForbidden, "cross_site", "no Origin and no Sec-Fetch-Site")
	}
	if site != "" && site != "same-origin" {
		return s.refuse(c, fiber.StatusForbidden, "cross_site", "Sec-Fetch-Site "+site)
	}
	if origin != "" && origin != c.Protocol()+"://"+c.Hostname() {
		return s.refuse(c, fiber.StatusForbidden, "cross_site", "foreign Origin")
	}
	return c.Next()
}

// authenticated finds the request's session: a known, unexpired session
// id in the cookie. A page without one sends the browser to the login
// form; an action is refused.
func (s *Console) authenticated(c *fiber.Ctx) error {
	ss, err := s.currentSession(c)
	if err != nil {
		if c.Method() == fiber.MethodGet {
			return c.Redirect("/login", fiber.StatusSeeOther)
		}
		return s.refuse(c, fiber.StatusUnauthorized, "no_session", err.Error())
	}
	c.Locals(localSession, ss)
	return c.Next()
}

// currentSession returns the cookie's session, ending it when it has
// expired, and records its use.
func (s *Console) currentSession(c *fiber.Ctx) (account.Session, error) {
	id := c.Cookies(consoleSessionCookie)
	if id == "" {
		return account.Session{}, account.ErrNoSession.Withf("no cookie")
	}
	ctx := c.UserContext()
	h := account.HashSessionID(id)
	ss, err := s.d.Accounts.Session(ctx, h)
	if err != nil {
		return account.Session{}, err
	}
	now := s.now()
	if ss.Expired(now) {
		if err := s.d.Accounts.DeleteSession(ctx, h); err != nil {
			s.log.Warn().Err(err).Msg("console: end expired session")
		}
		return account.Session{}, account.ErrNoSession.Withf("expired")
	}
	if err := s.d.Accounts.TouchSession(ctx, h, now); err != nil {
		return account.Session{}, err
	}
	ss.LastSeen = now
	return ss, nil
}

func sessionOf(c *fiber.Ctx) account.Session {
	ss, _ := c.Locals(localSession).(account.Session)
	return ss
}

// csrf checks the session's token in the form field or the header.
func (s *Console) csrf(c *fiber.Ctx) error {
	tok := c.FormValue(csrfField)
	if tok == "" {
		tok = c.Get(csrfHeader)
	}
	if !account.SameToken(tok, sessionOf(c).CSRF) {
		return s.refuse(c, fiber.StatusForbidden, "csrf", "missing or wrong CSRF token")
	}
	return c.Next()
}

// allow checks the session's role.
func (s *Console) allow(p account.Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !sessionOf(c).Role.Can(p) {
			return s.refuse(c, fiber.StatusForbidden, "forbidden", "role may not "+string(p))
		}
		return c.Next()
	}
}

// refuse answers a request the console will not serve, with a short page
// in the reader's language; why goes to the log only.
func (s *Console) refuse(c *fiber.Ctx, status int, key, why string) error {
	s.log.Warn().Str("request_id", c.GetRespHeader(fiber.HeaderXRequestID)).Str("path", c.Route().Path).
		Int("status", status).Str("why", why).Msg("console: refused")
	return s.render(c, status, "error", map[string]any{"Message": texts(langOf(c))["refused_"+key]})
}

func (s *Console) loginPage(c *fiber.Ctx) error {
	if _, err := s.currentSession(c); err == nil {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return s.showLogin(c, fiber.StatusOK, "")
}

// showLogin renders the form with a fresh double-submit token, so a
// login cannot be forced from another site (login CSRF).
func (s *Console) showLogin(c *fiber.Ctx, status int, message string) error {
	tok, err := account.NewToken(s.d.Rand)
	if err != nil {
		return s.fail(c, err)
	}
	c.Cookie(&fiber.Cookie{Name: consoleLoginCookie, Value: tok, Path: "/", MaxAge: int(loginWindow / time.Second),
		Secure: true, HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode})
	return s.render(c, status, "login", map[string]any{"LoginToken": tok, "Message": message})
}

// recordAttempt records an attempt with each of its throttles, as one
// step, and returns the longest of their waits.
func (s *Console) recordAttempt(keys []throttleKey) (time.Duration, error) {
	s.attempts.Lock()
	defer s.attempts.Unlock()
	var wait time.Duration
	for _, k := range keys {
		w, err := k.t.Attempt(k.key)
		if err != nil {
			return 0, err
		}
		wait = max(wait, w)
	}
	return wait, nil
}

// login records the attempt with the throttles, waits out their delay,
// checks the password (one check at a time, see account.Gate), and on
// success starts a new session: any session the browser brought is
// ended (rotation), so an id planted before login never becomes a
// logged-in one. Nothing is locked out: a correct password is always
// checked once its wait is over (docs/console.md, "Throttling").
func (s *Console) login(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tr := texts(langOf(c))
	if !account.SameToken(c.FormValue("login_token"), c.Cookies(consoleLoginCookie)) {
		return s.refuse(c, fiber.StatusForbidden, "csrf", "login form token")
	}
	name := strings.TrimSpace(c.FormValue("name"))
	password := c.FormValue("password")
	client := c.IP()
	known := account.ValidName(name) == nil
	actor := "unknown" // a mistyped name may be a password: it is not logged
	// The attempt counts before its password is hashed, so attempts that
	// arrive together see each other.
	keys := []throttleKey{{s.accounts, "account:" + name}}
	if !loopback(client) {
		// Every browser of a loopback console shares its address; a limit
		// per address there would be one limit for all supervisors.
		keys = append(keys, throttleKey{s.clients, "client:" + client})
	}
	wait, err := s.recordAttempt(keys)
	if err != nil {
		s.auditLogin(ctx, actor, "throttled", client, 0)
		return s.fail(c, err)
	}
	if wait > 0 {
		if err := s.d.Sleep(ctx, wait); err != nil {
			s.auditLogin(ctx, actor, "throttled", client, wait)
			return s.showLogin(c, fiber.StatusTooManyRequests, tr["login_throttled"])
		}
	}
	var a account.Account
	ok := false
	if known {
		var err error
		a, err = s.d.Accounts.Account(ctx, name)
		switch {
		case err == nil:
			actor = a.Name
		case errors.Is(err, account.ErrNotFound):
			known = false
		default:
			return s.fail(c, err)
		}
	}
	err = s.checks.Do(ctx, func() {
		if !known {
			s.checkDummy(password)
			return
		}
		var err error
		ok, err = account.Check(a.Hash, password)
		if err != nil {
			s.log.Error().Err(err).Str("account", a.Name).Msg("console: stored hash")
		}
		ok = ok && !a.Disabled
	})
	if err != nil {
		s.auditLogin(ctx, actor, "throttled", client, wait)
		return s.showLogin(c, fiber.StatusTooManyRequests, tr["login_throttled"])
	}
	if !ok {
		s.auditLogin(ctx, actor, "refused", client, wait)
		return s.showLogin(c, fiber.StatusUnauthorized, tr["login_refused"])
	}
	if old := c.Cookies(consoleSessionCookie); old != "" {
		if err := s.d.Accounts.DeleteSession(ctx, account.HashSessionID(old)); err != nil {
			return s.fail(c, err)
		}
	}
	id, h, err := account.NewSessionID(s.d.Rand)
	if err != nil {
		return s.fail(c, err)
	}
	tok, err := account.NewToken(s.d.Rand)
	if err != nil {
		return s.fail(c, err)
	}
	now := s.now()
	// Every supervisor login is in the log: no entry, no session.
	if err := s.auditLogin(ctx, a.Name, "ok", client, wait); err != nil {
		return s.fail(c, err)
	}
	if err := s.d.Accounts.DeleteExpired(ctx, now); err != nil {
		s.log.Warn().Err(err).Msg("console: prune sessions")
	}
	if err := s.d.Accounts.CreateSession(ctx, account.Session{IDHash: h, Account: a.Name, Role: a.Role, CSRF: tok, Created: now, LastSeen: now}); err != nil {
		return s.fail(c, err)
	}
	if err := s.accounts.Reset("account:" + name); err != nil {
		s.log.Warn().Err(err).Msg("console: reset login throttle")
	}
	c.ClearCookie(consoleLoginCookie)
	c.Cookie(&fiber.Cookie{Name: consoleSessionCookie, Value: id, Path: "/", Secure: true, HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode})
	return c.Redirect("/", fiber.StatusSeeOther)
}

// throttleKey is a key of a login attempt and the throttle counting it.
type throttleKey struct {
	t   *account.Throttle
	key string
}

// loopback reports whether addr is a loopback address.
func loopback(addr string) bool {
	ip := net.ParseIP(addr)
	return ip != nil && ip.IsLoopback()
}

// checkDummy spends the time of a password check on an unknown account.
func (s *Console) checkDummy(password string) {
	s.dummyOnce.Do(func() {
		h, err := account.Hash("not a password of anyone", s.d.Rand, s.d.Hashing)
		if err != nil {
			s.log.Error().Err(err).Msg("console: stand-in hash")
		}
		s.dummy = h
	})
	_, _ = account.Check(s.dummy, password)
}

// auditLogin records a login attempt; wait is the throttle's delay it
// waited, if any.
func (s *Console) auditLogin(ctx context.Context, actor, outcome, client string, wait time.Duration) error {
	fields := map[string]string{"outcome": outcome, "client": client}
	if wait > 0 {
		fields["delay"] = wait.Round(time.Millisecond).String()
	}
	_, err := s.d.Audit.Append(ctx, station.AuditEntry{Time: s.now(), Kind: "console.login", Actor: actor, Fields: fields})
	if err != nil {
		s.log.Error().Err(err).Str("outcome", outcome).Msg("console: audit login")
	}
	return err
}

func (s *Console) logout(c *fiber.Ctx) error {
	ss := sessionOf(c)
	if err := s.d.Accounts.DeleteSession(c.UserContext(), ss.IDHash); err != nil {
		return s.fail(c, err)
	}
	c.Cookie(&fiber.Cookie{Name: consoleSessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		Secure: true, HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode})
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// langOf is the reader's language: ?lang=, else the cookie, else Bahasa
// Indonesia.
func langOf(c *fiber.Ctx) string {
	l := c.Query("lang")
	if l == "" {
		l = c.Cookies(consoleLangCookie)
	}
	if l == "en" {
		return "en"
	}
	return "id"
}
