// Package client talks to printerd's API over its unix socket. Errors the
// server reports come back as *fault.Error with the server's code, so
// errors.Is(err, printerd.ErrJobNotFound) works across the socket; a
// server that cannot be reached is printerd.ErrUnreachable.
//
// Submit is safe to retry with the same idempotency key after any error,
// including a timeout: printerd returns the job it already has.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/api"
)

// DefaultTimeout bounds every call unless Client.Timeout says otherwise.
const DefaultTimeout = 30 * time.Second

// maxResponse caps what the client reads from printerd.
const maxResponse = 16 << 20

// Client is a printerd client. It is safe for concurrent use; set Timeout
// before the first call.
type Client struct {
	// Timeout bounds each call, on top of the caller's context.
	Timeout time.Duration
	http    *http.Client
	base    string
}

// New returns a client of the printerd listening on socketPath.
func New(socketPath string) *Client {
	var d net.Dialer
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", socketPath)
		},
		MaxIdleConns:    4,
		IdleConnTimeout: time.Minute,
	}
	return &Client{Timeout: DefaultTimeout, http: &http.Client{Transport: tr}, base: "http://printerd"}
}

// CloseIdleConnections closes the client's idle connections.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// Submit asks printerd to print a document and returns its job; the same
// request again returns the same job. printerd.ErrIdempotencyConflict
// comes with the job the key already names.
// The document travels as the body, raw; the other members in the
// api.JobHeader header.
func (c *Client) Submit(ctx context.Context, req printerd.SubmitRequest) (printerd.Job, error) {
	var job printerd.Job
	meta, err := api.EncodeJobHeader(req)
	if err != nil {
		return job, printerd.ErrInvalidJob.With(err)
	}
	err = c.send(ctx, http.MethodPost, "/v1/jobs", func(r *http.Request) {
		r.Header.Set("Content-Type", api.ContentTypePDF)
		r.Header.Set(api.JobHeader, meta)
	}, bytes.NewReader(req.Document), &job)
	return job, err
}

// Job returns one job.
func (c *Client) Job(ctx context.Context, id printerd.JobID) (printerd.Job, error) {
	var job printerd.Job
	err := c.call(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(string(id)), nil, &job)
	return job, err
}

// JobHistory returns every state change of a job, oldest first.
func (c *Client) JobHistory(ctx context.Context, id printerd.JobID) ([]printerd.JobEvent, error) {
	var events []printerd.JobEvent
	err := c.call(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(string(id))+"/history", nil, &events)
	return events, err
}

// Jobs lists the newest jobs (up to printerd.DefaultListLimit) in state,
// or in every state when state is "".
func (c *Client) Jobs(ctx context.Context, state printerd.JobState) ([]printerd.Job, error) {
	return c.ListJobs(ctx, printerd.JobFilter{State: state})
}

// ListJobs lists the jobs f selects, newest first (GET /v1/jobs with
// state, key, limit, since, until, updated_since and updated_until).
func (c *Client) ListJobs(ctx context.Context, f printerd.JobFilter) ([]printerd.Job, error) {
	q := url.Values{}
	set := func(name, v string) {
		if v != "" {
			q.Set(name, v)
		}
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339Nano)
	}
	set("state", string(f.State))
	set("key", f.Key)
	if f.Limit > 0 {
		set("limit", strconv.Itoa(f.Limit))
	}
	set("since", at(f.Since))
	set("until", at(f.Until))
	set("updated_since", at(f.UpdatedSince))
	set("updated_until", at(f.UpdatedUntil))
	path := "/v1/jobs"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var jobs []printerd.Job
	err := c.call(ctx, http.MethodGet, path, nil, &jobs)
	return jobs, err
}

// JobsCreated lists the jobs created in [since, until), newest first, at
// most printerd.MaxListLimit of them.
func (c *Client) JobsCreated(ctx context.Context, since, until time.Time) ([]printerd.Job, error) {
	return c.ListJobs(ctx, printerd.JobFilter{Since: since, Until: until, Limit: printerd.MaxListLimit})
}

