package http

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

const (
	kioskNIK = "3171014501900001"
	kioskPIN = "123456"
)

// kioskUpstream logs in kioskNIK with kioskPIN; the contract test in
// cmd/internal/registrysim runs the real client against registry-sim.
// upstreamSigned takes every document as the upstream's, signed and
// unaltered (docqr and the end-to-end tests check real QRs).
type upstreamSigned struct{}

func (upstreamSigned) VerifyDocument(station.Document) error { return nil }

type kioskUpstream struct {
	station.Registry // nil: nothing else is called
}

func (kioskUpstream) AuthenticatePIN(_ context.Context, nik station.NIK, pin string) (station.Authorization, error) {
	if nik.Reveal() != kioskNIK || pin != kioskPIN {
		return station.Authorization{}, station.ErrCredentialsRejected.Withf("test upstream")
	}
	return station.Authorization{ID: "A1", Subject: nik, Method: station.AuthPIN,
		Requests: []station.PrintRequest{{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}}, nil
}

// noPrinters says its printers are ready and takes no job.
type noPrinters struct {
	station.PrintService // nil: nothing else is called
}

func (noPrinters) Availability(context.Context) ([]printerd.Availability, error) {
	return []printerd.Availability{{Media: printerd.MediaCard, Available: true}, {Media: printerd.MediaA4, Available: true}}, nil
}

func (noPrinters) RenewPresence(_ context.Context, id string, ttl time.Duration) (printerd.PresenceLease, error) {
	return printerd.PresenceLease{ID: id, Until: time.Now().Add(ttl)}, nil
}

func (noPrinters) EndPresence(context.Context, string) ([]printerd.Job, error) { return nil, nil }

func (noPrinters) Reattach(_ context.Context, id printerd.JobID, _ string) (printerd.Job, error) {
	return printerd.Job{}, printerd.ErrJobState.Withf("job %s is not held for an absent citizen", id)
}

// mustKioskServer serves the kiosk on 127.0.0.1:0 and returns its base URL.
func mustKioskServer(tb testing.TB) string {
	tb.Helper()
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Registry: kioskUpstream{}, Printers: noPrinters{}, Now: time.Now, Rand: rand.Reader})
	tb.Cleanup(k.Close)
	s := NewKiosk(k, nil, zerolog.Nop())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	tb.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

// bomb returns zeros of size n compressed by each layer in turn (the
// first layer is applied first, so it is the last to undo).
func bomb(tb testing.TB, n int, layers ...string) []byte {
	tb.Helper()
	b := make([]byte, n)
	for _, l := range layers {
		var out bytes.Buffer
		var w io.WriteCloser
		switch l {
		case "gzip":
			w, _ = gzip.NewWriterLevel(&out, gzip.BestCompression)
		case "deflate":
			w, _ = zlib.NewWriterLevel(&out, zlib.BestCompression)
		default:
			tb.Fatalf("no layer %q", l)
		}
		if _, err := w.Write(b); err != nil {
			tb.Fatal(err)
		}
		if err := w.Close(); err != nil {
			tb.Fatal(err)
		}
		b = out.Bytes()
	}
	return b
}

// kioskAnswer is one answer of the kiosk as a test reads it.
type kioskReply struct {
	status int
	header http.Header
	body   []byte
}

func (r kioskReply) code() string {
	var out struct {
		Error *errorJSON `json:"error"`
	}
	if json.Unmarshal(r.body, &out) != nil || out.Error == nil {
		return ""
	}
	if out.Error.MessageID == "" || out.Error.MessageEN == "" {
		return out.Error.Code + " (without messages)"
	}
	return out.Error.Code
}

func kioskDo(tb testing.TB, method, url string, header map[string]string, body []byte) kioskReply {
	tb.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// Go's transport would add Accept-Encoding and undo a gzip answer;
	// the request must go out exactly as written.
	req.Header.Set("Accept-Encoding", "identity")
	var res *http.Response
	if len(body) > 64<<10 {
		res = rawDo(tb, req)
	} else if res, err = http.DefaultClient.Do(req); err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return kioskReply{res.StatusCode, res.Header, b}
}

