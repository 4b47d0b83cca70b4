package client_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/api"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/printerd/driver/sim"
	"github.com/anjungan/anjungan/printerd/drivertest"
	"github.com/anjungan/anjungan/printerd/journal"
	"github.com/anjungan/anjungan/station"
)

// The station consumes printerd through this client.
var _ station.PrintService = (*client.Client)(nil)

// MustSocketDir returns a short directory: unix socket paths are limited
// to about 108 bytes, which t.TempDir can exceed.
func MustSocketDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "pd")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// MustServe serves the real API (journal, dispatcher, simulated card
// printer with no blank cards, so jobs end held) on a unix socket.
func MustServe(tb testing.TB) string {
	tb.Helper()
	return MustServeIn(tb, tb.TempDir())
}

// MustServeIn serves as MustServe does, with the journal in dir/data.
func MustServeIn(tb testing.TB, dir string) string {
	tb.Helper()
	dev, err := sim.Open(printerd.DeviceConfig{Name: "card-1", URI: filepath.Join(tb.TempDir(), "out"),
		Options: map[string]string{"media": string(printerd.MediaCard), "blanks": "0"}, TempDir: drivertest.TempDir(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	return mustServeAPIIn(tb, dir, printerd.DispatcherConfig{
		Printers: []printerd.Printer{{Name: "card-1", Driver: "sim", Media: printerd.MediaCard, Device: dev}}})
}

// mustServeAPI serves the real API on a unix socket, with a journal in a
// temporary folder and a dispatcher of cfg (polling every 10 ms unless
// cfg says otherwise). It returns the socket's path; the dispatcher, the
// printers' devices and the journal are closed when the test ends.
func mustServeAPI(tb testing.TB, cfg printerd.DispatcherConfig) string {
	tb.Helper()
	return mustServeAPIIn(tb, tb.TempDir(), cfg)
}

func mustServeAPIIn(tb testing.TB, dir string, cfg printerd.DispatcherConfig) string {
	tb.Helper()
	j, err := journal.Open(filepath.Join(dir, "data"), time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Journal = j
	if cfg.Poll == 0 {
		cfg.Poll = 10 * time.Millisecond
	}
	d, err := printerd.NewDispatcher(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	sock := filepath.Join(MustSocketDir(tb), "printerd.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: api.NewHandler(d, zerolog.Nop())}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() {
		_ = d.Close() // ends the event streams
		_ = srv.Close()
		for _, p := range cfg.Printers {
			_ = p.Device.Close()
		}
		_ = j.Close()
	})
	return sock
}

func MustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestClient(t *testing.T) {
	ctx := context.Background()
	c := client.New(MustServe(t))
	defer c.CloseIdleConnections()
	if err := c.Health(ctx); err != nil {
		t.Fatalf("Health: %v", err)
	}
	req := printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaCard, Title: "KTP-el", Document: MustRead(t, "card.pdf")}
	job, err := c.Submit(ctx, req)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	again, err := c.Submit(ctx, req)
	if err != nil || again.ID != job.ID {
		t.Errorf("resubmit = %s, %v; want %s", again.ID, err, job.ID)
	}
	deadline := time.Now().Add(20 * time.Second)
	for job.State != printerd.JobHeld {
		if time.Now().After(deadline) {
			t.Fatalf("job stuck at %+v, want held (no blank cards)", job)
		}
		time.Sleep(5 * time.Millisecond)
		if job, err = c.Job(ctx, job.ID); err != nil {
			t.Fatal(err)
		}
	}
	held, err := c.Jobs(ctx, printerd.JobHeld)
	if err != nil || len(held) != 1 || held[0].ID != job.ID {
		t.Errorf("Jobs(held) = %+v, %v", held, err)
	}
	all, err := c.Jobs(ctx, "")
	if err != nil || len(all) != 1 {
		t.Errorf("Jobs() = %+v, %v", all, err)
	}
	for _, tt := range []struct {
		since, until time.Time
		want         int
	}{
		{job.Created, job.Created.Add(time.Nanosecond), 1},
		{job.Created.Add(-time.Hour), job.Created, 0},
		{job.Created.Add(time.Nanosecond), job.Created.Add(time.Hour), 0},
	} {
		if got, err := c.JobsCreated(ctx, tt.since, tt.until); err != nil || len(got) != tt.want {
			t.Errorf("JobsCreated(%v, %v) = %d jobs, %v; want %d", tt.since, tt.until, len(got), err, tt.want)
		}
	}
	// The held job last changed at job.Updated: asked by state and by the
	// time of its last change, it is there; outside that time it is not.
	for _, tt := range []struct {
		f    printerd.JobFilter
		want int
	}{
		{printerd.JobFilter{State: printerd.JobHeld, UpdatedSince: job.Updated, UpdatedUntil: job.Updated.Add(time.Nanosecond), Limit: 1}, 1},
		{printerd.JobFilter{UpdatedSince: job.Updated.Add(time.Nanosecond)}, 0},
		{printerd.JobFilter{UpdatedUntil: job.Updated}, 0},
		{printerd.JobFilter{State: printerd.JobPrinted, UpdatedSince: job.Updated.Add(-time.Hour)}, 0},
		{printerd.JobFilter{Key: "k1"}, 1},
	} {
		if got, err := c.ListJobs(ctx, tt.f); err != nil || len(got) != tt.want {
			t.Errorf("ListJobs(%+v) = %d jobs, %v; want %d", tt.f, len(got), err, tt.want)
		}
	}
	canceled, err := c.Cancel(ctx, job.ID)
	if err != nil || canceled.State != printerd.JobCanceled {
		t.Errorf("Cancel = %+v, %v", canceled, err)
	}
	ps, err := c.Printers(ctx)
	if err != nil || len(ps) != 1 || ps[0].Name != "card-1" {
		t.Errorf("Printers = %+v, %v", ps, err)
	}
}

func TestClientErrors(t *testing.T) {
	c := client.New(MustServe(t))
	defer c.CloseIdleConnections()
	card := MustRead(t, "card.pdf")
	tests := []struct {
		name    string
		call    func(ctx context.Context) error
		wantErr error
	}{
		{"unknown job", func(ctx context.Context) error { _, err := c.Job(ctx, "JNOSUCHJOB000"); return err }, printerd.ErrJobNotFound},
		{"invalid job", func(ctx context.Context) error {
			_, err := c.Submit(ctx, printerd.SubmitRequest{Media: printerd.MediaCard, Document: card})
			return err
		}, printerd.ErrInvalidJob},
		{"no printer", func(ctx context.Context) error {
			_, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "a4", Media: printerd.MediaA4, Document: card})
			return err
		}, printerd.ErrNoPrinter},
		{"conflict", func(ctx context.Context) error {
			if _, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "dup", Media: printerd.MediaCard, Document: card}); err != nil {
				return err
			}
			_, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "dup", Media: printerd.MediaCard, Document: append(bytes.Clone(card), ' ')})
			return err
		}, printerd.ErrIdempotencyConflict},
		{"bad state", func(ctx context.Context) error { _, err := c.Jobs(ctx, "lost"); return err }, printerd.ErrInvalidRequest},
		{"no daemon", func(ctx context.Context) error {
			_, err := client.New(filepath.Join(MustSocketDir(t), "none.sock")).Job(ctx, "J1")
			return err
		}, printerd.ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(context.Background())
			var fe *fault.Error
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &fe) || fe.ID == "" || fe.EN == "" {
				t.Errorf("error = %v, want %v with messages", err, tt.wantErr)
			}
		})
	}
}

