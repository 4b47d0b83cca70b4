// Package registry is the station's HTTP client of the upstream civil
// registry, contract v1 (docs/upstream.md). It trusts nothing it
// receives: every answer is size-capped, type-checked and validated into
// domain values before the kiosk sees it.
package registry

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/ticket"
)

// Limits on what the client accepts.
const (
	MaxBody = 2 << 20 // bytes of one response body
)

// Client talks to the upstream. Its zero value is not usable; call New.
type Client struct {
	base string
	hc   *http.Client
	log  zerolog.Logger

	// Timeout bounds each attempt of a call.
	Timeout time.Duration
	// Attempts is how often an idempotent call is tried in all. Logging in
	// is tried once: a timed-out login may have succeeded.
	Attempts int
	// Backoff is the pause before the second attempt; it doubles after.
	Backoff time.Duration
	// BindingKey is the upstream's NIK binding key. When set, a ticket
	// login is refused unless the ticket's binding matches the NIK the
	// upstream answers with: a ticket cannot open another citizen's data.
	BindingKey []byte
	// PINLimit, when set, refuses NIK + PIN logins after too many wrong
	// PINs, before the upstream is asked.
	PINLimit *PINLimit
}

var _ station.Registry = (*Client)(nil)

// New returns a client of the upstream at baseURL (e.g.
// http://127.0.0.1:8090). hc nil means a plain http.Client.
func New(baseURL string, hc *http.Client, logger zerolog.Logger) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{
		base:     strings.TrimRight(baseURL, "/"),
		hc:       hc,
		log:      logger,
		Timeout:  10 * time.Second,
		Attempts: 3,
		Backoff:  200 * time.Millisecond,
	}
}

type authorizeRequest struct {
	Method   station.AuthMethod `json:"method"`
	TicketID string             `json:"ticket_id,omitempty"`
	NIK      string             `json:"nik,omitempty"`
	PIN      string             `json:"pin,omitempty"`
}

// AuthenticateTicket logs in with a verified ticket's id.
func (c *Client) AuthenticateTicket(ctx context.Context, t station.Ticket) (station.Authorization, error) {
	if !isLowerHex(t.ID, 32) {
		return station.Authorization{}, station.ErrTicketInvalid.Withf("ticket id is not 32 hex digits")
	}
	body, err := c.call(ctx, http.MethodPost, "/v1/authorizations", authorizeRequest{Method: station.AuthTicket, TicketID: t.ID}, false)
	if err != nil {
		return station.Authorization{}, err
	}
	a, err := decodeAuthorization(body, station.AuthTicket)
	if err != nil {
		return station.Authorization{}, err
	}
	if len(c.BindingKey) > 0 && !hmac.Equal(t.NIKBinding, ticket.Binding(c.BindingKey, a.Subject)) {
		return station.Authorization{}, station.ErrSubjectMismatch.Withf("ticket %s is bound to another NIK than %s", t.ID, a.Subject)
	}
	// The upstream may not grant more than the ticket says.
	for _, r := range a.Requests {
		if len(t.Documents) > 0 && !contains(t.Documents, r.Document) {
			return station.Authorization{}, station.ErrUpstreamInvalid.Withf("request %s for %s not in the ticket", r.ID, r.Document)
		}
	}
	c.log.Info().Str("authorization", a.ID).Stringer("subject", a.Subject).Int("requests", len(a.Requests)).Msg("ticket login")
	return a, nil
}

// AuthenticatePIN logs in with a NIK and a one-time PIN.
func (c *Client) AuthenticatePIN(ctx context.Context, nik station.NIK, pin string) (station.Authorization, error) {
	return c.authenticateNIK(ctx, station.AuthPIN, nik, pin)
}

// AuthenticateCard logs in with the NIK read from a verified e-KTP and the
// PIN as second factor. The PIN attempt limits apply as for a PIN login.
func (c *Client) AuthenticateCard(ctx context.Context, nik station.NIK, pin string) (station.Authorization, error) {
	return c.authenticateNIK(ctx, station.AuthCard, nik, pin)
}