// rawDo sends req on its own connection and reads the answer even when
// the server answered before the body was read: the server refuses a
// body over its limit from its Content-Length and closes, and its kernel
// then resets the connection while Go's client is still writing the body
// (the client reports the failed write, not the 413 already received).
func rawDo(tb testing.TB, req *http.Request) *http.Response {
	tb.Helper()
	conn, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	_, _ = conn.Write(buf.Bytes()) // may fail once the server has answered and closed
	res, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// checkHeaders checks the headers every kiosk API answer carries.
func checkHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for k, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
		"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", h.Get("Content-Security-Policy"))
	}
}

// TestKioskRefusals sends the kiosk what an outside attacker would, each
// named by the failure it once caused: every one is refused with its own
// code, a message in both languages, and the headers of every answer.
func TestKioskRefusals(t *testing.T) {
	base := mustKioskServer(t)
	pin := []byte(`{"nik":"` + kioskNIK + `","pin":"` + kioskPIN + `"}`)
	json := map[string]string{"Content-Type": "application/json"}
	with := func(h map[string]string) map[string]string {
		out := map[string]string{"Content-Type": "application/json"}
		for k, v := range h {
			out[k] = v
		}
		return out
	}
	form := url.Values{"nik": {kioskNIK}, "pin": {kioskPIN}}.Encode()
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField("nik", kioskNIK)
	_ = mw.WriteField("pin", kioskPIN)
	_ = mw.Close()
	tests := []struct {
		name         string
		method, path string
		header       map[string]string
		body         []byte
		status       int
		code         string
	}{
		{"gzip bomb inflated without a bound", "POST", "/api/login/pin", with(map[string]string{"Content-Encoding": "gzip, gzip"}), bomb(t, 64<<20, "gzip", "gzip"), 415, "encoding_unsupported"},
		{"deflate bomb", "POST", "/api/login/pin", with(map[string]string{"Content-Encoding": "deflate"}), bomb(t, 16<<20, "deflate"), 415, "encoding_unsupported"},
		{"brotli body", "POST", "/api/login/pin", with(map[string]string{"Content-Encoding": "br"}), []byte{0x0b, 0x02, 0x80, 0x7b, 0x7d, 0x03}, 415, "encoding_unsupported"},
		{"encoding hidden after identity", "POST", "/api/login/pin", with(map[string]string{"Content-Encoding": "identity, gzip"}), bomb(t, 1<<20, "gzip"), 415, "encoding_unsupported"},
		{"encoding in capitals", "POST", "/api/login/pin", with(map[string]string{"Content-Encoding": "GZIP"}), bomb(t, 1<<20, "gzip"), 415, "encoding_unsupported"},
		{"encoding on a GET", "GET", "/api/session", map[string]string{"Content-Encoding": "gzip"}, nil, 415, "encoding_unsupported"},
		{"identity is no encoding", "POST", "/api/login/pin", with(map[string]string{"Content-Encoding": "identity"}), pin, 201, ""},
		{"cross-site form post", "POST", "/api/login/pin", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte(form), 415, "content_type_unsupported"},
		{"multipart post", "POST", "/api/login/pin", map[string]string{"Content-Type": mw.FormDataContentType()}, mp.Bytes(), 415, "content_type_unsupported"},
		{"XML post", "POST", "/api/login/pin", map[string]string{"Content-Type": "application/xml"}, []byte(`<x><nik>` + kioskNIK + `</nik><pin>` + kioskPIN + `</pin></x>`), 415, "content_type_unsupported"},
		{"JSON as text/plain (a form's enctype)", "POST", "/api/login/pin", map[string]string{"Content-Type": "text/plain"}, pin, 415, "content_type_unsupported"},
		{"JSON without a Content-Type", "POST", "/api/login/pin", nil, pin, 415, "content_type_unsupported"},
		{"JSON with another charset", "POST", "/api/login/pin", map[string]string{"Content-Type": "application/json; charset=utf-16"}, pin, 415, "content_type_unsupported"},
		{"JSON with a UTF-8 charset", "POST", "/api/login/pin", map[string]string{"Content-Type": "application/json; charset=UTF-8"}, pin, 201, ""},
		{"another site's Origin", "POST", "/api/login/pin", with(map[string]string{"Origin": "https://evil.example"}), pin, 403, "cross_site"},
		{"Origin null", "POST", "/api/login/pin", with(map[string]string{"Origin": "null"}), pin, 403, "cross_site"},
		{"Sec-Fetch-Site cross-site", "POST", "/api/login/pin", with(map[string]string{"Sec-Fetch-Site": "cross-site"}), pin, 403, "cross_site"},
		{"Sec-Fetch-Site same-site", "POST", "/api/session/logout", with(map[string]string{"Sec-Fetch-Site": "same-site"}), nil, 403, "cross_site"},
		{"the kiosk page itself", "POST", "/api/login/pin", with(map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin"}), pin, 201, ""},
		{"no Origin and no Sec-Fetch-Site (curl)", "POST", "/api/login/pin", json, pin, 201, ""},
		{"duplicate key", "POST", "/api/login/pin", json, []byte(`{"nik":"` + kioskNIK + `","pin":"000000","pin":"` + kioskPIN + `"}`), 400, "body_invalid"},
		{"unknown key", "POST", "/api/login/pin", json, []byte(`{"nik":"` + kioskNIK + `","pin":"` + kioskPIN + `","admin":true}`), 400, "body_invalid"},
		{"key in other case", "POST", "/api/login/pin", json, []byte(`{"NIK":"` + kioskNIK + `","pin":"` + kioskPIN + `"}`), 400, "body_invalid"},
		{"data after the object", "POST", "/api/login/pin", json, append(append([]byte(nil), pin...), []byte(` {}`)...), 400, "body_invalid"},
		{"not an object", "POST", "/api/login/pin", json, []byte(`["` + kioskNIK + `"]`), 400, "body_invalid"},
		{"empty body", "POST", "/api/login/ticket", json, nil, 400, "body_invalid"},
		{"deep nesting", "POST", "/api/login/ticket", json, []byte(`{"ticket":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`), 400, "body_invalid"},
		{"body too large", "POST", "/api/login/ticket", json, []byte(`{"ticket":"` + strings.Repeat("A", 70<<10) + `"}`), 413, "body_too_large"},
		{"unknown route", "GET", "/api/nothing-here", nil, nil, 404, "route_not_found"},
		{"unknown route, POST", "POST", "/api/nothing-here", json, []byte(`{}`), 404, "route_not_found"},
		{"wrong method", "PUT", "/api/login/pin", json, pin, 405, "method_not_allowed"},
		{"static folder", "GET", "/i18n/", nil, nil, 404, "route_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := kioskDo(t, tt.method, base+tt.path, tt.header, tt.body)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("%s %s: %d %q, want %d %q (%.200s)", tt.method, tt.path, r.status, r.code(), tt.status, tt.code, r.body)
			}
			checkHeaders(t, r.header)
		})
	}
}