// Cancel cancels a queued or held job.
func (c *Client) Cancel(ctx context.Context, id printerd.JobID) (printerd.Job, error) {
	var job printerd.Job
	err := c.call(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(string(id))+"/cancel", nil, &job)
	return job, err
}

// Printers reports every printer with its status.
func (c *Client) Printers(ctx context.Context) ([]printerd.PrinterInfo, error) {
	var ps []printerd.PrinterInfo
	err := c.call(ctx, http.MethodGet, "/v1/printers", nil, &ps)
	return ps, err
}

// Health returns nil when printerd answers and its journal can write;
// printerd.ErrJournal when it answers that its journal cannot (HTTP 503,
// status degraded); printerd.ErrUnreachable when it does not answer.
func (c *Client) Health(ctx context.Context) error {
	_, err := c.HealthReport(ctx)
	return err
}

// HealthReport returns printerd's health report, and the error Health
// returns.
func (c *Client) HealthReport(ctx context.Context) (api.Health, error) {
	var h api.Health
	err := c.call(ctx, http.MethodGet, "/v1/health", nil, &h)
	if err == nil && h.Status != api.HealthOK {
		err = printerd.ErrJournal.Withf("printerd health: %s, journal %s", h.Status, h.Journal)
	}
	return h, err
}

// JobByKey returns the job submitted under an idempotency key; found is
// false when there is none. After an error answer to Submit, this tells
// whether the job exists; while printerd cannot be sure (its journal
// cannot write) it is printerd.ErrJournal, and the caller retries Submit
// with the same key instead, which is always safe.
func (c *Client) JobByKey(ctx context.Context, key string) (job printerd.Job, found bool, err error) {
	var jobs []printerd.Job
	if err := c.call(ctx, http.MethodGet, "/v1/jobs?"+url.Values{"key": {key}}.Encode(), nil, &jobs); err != nil {
		return printerd.Job{}, false, err
	}
	if len(jobs) == 0 {
		return printerd.Job{}, false, nil
	}
	return jobs[0], true, nil
}

func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	if in == nil {
		return c.send(ctx, method, path, nil, nil, out)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return printerd.ErrInvalidJob.With(err)
	}
	return c.send(ctx, method, path, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, bytes.NewReader(b), out)
}

// send makes one request with body (nil for none), its headers set by
// header, and decodes the answer into out.
func (c *Client) send(ctx context.Context, method, path string, header func(*http.Request), body io.Reader, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fault.Internal.With(err)
	}
	if header != nil {
		header(req)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return printerd.ErrUnreachable.With(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return printerd.ErrUnreachable.With(err)
	}
	if resp.StatusCode >= 300 {
		if h, ok := out.(*api.Health); ok && resp.StatusCode == http.StatusServiceUnavailable &&
			json.Unmarshal(b, h) == nil && h.Status != "" {
			return nil // a degraded report; HealthReport turns it into an error
		}
		if job, ok := out.(*printerd.Job); ok {
			var er api.ErrorResponse // the job an idempotency conflict names
			if json.Unmarshal(b, &er) == nil && er.Job != nil {
				*job = *er.Job
			}
		}
		return decodeError(resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fault.Internal.Withf("printerd %s %s: undecodable answer: %w", method, path, err)
	}
	return nil
}

// decodeError rebuilds the server's fault from an error answer. An answer
// that is not one (a proxy's page, say) becomes fault.Internal.
func decodeError(status int, body []byte) *fault.Error {
	var er api.ErrorResponse
	if err := json.Unmarshal(body, &er); err != nil || er.Error.Code == "" {
		return fault.Internal.Withf("printerd answered HTTP %d without an error body", status)
	}
	e := &fault.Error{
		Code:  er.Error.Code,
		ID:    er.Error.MessageID,
		EN:    er.Error.MessageEN,
		Cause: fmt.Errorf("printerd answered HTTP %d", status),
	}
	// A citizen is never shown an empty message.
	if e.ID == "" || e.EN == "" {
		e.ID, e.EN = fault.Internal.ID, fault.Internal.EN
	}
	return e
}