func (c *Client) authenticateNIK(ctx context.Context, method station.AuthMethod, nik station.NIK, pin string) (station.Authorization, error) {
	if nik.IsZero() {
		return station.Authorization{}, station.ErrCredentialsRejected.Withf("NIK missing")
	}
	if c.PINLimit != nil {
		if err := c.PINLimit.Check(nik); err != nil {
			return station.Authorization{}, err
		}
	}
	if !isDigits(pin, 6) {
		return station.Authorization{}, c.wrongPIN(nik, fmt.Errorf("PIN not 6 digits"))
	}
	body, err := c.call(ctx, http.MethodPost, "/v1/authorizations", authorizeRequest{Method: method, NIK: nik.Reveal(), PIN: pin}, false)
	if errors.Is(err, station.ErrCredentialsRejected) {
		return station.Authorization{}, c.wrongPIN(nik, err)
	}
	if err != nil {
		return station.Authorization{}, err
	}
	a, err := decodeAuthorization(body, method)
	if err != nil {
		return station.Authorization{}, err
	}
	if a.Subject != nik {
		return station.Authorization{}, station.ErrSubjectMismatch.Withf("authorization for %s, asked for %s", a.Subject, nik)
	}
	if c.PINLimit != nil {
		c.PINLimit.Succeeded(nik)
	}
	c.log.Info().Str("authorization", a.ID).Stringer("subject", a.Subject).Int("requests", len(a.Requests)).Str("method", string(method)).Msg("NIK login")
	return a, nil
}

// wrongPIN counts a wrong PIN and says how many attempts are left.
func (c *Client) wrongPIN(nik station.NIK, cause error) error {
	if c.PINLimit == nil {
		return station.ErrCredentialsRejected.With(cause)
	}
	left := c.PINLimit.Failed(nik)
	return wrongPIN(left, c.PINLimit.Check(nik), cause)
}

// Document fetches and validates the data of one request of authz.
func (c *Client) Document(ctx context.Context, authz station.Authorization, id station.RequestID) (station.Document, error) {
	var req *station.PrintRequest
	for i := range authz.Requests {
		if authz.Requests[i].ID == id {
			req = &authz.Requests[i]
		}
	}
	if req == nil {
		return station.Document{}, station.ErrRequestNotFound.Withf("request %s not in authorization %s", id, authz.ID)
	}
	body, err := c.call(ctx, http.MethodGet, requestPath(authz.ID, id, "document"), nil, true)
	if err != nil {
		return station.Document{}, err
	}
	return decodeDocument(body, authz.Subject, *req)
}

type holdRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
}

type confirmationRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
	IntentKey      string `json:"intent_key,omitempty"`
	JobID          string `json:"job_id"`
	PrinterID      string `json:"printer_id"`
	CardSerial     string `json:"card_serial"`
	PDFSHA256      string `json:"pdf_sha256"`
}

type reportRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
	IntentKey      string `json:"intent_key,omitempty"`
	JobID          string `json:"job_id,omitempty"`
	PrinterID      string `json:"printer_id,omitempty"`
	Result         string `json:"result"`
	Reason         string `json:"reason"`
}

type settleResponse struct {
	RequestStatus station.RequestStatus `json:"request_status"`
	TokenBurned   bool                  `json:"token_burned"`
}

// HoldForPrint asks the upstream to hold a request for one print before
// its job reaches printerd. Retries are safe: the key makes the upstream
// take the hold once.
func (c *Client) HoldForPrint(ctx context.Context, authz station.Authorization, id station.RequestID, intentKey string) error {
	if authz.ID == "" || id == "" || intentKey == "" {
		return fault.Internal.Withf("hold without authorization, request or key")
	}
	body, err := c.call(ctx, http.MethodPost, requestPath(authz.ID, id, "hold"), holdRequest{IdempotencyKey: intentKey}, true)
	if err != nil {
		return err
	}
	var res settleResponse
	if err := decodeJSON(body, &res); err != nil {
		return err
	}
	if res.RequestStatus != station.RequestPrinting {
		return station.ErrUpstreamInvalid.Withf("hold answered with status %q", res.RequestStatus)
	}
	c.log.Info().Str("authorization", authz.ID).Str("request", string(id)).Msg("request held for print")
	return nil
}