// TestKioskTransportRefusals: what fasthttp refuses before any handler
// (headers too large, broken chunking, a request cut short by the read
// timeout) is a client error with its code, not internal.
func TestKioskTransportRefusals(t *testing.T) {
	base := mustKioskServer(t)
	addr := strings.TrimPrefix(base, "http://")
	tests := []struct {
		name   string
		raw    string
		status int
		code   string
	}{
		{"headers too large", "GET /api/session HTTP/1.1\r\nHost: k\r\nX-Pad: " + strings.Repeat("a", 8<<10) + "\r\n\r\n", 431, "headers_too_large"},
		{"bad chunk size", "POST /api/login/pin HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400, "request_malformed"},
		{"Content-Length not a number", "POST /api/login/pin HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: ten\r\n\r\n{}", 400, "request_malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(conn, tt.raw); err != nil {
				t.Fatal(err)
			}
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			r := kioskReply{res.StatusCode, res.Header, b}
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("%d %q, want %d %q (%.200s)", r.status, r.code(), tt.status, tt.code, b)
			}
			checkHeaders(t, r.header)
		})
	}
	t.Run("read timeout", func(t *testing.T) {
		// The server's 15 s read timeout is not waited for: its error goes
		// through the same handler fasthttp calls.
		s := NewKiosk(station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Registry: kioskUpstream{}, Now: time.Now, Rand: rand.Reader}), nil, zerolog.Nop())
		var fctx fasthttp.RequestCtx
		s.app.Server().ErrorHandler(&fctx, &net.OpError{Op: "read", Err: timeoutError{}})
		var out struct{ Error errorJSON }
		_ = json.Unmarshal(fctx.Response.Body(), &out)
		if st := fctx.Response.StatusCode(); st != fiber.StatusRequestTimeout || out.Error.Code != "request_timeout" {
			t.Fatalf("%d %q, want 408 request_timeout", st, out.Error.Code)
		}
		if string(fctx.Response.Header.Peek("Cache-Control")) != "no-store" || string(fctx.Response.Header.Peek("X-Frame-Options")) != "DENY" {
			t.Errorf("headers %s", fctx.Response.Header.String())
		}
	})
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var _ net.Error = timeoutError{}

