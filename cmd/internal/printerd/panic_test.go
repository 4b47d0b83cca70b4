package printerd_test

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/printerd/driver"
)

// panicDriver stands for a vendor's driver that panics in Print, as
// goipp did on a malformed reply.
type panicDriver struct{}

func (panicDriver) Open(context.Context, printerd.DeviceConfig) (printerd.Device, error) {
	return panicDevice{}, nil
}

type panicDevice struct{}

func (panicDevice) Capabilities(context.Context) (printerd.Capabilities, error) {
	return printerd.Capabilities{Media: []printerd.Media{printerd.MediaCard}, Resolutions: []int{300}}, nil
}

func (panicDevice) Status(context.Context) (printerd.Status, error) {
	return printerd.Status{State: printerd.PrinterIdle}, nil
}

func (panicDevice) Print(context.Context, printerd.PrintJob) (printerd.Printed, error) {
	panic("runtime error: index out of range [4] with length 2")
}

func (panicDevice) Close() error { return nil }

func init() { driver.Register("test-panic", panicDriver{}) }

// A driver that panics in Print does not end printerd: the job is
// in_doubt, the printer stopped with driver-panic, the panic logged at
// error level with its cause, and printerd keeps serving; after a
// restart the job is not printed again.
func TestDriverPanicIsLoggedAndSurvived(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	var log syncBuffer
	key, _ := MustAuditKey(t, tmp)
	args := []string{"-audit-key", key,
		"-socket", filepath.Join(MustSocketDir(t), "printerd.sock"),
		"-data", filepath.Join(tmp, "data"),
		"-printer", "name=card-1,driver=test-panic,uri=acme://c300,media=om_card_54x86mm"}
	m := MustRun(t, &log, args...)
	c := client.New(m.SocketPath())
	defer c.CloseIdleConnections()
	if _, err := c.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 10, Actor: "sari"}); err != nil {
		t.Fatal(err)
	}
	job, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "k", Media: printerd.MediaCard, Title: "KTP-el", Document: MustRead(t, "card.pdf")})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); job.State != printerd.JobInDoubt; time.Sleep(5 * time.Millisecond) {
		if job, err = c.Job(ctx, job.ID); err != nil || time.Now().After(deadline) {
			t.Fatalf("job %+v, %v; want in_doubt", job, err)
		}
	}
	if job.Reason != printerd.ReasonDriverPanic {
		t.Errorf("job reason %q, want driver-panic", job.Reason)
	}
	if err := c.Health(ctx); err != nil {
		t.Fatalf("printerd stopped serving: %v", err)
	}
	ps, err := c.Printers(ctx)
	if err != nil || len(ps) != 1 || ps[0].Status.State != printerd.PrinterStopped || !hasReason(ps[0].Status.Reasons, printerd.ReasonDriverPanic) {
		t.Errorf("Printers = %+v, %v; want card-1 stopped with driver-panic", ps, err)
	}
	// The journal commits the change before printerd logs it: wait a while.
	logged := false
	for deadline := time.Now().Add(5 * time.Second); !logged && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, line := range strings.Split(log.String(), "\n") {
			var l struct{ Level, Job, State, Cause string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Job == string(job.ID) && l.State == "in_doubt" {
				logged = l.Level == "error" && strings.Contains(l.Cause, "driver_panic") && strings.Contains(l.Cause, "index out of range")
			}
		}
	}
	if !logged {
		t.Errorf("no error-level log line for job %s with the panic as its cause:\n%s", job.ID, log.String())
	}

	// Restarted, printerd does not print the job again on its own.
	c.CloseIdleConnections()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = MustRun(t, io.Discard, args...)
	c = client.New(m.SocketPath())
	defer c.CloseIdleConnections()
	time.Sleep(50 * time.Millisecond) // a worker polls at start: let it look
	if got, err := c.Job(ctx, job.ID); err != nil || got.State != printerd.JobInDoubt {
		t.Errorf("after restart job = %+v, %v; want still in_doubt", got, err)
	}
}

func hasReason(rs []printerd.Reason, keyword string) bool {
	for _, r := range rs {
		if r.Keyword == keyword {
			return true
		}
	}
	return false
}
