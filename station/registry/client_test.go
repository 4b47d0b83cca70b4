package registry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// answer is one canned HTTP answer.
type answer struct {
	status int
	ctype  string
	body   string
}

// fakeUpstream is a real HTTP server on 127.0.0.1:0 that gives canned
// answers in turn (the last one repeats) and counts requests.
type fakeUpstream struct {
	*httptest.Server
	hits    atomic.Int32
	answers []answer
}

func newFake(tb testing.TB, answers ...answer) *fakeUpstream {
	tb.Helper()
	f := &fakeUpstream{answers: answers}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.hits.Add(1))
		a := f.answers[min(n, len(f.answers))-1]
		if a.ctype != "" {
			w.Header().Set("Content-Type", a.ctype)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	tb.Cleanup(f.Close)
	return f
}

func newClient(url string) *Client {
	c := New(url, nil, zerolog.Nop())
	c.Backoff = time.Millisecond
	return c
}

const jsonType = "application/json"

func errBody(code string) string {
	return `{"error":{"code":"` + code + `","message_id":"x","message_en":"x"}}`
}

var (
	testNIK     = fixtureSubject
	testTicket  = station.Ticket{ID: strings.Repeat("ab", 16), Documents: []station.DocumentType{station.KTPEl, station.KK}}
	authzAnswer = answer{200, jsonType, `{"authorization_id":"aut_1","nik":"3171091203850007","method":"ticket","expires_at":"2026-03-02T09:30:00Z","requests":[{"request_id":"req_1","document_type":"ktp-el","status":"approved"}]}`}
	testAuthz   = station.Authorization{ID: "aut_1", Subject: testNIK, Method: station.AuthTicket,
		Requests: []station.PrintRequest{{ID: "req_1", Document: station.KTPEl, Status: station.RequestApproved}}}
	testOutcome = station.PrintOutcome{Authorization: "aut_1", Request: "req_1", IdempotencyKey: "k1", JobID: "j1",
		Printer: "card-1", CardSerial: "SN1", PDFSHA256: strings.Repeat("0", 64), Result: station.ResultPrinted}
)

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name   string
		answer answer
		want   *fault.Error
	}{
		{"credentials", answer{401, jsonType, errBody("credentials_rejected")}, station.ErrCredentialsRejected},
		{"ticket used", answer{409, jsonType, errBody("ticket_used")}, station.ErrTicketUsed},
		{"too many", answer{429, jsonType, errBody("too_many_attempts")}, station.ErrTooManyAttempts},
		{"session", answer{401, jsonType, errBody("session_expired")}, station.ErrSessionExpired},
		{"server error", answer{500, jsonType, errBody("internal")}, station.ErrUpstreamUnavailable},
		{"proxy page", answer{502, "text/html", "<html>Bad Gateway</html>"}, station.ErrUpstreamUnavailable},
		{"unknown code", answer{400, jsonType, errBody("bad_request")}, station.ErrUpstreamInvalid},
		{"known code on 5xx", answer{503, jsonType, errBody("ticket_used")}, station.ErrUpstreamUnavailable},
		{"error not json", answer{401, "text/plain", "no"}, station.ErrUpstreamInvalid},
		{"success not json", answer{201, "text/html", authzAnswer.body}, station.ErrUpstreamInvalid},
		{"success without type", answer{201, "", authzAnswer.body}, station.ErrUpstreamInvalid},
		{"malformed", answer{201, jsonType, `{"authorization_id":`}, station.ErrUpstreamInvalid},
		{"oversize", answer{201, jsonType, `{"authorization_id":"` + strings.Repeat("a", MaxBody) + `"}`}, station.ErrUpstreamInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.answer)
			_, err := newClient(f.URL).AuthenticateTicket(context.Background(), testTicket)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %s", err, tt.want.Code)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	unavailable := answer{503, "text/plain", "busy"}
	settled := answer{200, jsonType, `{"request_status":"printed","token_burned":true}`}
	doc := answer{200, jsonType, string(mustRead(t, "ktp-el-valid.json"))}
	tests := []struct {
		name     string
		answers  []answer
		call     func(c *Client) error
		wantHits int32
		wantErr  *fault.Error
	}{
		{"login is never retried", []answer{unavailable, authzAnswer}, func(c *Client) error {
			_, err := c.AuthenticateTicket(context.Background(), testTicket)
			return err
		}, 1, station.ErrUpstreamUnavailable},
		{"PIN login is never retried", []answer{unavailable}, func(c *Client) error {
			_, err := c.AuthenticatePIN(context.Background(), testNIK, "123456")
			return err
		}, 1, station.ErrUpstreamUnavailable},
		{"document retried", []answer{unavailable, unavailable, doc}, func(c *Client) error {
			_, err := c.Document(context.Background(), testAuthz, "req_1")
			return err
		}, 3, nil},
		{"confirmation retried", []answer{unavailable, settled}, func(c *Client) error {
			_, err := c.ConfirmPrint(context.Background(), testOutcome)
			return err
		}, 2, nil},
		{"attempts run out", []answer{unavailable}, func(c *Client) error {
			_, err := c.ConfirmPrint(context.Background(), testOutcome)
			return err
		}, 3, station.ErrUpstreamUnavailable},
		{"refusals are not retried", []answer{{409, jsonType, errBody("already_printed")}}, func(c *Client) error {
			_, err := c.ConfirmPrint(context.Background(), testOutcome)
			return err
		}, 1, station.ErrAlreadyPrinted},
		{"invalid answers are not retried", []answer{{200, "text/html", "hi"}}, func(c *Client) error {
			o := testOutcome
			o.Result = station.ResultFailed
			return c.ReportPrint(context.Background(), o)
		}, 1, station.ErrUpstreamInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.answers...)
			err := tt.call(newClient(f.URL))
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if got := f.hits.Load(); got != tt.wantHits {
				t.Fatalf("%d requests, want %d", got, tt.wantHits)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(srv.URL)
	c.Timeout = 20 * time.Millisecond
	c.Attempts = 2
	if _, err := c.ConfirmPrint(context.Background(), testOutcome); !errors.Is(err, station.ErrUpstreamUnavailable) {
		t.Fatalf("error %v, want %s", err, station.ErrUpstreamUnavailable.Code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ConfirmPrint(ctx, testOutcome); !errors.Is(err, station.ErrUpstreamUnavailable) {
		t.Fatalf("canceled: %v", err)
	}
}

func TestSubjectChecks(t *testing.T) {
	other := `{"authorization_id":"aut_1","nik":"3171095507880002","method":"pin","expires_at":"2026-03-02T09:30:00Z","requests":[]}`
	f := newFake(t, answer{201, jsonType, other})
	if _, err := newClient(f.URL).AuthenticatePIN(context.Background(), testNIK, "123456"); !errors.Is(err, station.ErrSubjectMismatch) {
		t.Fatalf("PIN login answered for another NIK: %v", err)
	}

	f = newFake(t, answer{200, jsonType, string(mustRead(t, "ktp-el-subject-mismatch-envelope.json"))})
	if _, err := newClient(f.URL).Document(context.Background(), testAuthz, "req_1"); !errors.Is(err, station.ErrSubjectMismatch) {
		t.Fatalf("document of another NIK: %v", err)
	}

	// The upstream may not grant documents the ticket does not name.
	kiaOnly := station.Ticket{ID: testTicket.ID, Documents: []station.DocumentType{station.KIA}}
	f = newFake(t, authzAnswer)
	if _, err := newClient(f.URL).AuthenticateTicket(context.Background(), kiaOnly); !errors.Is(err, station.ErrUpstreamInvalid) {
		t.Fatalf("authorization beyond the ticket: %v", err)
	}
}

func TestLocalChecks(t *testing.T) {
	f := newFake(t, answer{500, jsonType, errBody("internal")})
	c := newClient(f.URL)
	ctx := context.Background()
	checks := []struct {
		name string
		err  error
		want *fault.Error
	}{
		{"ticket id", func() error { _, err := c.AuthenticateTicket(ctx, station.Ticket{ID: "nope"}); return err }(), station.ErrTicketInvalid},
		{"PIN format", func() error { _, err := c.AuthenticatePIN(ctx, testNIK, "12a456"); return err }(), station.ErrCredentialsRejected},
		{"no NIK", func() error { _, err := c.AuthenticatePIN(ctx, station.NIK{}, "123456"); return err }(), station.ErrCredentialsRejected},
		{"request not in authorization", func() error { _, err := c.Document(ctx, testAuthz, "req_9"); return err }(), station.ErrRequestNotFound},
		{"confirm a failure", func() error {
			o := testOutcome
			o.Result = station.ResultFailed
			_, err := c.ConfirmPrint(ctx, o)
			return err
		}(), fault.Internal},
		{"report a print", c.ReportPrint(ctx, testOutcome), fault.Internal},
		{"outcome without key", func() error {
			o := testOutcome
			o.IdempotencyKey = ""
			_, err := c.ConfirmPrint(ctx, o)
			return err
		}(), fault.Internal},
	}
	for _, ch := range checks {
		if !errors.Is(ch.err, ch.want) {
			t.Errorf("%s: %v, want %s", ch.name, ch.err, ch.want.Code)
		}
	}
	if n := f.hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the upstream", n)
	}
}