// TestKioskAPINotCached: every answer of the API carries the session's
// data or says something about it; none may be kept by a cache.
func TestKioskAPINotCached(t *testing.T) {
	base := mustKioskServer(t)
	json := map[string]string{"Content-Type": "application/json"}
	login := kioskDo(t, "POST", base+"/api/login/pin", json, []byte(`{"nik":"`+kioskNIK+`","pin":"`+kioskPIN+`"}`))
	if login.status != 201 {
		t.Fatalf("login: %d %s", login.status, login.body)
	}
	checkHeaders(t, login.header)
	cookie := strings.Split(login.header.Get("Set-Cookie"), ";")[0]
	for _, path := range []string{"/api/session", "/api/config", "/api/availability"} {
		t.Run(path, func(t *testing.T) {
			r := kioskDo(t, "GET", base+path, map[string]string{"Cookie": cookie}, nil)
			if path == "/api/session" && r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			checkHeaders(t, r.header)
		})
	}
	r := kioskDo(t, "POST", base+"/api/session/logout", map[string]string{"Cookie": cookie}, nil)
	if r.status != 204 {
		t.Fatalf("logout without a body or Content-Type: %d %s", r.status, r.body)
	}
	checkHeaders(t, r.header)
}

// TestStrictJSON covers the decoder on its own: what it accepts decodes
// as encoding/json would; the rest is body_invalid.
func TestStrictJSON(t *testing.T) {
	type in struct {
		NIK string `json:"nik"`
		PIN string `json:"pin"`
	}
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"flat object", `{"nik":"1","pin":"2"}`, true},
		{"whitespace around", " \n{\"nik\":\"1\"}\n ", true},
		{"duplicate key", `{"nik":"1","nik":"2"}`, false},
		{"duplicate key in a nested object", `{"nik":{"a":1,"a":2}}`, false},
		{"unknown key", `{"nick":"1"}`, false},
		{"key in other case", `{"Nik":"1"}`, false},
		{"key folded with the Kelvin sign", "{\"ni\u212a\":\"1\"}", false},
		{"two objects", `{} {}`, false},
		{"array", `[]`, false},
		{"string", `"nik"`, false},
		{"empty", ``, false},
		{"truncated", `{"nik":"1"`, false},
		{"wrong type", `{"nik":1}`, false},
		{"nested too deep", `{"nik":[[[[[[[[[]]]]]]]]]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v in
			err := strictJSON([]byte(tt.body), &v)
			if (err == nil) != tt.ok {
				t.Fatalf("strictJSON(%q) = %v, want ok %v", tt.body, err, tt.ok)
			}
			if err != nil && !errors.Is(err, fault.BodyInvalid) {
				t.Errorf("error %v is not body_invalid", err)
			}
		})
	}
}
