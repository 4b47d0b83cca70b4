package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/cmd/internal/ctl"
)

// Supervisor is a supervisor on the console over HTTP, as a browser
// would be: the login form's token, the Origin header, the __Host-
// cookies.
type Supervisor struct {
	tb      testing.TB
	base    string
	hc      *http.Client
	session *http.Cookie
}

// supervisorPassword is every test supervisor's password.
const supervisorPassword = "kata-sandi-yang-panjang-sekali"

// MustSupervisor adds a supervisor called name with anjunganctl (the
// password file is removed after) and logs in.
func (s *System) MustSupervisor(tb testing.TB, name string) *Supervisor {
	tb.Helper()
	const password = supervisorPassword
	pwFile := filepath.Join(s.Var, name+".pw")
	mustOK(tb, os.WriteFile(pwFile, []byte(password+"\n"), 0o600))
	add := ctl.NewMain()
	add.Stdout = io.Discard
	mustOK(tb, add.ParseFlags([]string{"user", "add", "-db", filepath.Join(s.Var, "station", "station.db"), "-name", name, "-role", "supervisor", "-password-file", pwFile}))
	mustOK(tb, add.Run(context.Background()))
	mustOK(tb, os.Remove(pwFile))

	sv := &Supervisor{tb: tb, base: s.Station.ConsoleURL(),
		hc: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	res, page := sv.send("GET", "/login", nil)
	res, _ = sv.send("POST", "/login", url.Values{"login_token": {sv.field(page, "login_token")}, "name": {name}, "password": {password}},
		cookieOf(tb, res, "__Host-anjungan_console_login"))
	sv.session = cookieOf(tb, res, "__Host-anjungan_console")
	return sv
}

// send makes a request with the session cookie (once logged in) and
// cookies, a POST with form as its body; it returns the response and its
// body.
func (sv *Supervisor) send(method, path string, form url.Values, cookies ...*http.Cookie) (*http.Response, string) {
	sv.tb.Helper()
	req, err := http.NewRequest(method, sv.base+path, strings.NewReader(form.Encode()))
	mustOK(sv.tb, err)
	if method == "POST" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", sv.base)
	}
	if sv.session != nil {
		req.AddCookie(sv.session)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := sv.hc.Do(req)
	mustOK(sv.tb, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	mustOK(sv.tb, err)
	return res, string(b)
}

// page returns the page at path, which must answer 200.
func (sv *Supervisor) page(path string) string {
	sv.tb.Helper()
	res, body := sv.send("GET", path, nil)
	if res.StatusCode != http.StatusOK {
		sv.tb.Fatalf("console %s: %s", path, res.Status)
	}
	return body
}

// field is the value of the form field name on page.
func (sv *Supervisor) field(page, name string) string {
	sv.tb.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		sv.tb.Fatalf("no %s field on the page: %s", name, page)
	}
	return m[1]
}

func cookieOf(tb testing.TB, res *http.Response, name string) *http.Cookie {
	tb.Helper()
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	tb.Fatalf("%s %s: %s, no cookie %s", res.Request.Method, res.Request.URL.Path, res.Status, name)
	return nil
}
