package client_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/printerd/driver/sim"
)

// typical is a simulated card printer that declares a typical print time.
type typical struct {
	printerd.Device
	took time.Duration
}

func (t typical) TypicalPrintTime() time.Duration { return t.took }

var _ printerd.TypicalTimer = typical{}

// steppingClock advances one second at every reading, so every measured
// print takes whole seconds whatever the machine's speed.
type steppingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// mustServeCards serves the real API over a simulated card printer with
// blanks, wrapped by wrap, and a dispatcher on the given clock.
func mustServeCards(tb testing.TB, now func() time.Time, wrap func(printerd.Device) printerd.Device) *client.Client {
	tb.Helper()
	dev, err := sim.Open(printerd.DeviceConfig{Name: "card-1", URI: filepath.Join(tb.TempDir(), "out"),
		Options: map[string]string{"media": string(printerd.MediaCard), "raster": "off"}})
	if err != nil {
		tb.Fatal(err)
	}
	c := client.New(mustServeAPI(tb, printerd.DispatcherConfig{Now: now,
		Printers: []printerd.Printer{{Name: "card-1", Driver: "sim", Media: printerd.MediaCard, Device: wrap(dev)}}}))
	tb.Cleanup(c.CloseIdleConnections)
	// A card job is claimed only while the ledger has a blank left.
	if _, err := c.LoadCards(context.Background(), printerd.Load{Printer: "card-1", Count: 100, Actor: "test"}); err != nil {
		tb.Fatal(err)
	}
	return c
}

// dispatchEstimates prints n jobs one after another and returns the
// estimate each one's dispatching notice carried.
func dispatchEstimates(t *testing.T, c *client.Client, n int) []int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // stops a hung test only
	defer cancel()
	events, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for i := range n {
		job, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "k" + string(rune('a'+i)), Media: printerd.MediaCard,
			Title: "KTP-el", Document: MustRead(t, "card.pdf")})
		if err != nil {
			t.Fatal(err)
		}
		for done := false; !done; {
			ev, ok := <-events
			if !ok {
				t.Fatalf("event stream ended: %v", ctx.Err())
			}
			if ev.Kind != printerd.NoticeJob || ev.Job.ID != job.ID {
				continue
			}
			switch ev.Job.State {
			case printerd.JobDispatching:
				got = append(got, ev.EstimateMS)
			case printerd.JobPrinted:
				done = true
			case printerd.JobQueued:
			default:
				t.Fatalf("job %s ended %s (%s)", job.ID, ev.Job.State, ev.Job.Reason)
			}
		}
	}
	return got
}

func TestEstimateSeededFromTheDriver(t *testing.T) {
	clock := &steppingClock{now: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	c := mustServeCards(t, clock.Now, func(d printerd.Device) printerd.Device { return typical{Device: d, took: time.Hour} })
	got := dispatchEstimates(t, c, 2)
	if got[0] != time.Hour.Milliseconds() {
		t.Errorf("first estimate %d ms, want the driver's typical %d ms", got[0], time.Hour.Milliseconds())
	}
	// The first print took a few clock steps, far less than an hour: the
	// estimate moves towards it, by a quarter of the difference.
	if got[1] >= got[0] || got[1] < got[0]*3/4 {
		t.Errorf("second estimate %d ms after a print of seconds; want between %d and %d", got[1], got[0]*3/4, got[0])
	}
}

func TestEstimateLearnedWithoutATypicalTime(t *testing.T) {
	clock := &steppingClock{now: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	c := mustServeCards(t, clock.Now, func(d printerd.Device) printerd.Device { return d })
	got := dispatchEstimates(t, c, 2)
	if got[0] != 0 {
		t.Errorf("first estimate %d ms with nothing measured and no typical time, want 0 (unknown)", got[0])
	}
	if got[1] < time.Second.Milliseconds() {
		t.Errorf("second estimate %d ms after a print measured in whole seconds, want at least 1000", got[1])
	}
}
