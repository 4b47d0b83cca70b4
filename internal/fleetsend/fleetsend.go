// Package fleetsend delivers a service's fleet outbox (internal/outbox) to
// the fleet hub: POST /v1/events over HTTPS with a client certificate, in
// order, in batches, deleting what the hub acknowledged (docs/fleet.md,
// "Kiosk side"). It runs in its own goroutine; nothing that prints waits
// for it.
package fleetsend

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/outbox"
)

// Limits of one batch (docs/fleet.md).
const (
	MaxBatchEvents = 500
	MaxBatchBytes  = 1 << 20
)

// Defaults of a Sender.
const (
	DefaultCap        = 100_000 // outbox rows before snapshots are compacted
	DefaultAlertAfter = 1000    // backlog that raises the alert
	DefaultIdle       = 2 * time.Second
	DefaultMaxBackoff = 5 * time.Minute
	// DefaultBacklogEvery is how often the sender reports its backlog
	// to the hub while it has one (an outbox_backlog event).
	DefaultBacklogEvery = time.Minute
)

// Outbox is what the sender reads and trims; *outbox.Store is one.
type Outbox interface {
	Next(ctx context.Context, max, maxBytes int) ([]fleet.Event, error)
	Acked(ctx context.Context, acked uint64) error
	Compact(ctx context.Context, limit int) (int64, error)
	Renumber(ctx context.Context, acked uint64) error
	Backlog(ctx context.Context) (outbox.Backlog, error)
	// Append writes an event of the sender's own (outbox_backlog).
	Append(ctx context.Context, at time.Time, kind fleet.Kind, key string, data any) error
}

var _ Outbox = (*outbox.Store)(nil)

// Logger receives the sender's failures: codes and counts, no event data.
type Logger func(msg string, err error)

// Sender delivers one stream's outbox to the hub.
type Sender struct {
	Stream fleet.Stream
	Outbox Outbox
	URL    string       // the hub's base URL, https://HOST:PORT
	Client *http.Client // with the kiosk's client certificate (ClientTLS)
	Now    func() time.Time
	Log    Logger
	// Cap is the outbox rows above which snapshots are compacted;
	// AlertAfter the backlog that makes Status alerting.
	Cap, AlertAfter int
	// Idle is the pause when the outbox is empty; MaxBackoff caps the
	// pause after failures, which doubles from Idle.
	Idle, MaxBackoff time.Duration
	// BacklogEvery is how often an outbox_backlog event is written while
	// the outbox holds events, and once more when it has emptied, so the
	// hub sees the backlog grow and clear.
	BacklogEvery time.Duration

	mu       sync.Mutex
	status   Status
	reported time.Time // when the last outbox_backlog was written
	lastSize int       // the events it reported
}

// Status is what the console, /metrics and the health check show.
type Status struct {
	Backlog  int       // events waiting
	Oldest   time.Time // the oldest waiting event's time; zero when none
	Alerting bool      // Backlog is past AlertAfter
	LastSent time.Time // the last acknowledgement
	LastErr  string    // the last failure's code; "" after a success
	Sent     uint64    // events acknowledged since start
	Lost     uint64    // events the hub acknowledged and then lost (409 sequence_gap below them)
}

// Status reports the last state the sender saw.
func (s *Sender) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *Sender) defaults() {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = func(string, error) {}
	}
	if s.Cap <= 0 {
		s.Cap = DefaultCap
	}
	if s.AlertAfter <= 0 {
		s.AlertAfter = DefaultAlertAfter
	}
	if s.Idle <= 0 {
		s.Idle = DefaultIdle
	}
	if s.MaxBackoff <= 0 {
		s.MaxBackoff = DefaultMaxBackoff
	}
	if s.BacklogEvery <= 0 {
		s.BacklogEvery = DefaultBacklogEvery
	}
}

