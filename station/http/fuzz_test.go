package http

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/httpguard"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/ticket"
)

// noTickets refuses every ticket.
type noTickets struct{}

func (noTickets) Verify(string, time.Time) (station.Ticket, error) {
	return station.Ticket{}, station.ErrTicketInvalid.Withf("test: no ticket is genuine")
}

// kioskPOSTs are the kiosk routes that read a JSON body.
func kioskPOSTs() []string {
	return []string{"/api/login/pin", "/api/login/ticket", "/api/login/card", "/api/prepare", "/api/print",
		"/api/release", "/api/verify", "/api/session/logout", "/api/card/fingerprint", "/api/call-officer"}
}

// FuzzKioskRequest sends the kiosk's POST routes any body with any
// Content-Type, Content-Encoding and Origin. Whatever arrives, the answer
// is never a server error, a compressed body is refused unread (415
// encoding_unsupported), a request from elsewhere is refused (403
// cross_site), a body that is not declared JSON is refused (415), and an
// error answer carries its code and both messages. The seeds in
// testdata/fuzz/FuzzKioskRequest are the attacker's requests, by failure
// mode.
func FuzzKioskRequest(f *testing.F) {
	f.Add(uint8(0), "application/json", "", "", []byte(`{"nik":"`+kioskNIK+`","pin":"`+kioskPIN+`"}`))
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Registry: kioskUpstream{}, Tickets: noTickets{}, Printers: noPrinters{},
		Now: time.Now, Rand: rand.Reader})
	f.Cleanup(k.Close)
	s := NewKiosk(k, &docqr.Verifier{Keys: ticket.KeySet{}}, zerolog.Nop())
	f.Fuzz(func(t *testing.T, route uint8, contentType, encoding, origin string, body []byte) {
		path := kioskPOSTs()[int(route)%len(kioskPOSTs())]
		req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
		setHeader(req, "Content-Type", contentType)
		setHeader(req, "Content-Encoding", encoding)
		setHeader(req, "Origin", origin)
		res, err := s.app.Test(req, -1)
		if err != nil {
			t.Skip(err) // a header value net/http itself refuses to send
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var out struct {
			Error *errorJSON `json:"error"`
		}
		_ = json.Unmarshal(b, &out)
		code := ""
		if out.Error != nil {
			code = out.Error.Code
		}
		if res.StatusCode >= 500 {
			t.Fatalf("%s: %d %s", path, res.StatusCode, b)
		}
		if res.StatusCode >= 400 && (out.Error == nil || out.Error.MessageID == "" || out.Error.MessageEN == "") {
			t.Fatalf("%s: %d without an error body: %s", path, res.StatusCode, b)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: Cache-Control %q", path, res.Header.Get("Cache-Control"))
		}
		if res.StatusCode < 300 && len(body) > 0 && (!json.Valid(body) || bytes.TrimSpace(body)[0] != '{') {
			t.Fatalf("%s accepted a body that is not one JSON object: %d %q", path, res.StatusCode, body)
		}
		// What the server sees: header values without surrounding space.
		sentEncoding := req.Header.Values("Content-Encoding")
		sentOrigin := strings.Trim(req.Header.Get("Origin"), " \t")
		sentType := strings.Trim(req.Header.Get("Content-Type"), " \t")
		switch {
		case !httpguard.IdentityEncoding(sentEncoding):
			if res.StatusCode != fiber.StatusUnsupportedMediaType || code != "encoding_unsupported" {
				t.Fatalf("%s with Content-Encoding %q: %d %s", path, sentEncoding, res.StatusCode, b)
			}
		case sentOrigin != "" && sentOrigin != "http://example.com":
			if res.StatusCode != fiber.StatusForbidden || code != "cross_site" {
				t.Fatalf("%s from %q: %d %s", path, sentOrigin, res.StatusCode, b)
			}
		case (len(body) > 0 || sentType != "") && !isJSONType(sentType):
			if res.StatusCode != fiber.StatusUnsupportedMediaType || code != "content_type_unsupported" {
				t.Fatalf("%s as %q: %d %s", path, sentType, res.StatusCode, b)
			}
		}
	})
}

// setHeader sets a header the way a client on the wire could: a value
// with a line break cannot be sent, so it is dropped.
func setHeader(req *http.Request, k, v string) {
	if v != "" && !strings.ContainsAny(v, "\r\n\x00") {
		req.Header.Set(k, v)
	}
}

func isJSONType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// FuzzConsoleForm posts any body with any Content-Type and
// Content-Encoding to the console's login and NIK lookup, with a
// logged-in supervisor's cookie and CSRF token, so that the forms are
// parsed. The console never answers with a server error, refuses a
// compressed body unread (415 encoding_unsupported) and anything but a
// URL-encoded form (415 content_type_unsupported), and answers with its
// HTML page.
func FuzzConsoleForm(f *testing.F) {
	f.Add(false, "application/x-www-form-urlencoded", "", "nik=3171014501900001&format=csv")
	r := MustConsole(f)
	ss := r.MustLogin("siti")
	f.Fuzz(func(t *testing.T, login bool, contentType, encoding, body string) {
		path := "/audit/nik"
		if login {
			path = "/login"
		}
		req := httptest.NewRequest("POST", path, strings.NewReader(body+"&csrf="+ss.csrf+"&login_token=t"))
		setHeader(req, "Content-Type", contentType)
		setHeader(req, "Content-Encoding", encoding)
		for k, v := range sameOrigin {
			req.Header.Set(k, v)
		}
		req.AddCookie(&http.Cookie{Name: consoleSessionCookie, Value: ss.id})
		req.AddCookie(&http.Cookie{Name: consoleLoginCookie, Value: "t"})
		res, err := r.s.app.Test(req, -1)
		if err != nil {
			t.Skip(err)
		}
		defer res.Body.Close()
		page, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 500 {
			t.Fatalf("%s: %d %.300s", path, res.StatusCode, page)
		}
		if ct := res.Header.Get("Content-Type"); res.StatusCode >= 400 && !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("%s: %d as %q", path, res.StatusCode, ct)
		}
		mt, _, _ := mime.ParseMediaType(strings.Trim(req.Header.Get("Content-Type"), " \t"))
		switch {
		case !httpguard.IdentityEncoding(req.Header.Values("Content-Encoding")):
			if res.StatusCode != fiber.StatusUnsupportedMediaType || !strings.Contains(string(page), "encoding_unsupported") {
				t.Fatalf("%s with Content-Encoding %q: %d", path, req.Header.Get("Content-Encoding"), res.StatusCode)
			}
		case mt != fiber.MIMEApplicationForm:
			if res.StatusCode != fiber.StatusUnsupportedMediaType || !strings.Contains(string(page), "content_type_unsupported") {
				t.Fatalf("%s as %q: %d", path, req.Header.Get("Content-Type"), res.StatusCode)
			}
		}
	})
}