// ConfirmPrint tells the upstream a document printed. Retries are safe:
// the idempotency key makes the upstream record it once.
func (c *Client) ConfirmPrint(ctx context.Context, o station.PrintOutcome) (bool, error) {
	if o.Result != "" && o.Result != station.ResultPrinted {
		return false, fault.Internal.Withf("ConfirmPrint with result %q", o.Result)
	}
	if err := checkOutcome(o); err != nil {
		return false, err
	}
	if !isLowerHex(o.PDFSHA256, 64) {
		return false, fault.Internal.Withf("PDF digest is not 64 hex digits")
	}
	body, err := c.call(ctx, http.MethodPost, requestPath(o.Authorization, o.Request, "confirmation"), confirmationRequest{
		IdempotencyKey: o.IdempotencyKey, IntentKey: o.IntentKey, JobID: o.JobID, PrinterID: o.Printer, CardSerial: o.CardSerial, PDFSHA256: o.PDFSHA256,
	}, true)
	if err != nil {
		return false, err
	}
	var res settleResponse
	if err := decodeJSON(body, &res); err != nil {
		return false, err
	}
	if res.RequestStatus != station.RequestPrinted {
		return false, station.ErrUpstreamInvalid.Withf("confirmation answered with status %q", res.RequestStatus)
	}
	c.log.Info().Str("authorization", o.Authorization).Str("request", string(o.Request)).Bool("token_burned", res.TokenBurned).Msg("print confirmed")
	return res.TokenBurned, nil
}

// ReportPrint tells the upstream a print failed or its outcome is not
// known. Nothing is burned.
func (c *Client) ReportPrint(ctx context.Context, o station.PrintOutcome) error {
	want := station.RequestApproved
	switch o.Result {
	case station.ResultFailed:
	case station.ResultInDoubt:
		want = station.RequestInDoubt
	default:
		return fault.Internal.Withf("ReportPrint with result %q", o.Result)
	}
	if err := checkOutcome(o); err != nil {
		return err
	}
	body, err := c.call(ctx, http.MethodPost, requestPath(o.Authorization, o.Request, "report"), reportRequest{
		IdempotencyKey: o.IdempotencyKey, IntentKey: o.IntentKey, JobID: o.JobID, PrinterID: o.Printer, Result: string(o.Result), Reason: o.Reason,
	}, true)
	if err != nil {
		return err
	}
	var res settleResponse
	if err := decodeJSON(body, &res); err != nil {
		return err
	}
	// A failure reported for a hold that is no longer the request's
	// changes nothing and is answered with the request's status as it is.
	if res.RequestStatus != want && (o.Result != station.ResultFailed || !knownStatus(res.RequestStatus)) {
		return station.ErrUpstreamInvalid.Withf("report %s answered with status %q", o.Result, res.RequestStatus)
	}
	c.log.Info().Str("authorization", o.Authorization).Str("request", string(o.Request)).Str("result", string(o.Result)).Msg("print reported")
	return nil
}

// Requests lists the print requests of an authorization's approval with
// their current status (approved, printed, in doubt). GET: retried.
func (c *Client) Requests(ctx context.Context, authz station.Authorization) ([]station.PrintRequest, error) {
	if authz.ID == "" {
		return nil, fault.Internal.Withf("requests without authorization")
	}
	body, err := c.call(ctx, http.MethodGet, "/v1/authorizations/"+url.PathEscape(authz.ID)+"/requests", nil, true)
	if err != nil {
		return nil, err
	}
	var res struct {
		Requests []requestJSON `json:"requests"`
	}
	if err := decodeJSON(body, &res); err != nil {
		return nil, err
	}
	return decodeRequests(res.Requests)
}

// Release gives back a request whose document was fetched but will not be
// printed (the citizen left at the preview). It is idempotent, so it is
// retried like the other settlement calls.
func (c *Client) Release(ctx context.Context, authz station.Authorization, id station.RequestID) error {
	if authz.ID == "" || id == "" {
		return fault.Internal.Withf("release without authorization or request")
	}
	body, err := c.call(ctx, http.MethodPost, requestPath(authz.ID, id, "release"), struct{}{}, true)
	if err != nil {
		return err
	}
	var res struct {
		RequestStatus station.RequestStatus `json:"request_status"`
		Released      bool                  `json:"released"`
	}
	if err := decodeJSON(body, &res); err != nil {
		return err
	}
	c.log.Info().Str("authorization", authz.ID).Str("request", string(id)).Bool("released", res.Released).Msg("request released")
	return nil
}