// Run sends until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	s.defaults()
	pause := s.Idle
	for ctx.Err() == nil {
		more, err := s.Step(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.Log("fleet: send failed", err)
			pause = min(pause*2, s.MaxBackoff)
		case more:
			pause = s.Idle
			continue
		default:
			pause = s.Idle
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// ErrRefused is the hub refusing this kiosk (HTTP 403: unknown or
// revoked) or a batch (another 4xx): retried with backoff, since only an
// operator can fix it.
var ErrRefused = errors.New("fleet hub refused")

// Step compacts the outbox when it is over its cap, sends one batch and
// deletes what the hub acknowledged. more reports that events remain.
func (s *Sender) Step(ctx context.Context) (more bool, err error) {
	s.defaults()
	defer func() { s.refresh(ctx, err) }()
	if err := s.reportBacklog(ctx); err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	if _, err := s.Outbox.Compact(ctx, s.Cap); err != nil {
		return false, fmt.Errorf("compact: %w", err)
	}
	events, err := s.Outbox.Next(ctx, MaxBatchEvents, MaxBatchBytes)
	if err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	if len(events) == 0 {
		return false, nil
	}
	acked, err := s.post(ctx, fleet.Batch{Stream: s.Stream, Events: events})
	if err != nil {
		return false, err
	}
	if acked+1 < events[0].Seq {
		// The hub lacks events this outbox deleted on its word (its
		// database went back): those are gone; what is left goes on
		// after the hub's acked, so the stream has no gap.
		s.Log("fleet: the hub lost acknowledged events; renumbering after its acked", nil)
		if err := s.Outbox.Renumber(ctx, acked); err != nil {
			return false, fmt.Errorf("outbox: %w", err)
		}
		s.mu.Lock()
		s.status.Lost += events[0].Seq - acked - 1
		s.mu.Unlock()
		return true, nil
	}
	if err := s.Outbox.Acked(ctx, acked); err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	s.mu.Lock()
	s.status.LastSent = s.Now()
	for _, e := range events {
		if e.Seq <= acked {
			s.status.Sent++
		}
	}
	s.mu.Unlock()
	return len(events) == MaxBatchEvents || acked < events[len(events)-1].Seq, nil
}

// reportBacklog writes an outbox_backlog event into the outbox every
// BacklogEvery while events wait, and once after they are gone. It
// travels like any event, so a kiosk cut off from the hub reports its
// growing backlog when it is back: the hub's backlog_growing alert (and
// its clearing) comes from these. It is a snapshot: compaction keeps only
// the latest unsent one.
func (s *Sender) reportBacklog(ctx context.Context) error {
	now := s.Now()
	if s.reported.IsZero() {
		s.reported = now // the first report comes one interval after start
		return nil
	}
	if now.Sub(s.reported) < s.BacklogEvery {
		return nil
	}
	b, err := s.Outbox.Backlog(ctx)
	if err != nil {
		return err
	}
	if b.Count == 0 && s.lastSize == 0 {
		s.reported = now
		return nil
	}
	if err := s.Outbox.Append(ctx, now, fleet.KindOutboxBacklog, string(fleet.KindOutboxBacklog),
		fleet.OutboxBacklog{Events: b.Count, Bytes: b.Bytes, OldestAt: b.Oldest}); err != nil {
		return err
	}
	s.reported, s.lastSize = now, b.Count
	return nil
}

func (s *Sender) refresh(ctx context.Context, stepErr error) {
	b, err := s.Outbox.Backlog(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.status.Backlog, s.status.Oldest = b.Count, b.Oldest
		s.status.Alerting = b.Count > s.AlertAfter
	}
	s.status.LastErr = ""
	if stepErr != nil {
		s.status.LastErr = errCode(stepErr)
	}
}

// errCode is a failure's code for the console: no addresses, no data.
func errCode(err error) string {
	var he *hubError
	switch {
	case errors.As(err, &he):
		return he.code
	case strings.HasPrefix(err.Error(), "outbox"), strings.HasPrefix(err.Error(), "compact"):
		return "outbox_failed"
	}
	return "hub_unreachable"
}

type hubError struct {
	status int
	code   string
}

func (e *hubError) Error() string { return fmt.Sprintf("fleet hub: HTTP %d %s", e.status, e.code) }
func (e *hubError) Unwrap() error { return ErrRefused }

// post sends one batch and returns the hub's acked. A 409 sequence_gap
// carries the hub's acked too: the outbox deletes up to it and the next
// batch starts after it.
func (s *Sender) post(ctx context.Context, b fleet.Batch) (uint64, error) {
	body, err := json.Marshal(b)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.URL, "/")+"/v1/events", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, err
	}
	var ans struct {
		Code  string  `json:"code"`
		Acked *uint64 `json:"acked"`
	}
	_ = json.Unmarshal(raw, &ans) // a body that is not JSON is judged by its status below
	switch {
	case resp.StatusCode == http.StatusOK && ans.Acked != nil:
		return *ans.Acked, nil
	case resp.StatusCode == http.StatusConflict && ans.Code == "sequence_gap" && ans.Acked != nil:
		s.Log("fleet: hub reports a sequence gap; resuming after its acked", nil)
		return *ans.Acked, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return 0, fmt.Errorf("fleet hub: HTTP %d", resp.StatusCode)
	}
	code := ans.Code
	if code == "" {
		code = fmt.Sprintf("http_%d", resp.StatusCode)
	}
	return 0, &hubError{status: resp.StatusCode, code: code}
}

// ClientTLS is the kiosk's TLS configuration towards the hub: its
// certificate and key, and the fleet CA that signed the hub's
// certificate (the system's roots when ca is empty).
func ClientTLS(cert, key, ca string) (*tls.Config, error) {
	c, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, fmt.Errorf("fleet client certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("fleet CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("fleet CA %s: no certificate", ca)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// NewClient is an HTTP client with cfg for the hub.
func NewClient(cfg *tls.Config) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = cfg
	t.Proxy = nil // the hub is reached directly; a kiosk has no proxy
	return &http.Client{Transport: t}
}