// TestClientConflictNamesTheJob: a key submitted again with another
// document is refused, and the answer carries the job the key names, so
// the station can see how it ended.
func TestClientConflictNamesTheJob(t *testing.T) {
	c := client.New(MustServe(t))
	defer c.CloseIdleConnections()
	ctx := context.Background()
	card := MustRead(t, "card.pdf")
	first, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaCard, Document: card})
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaCard, Document: append(bytes.Clone(card), ' ')})
	if !errors.Is(err, printerd.ErrIdempotencyConflict) {
		t.Fatalf("Submit = %v, want idempotency_conflict", err)
	}
	now, err := c.Job(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if job.ID != first.ID || job.State == "" || job.IdempotencyKey != "k1" {
		t.Errorf("conflict names %+v, want %s (%s now)", job, first.ID, now.State)
	}
	// Other refusals name no job.
	if job, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "a4", Media: printerd.MediaA4, Document: card}); !errors.Is(err, printerd.ErrNoPrinter) || job.ID != "" {
		t.Errorf("Submit = %+v, %v; want no_printer and no job", job, err)
	}
}

func TestClientTimeout(t *testing.T) {
	// A server that accepts and never answers.
	sock := filepath.Join(MustSocketDir(t), "mute.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	c := client.New(sock)
	c.Timeout = 50 * time.Millisecond
	_, err = c.Job(context.Background(), "J1")
	if !errors.Is(err, printerd.ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want printerd_unreachable from the deadline", err)
	}
}