func checkOutcome(o station.PrintOutcome) error {
	if o.Authorization == "" || o.Request == "" || o.IdempotencyKey == "" {
		return fault.Internal.Withf("print outcome lacks authorization, request or idempotency key")
	}
	// Only a job that never reached printerd has no id, and only one that
	// failed before a printer took it has no printer.
	if o.JobID == "" && (o.Result != station.ResultFailed || o.Reason != station.ReasonNotSubmitted) ||
		o.Printer == "" && o.Result != station.ResultFailed {
		return fault.Internal.Withf("print outcome lacks job or printer")
	}
	return nil
}

func knownStatus(s station.RequestStatus) bool {
	switch s {
	case station.RequestApproved, station.RequestPrinted, station.RequestInDoubt, station.RequestPrinting:
		return true
	}
	return false
}

func requestPath(authz string, id station.RequestID, what string) string {
	return "/v1/authorizations/" + url.PathEscape(authz) + "/requests/" + url.PathEscape(string(id)) + "/" + what
}

// call sends one request, retrying an idempotent one on transport errors,
// timeouts and 5xx answers, and returns the body of a 2xx JSON answer.
func (c *Client) call(ctx context.Context, method, path string, in any, idempotent bool) ([]byte, error) {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return nil, fault.Internal.With(err)
		}
	}
	attempts := 1
	if idempotent {
		attempts = max(1, c.Attempts)
	}
	wait := c.Backoff
	for i := 1; ; i++ {
		body, err := c.attempt(ctx, method, path, payload)
		if err == nil || i >= attempts || !errors.Is(err, station.ErrUpstreamUnavailable) || ctx.Err() != nil {
			return body, err
		}
		c.log.Warn().Str("method", method).Str("path", path).Int("attempt", i).Err(err).Msg("upstream call failed; retrying")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, station.ErrUpstreamUnavailable.With(ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}

func (c *Client) attempt(ctx context.Context, method, path string, payload []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fault.Internal.With(err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, station.ErrUpstreamUnavailable.With(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, MaxBody+1))
	if err != nil {
		return nil, station.ErrUpstreamUnavailable.With(fmt.Errorf("reading answer: %w", err))
	}
	if len(b) > MaxBody {
		return nil, station.ErrUpstreamInvalid.Withf("answer larger than %d bytes", MaxBody)
	}
	isJSON := jsonContent(res.Header.Get("Content-Type"))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if !isJSON {
			return nil, station.ErrUpstreamInvalid.Withf("answer of type %q", res.Header.Get("Content-Type"))
		}
		return b, nil
	}
	return nil, upstreamError(res.StatusCode, b, isJSON)
}

func jsonContent(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// upstreamErrors maps the contract's error codes to the station's.
var upstreamErrors = map[string]*fault.Error{
	"credentials_rejected": station.ErrCredentialsRejected,
	"ticket_used":          station.ErrTicketUsed,
	"too_many_attempts":    station.ErrTooManyAttempts,
	"session_expired":      station.ErrSessionExpired,
	"request_not_found":    station.ErrRequestNotFound,
	"already_printed":      station.ErrAlreadyPrinted,
	"request_in_doubt":     station.ErrAlreadyPrinted,
	"request_reserved":     station.ErrRequestReserved,
	"request_printing":     station.ErrRequestPrinting,
	"nothing_to_print":     station.ErrNothingToPrint,
}

// upstreamError turns an error answer into a station error; the
// upstream's own code and status go into the cause for the log.
func upstreamError(status int, body []byte, isJSON bool) error {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if isJSON {
		_ = json.Unmarshal(body, &e)
	}
	code := e.Error.Code
	cause := fmt.Errorf("upstream answered %d %q", status, code)
	if tmpl, ok := upstreamErrors[code]; ok && status < 500 {
		return tmpl.With(cause)
	}
	if status >= 500 {
		return station.ErrUpstreamUnavailable.With(cause)
	}
	return station.ErrUpstreamInvalid.With(cause)
}
