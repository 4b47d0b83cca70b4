package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/api"
)

// Resolve carries out a supervisor's decision on an in_doubt job.
func (c *Client) Resolve(ctx context.Context, id printerd.JobID, r printerd.Resolution) (printerd.Resolved, error) {
	var out printerd.Resolved
	err := c.call(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(string(id))+"/resolve", r, &out)
	return out, err
}

// EraseNote erases the supervisor's note of a job's resolution from
// printerd's journal; erased is false when there was none left.
func (c *Client) EraseNote(ctx context.Context, id printerd.JobID, actor string) (bool, error) {
	var out printerd.NoteErased
	err := c.call(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(string(id))+"/erase-note", printerd.EraseNote{Actor: actor}, &out)
	return out.Erased, err
}

// Release moves a held job back to the queue.
func (c *Client) Release(ctx context.Context, id printerd.JobID, actor string) (printerd.Job, error) {
	var job printerd.Job
	err := c.call(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(string(id))+"/release", api.Actor{Actor: actor}, &job)
	return job, err
}

// ResumePrinter lets a stopped printer take jobs again.
func (c *Client) ResumePrinter(ctx context.Context, printer, actor string) error {
	var ack api.Ack
	return c.call(ctx, http.MethodPost, "/v1/printers/"+url.PathEscape(printer)+"/resume", api.Actor{Actor: actor}, &ack)
}

// InjectFault arms a fault on a simulated printer.
func (c *Client) InjectFault(ctx context.Context, printer string, f printerd.Fault) error {
	var ack api.Ack
	return c.call(ctx, http.MethodPost, "/v1/printers/"+url.PathEscape(printer)+"/faults", f, &ack)
}

// ClearFaults disarms a printer's faults and clears their conditions.
func (c *Client) ClearFaults(ctx context.Context, printer string) error {
	var ack api.Ack
	return c.call(ctx, http.MethodDelete, "/v1/printers/"+url.PathEscape(printer)+"/faults", nil, &ack)
}

// Ledger reports the blank cards of every card printer.
func (c *Client) Ledger(ctx context.Context) ([]printerd.LedgerEntry, error) {
	var l []printerd.LedgerEntry
	err := c.call(ctx, http.MethodGet, "/v1/ledger", nil, &l)
	return l, err
}

// LoadCards records blank cards loaded into a printer.
func (c *Client) LoadCards(ctx context.Context, l printerd.Load) (printerd.Load, error) {
	var out printerd.Load
	err := c.call(ctx, http.MethodPost, "/v1/ledger/loads", l, &out)
	return out, err
}

// Availability tells, per media, whether a document can be printed now.
func (c *Client) Availability(ctx context.Context) ([]printerd.Availability, error) {
	var a []printerd.Availability
	err := c.call(ctx, http.MethodGet, "/v1/availability", nil, &a)
	return a, err
}

// Events follows printerd's job and printer notices until ctx ends or the
// stream breaks; then the channel is closed. Events returns once
// printerd has subscribed the stream, so reading a job's state after it
// misses no change. Client.Timeout does not apply to the stream.
func (c *Client) Events(ctx context.Context) (<-chan printerd.Notice, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/events", nil)
	if err != nil {
		return nil, fault.Internal.With(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, printerd.ErrUnreachable.With(err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		return nil, decodeError(resp.StatusCode, b)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		resp.Body.Close()
		return nil, fault.Internal.Withf("printerd events: content type %q", resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	// The first line is the subscription comment; waiting for it makes
	// the promise above true.
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, ":") {
		resp.Body.Close()
		return nil, printerd.ErrUnreachable.Withf("printerd events: no subscription line: %v", err)
	}
	out := make(chan printerd.Notice, 16)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		_ = ReadEvents(br, func(n printerd.Notice) bool {
			select {
			case out <- n:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	return out, nil
}

// maxEventLine caps one line of the event stream.
const maxEventLine = 1 << 20

// ReadEvents parses a Server-Sent Events stream of notices and calls fn
// for each until fn returns false or the stream ends. Comment lines,
// id/event/retry fields and events without data are skipped; data that
// is not a notice is an error.
func ReadEvents(r io.Reader, fn func(printerd.Notice) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxEventLine)
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data.Len() == 0 {
				continue
			}
			var n printerd.Notice
			if err := json.Unmarshal([]byte(data.String()), &n); err != nil {
				return fault.Internal.Withf("printerd events: undecodable notice: %w", err)
			}
			data.Reset()
			if !fn(n) {
				return nil
			}
		case strings.HasPrefix(line, ":"):
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			if field == "data" {
				if data.Len() > 0 {
					data.WriteByte('\n')
				}
				if data.Len()+len(value) > maxEventLine {
					return fault.Internal.Withf("printerd events: event too large")
				}
				data.WriteString(value)
			}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return printerd.ErrUnreachable.With(err)
	}
	return nil
}

// RenewPresence keeps the presence id live for ttl: the citizen is at the
// kiosk (printerd/presence.go).
func (c *Client) RenewPresence(ctx context.Context, id string, ttl time.Duration) (printerd.PresenceLease, error) {
	var lease printerd.PresenceLease
	err := c.call(ctx, http.MethodPut, "/v1/presence/"+url.PathEscape(id), api.PresenceRenewal{TTLMS: ttl.Milliseconds()}, &lease)
	return lease, err
}

// EndPresence ends the presence id: the citizen left. It returns the jobs
// held because of it.
func (c *Client) EndPresence(ctx context.Context, id string) ([]printerd.Job, error) {
	var out api.PresenceEnded
	err := c.call(ctx, http.MethodDelete, "/v1/presence/"+url.PathEscape(id), nil, &out)
	return out.Held, err
}

// Reattach gives a job held citizen_absent back to its citizen, who came
// back under the live presence: it queues again, the same job.
func (c *Client) Reattach(ctx context.Context, id printerd.JobID, presence string) (printerd.Job, error) {
	var job printerd.Job
	err := c.call(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(string(id))+"/reattach", api.Reattachment{Presence: presence}, &job)
	return job, err
}
