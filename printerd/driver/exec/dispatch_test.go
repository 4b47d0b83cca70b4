package exec_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/exec"
	"github.com/anjungan/anjungan/printerd/journal"
)

// TestFateUnreportedNeverPrintsTwice runs a program that exits 6 (retry)
// after picking a card, without saying where the card went, through the
// real Dispatcher and journal: the job goes in doubt after one run and is
// never handed to the program again.
func TestFateUnreportedNeverPrintsTwice(t *testing.T) {
	ctx := context.Background()
	runs := filepath.Join(t.TempDir(), "runs")
	dev := MustOpen(t, "fate-unreported-retry.sh", map[string]string{"media": string(printerd.MediaCard), "device-uri": "file://" + runs})
	j, err := journal.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	d, err := printerd.NewDispatcher(printerd.DispatcherConfig{Journal: j, Poll: 5 * time.Millisecond, RetryDelay: 10 * time.Millisecond,
		Printers: []printerd.Printer{{Name: "p", Driver: exec.Name, Media: printerd.MediaCard, Device: dev}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if _, err := d.LoadCards(ctx, printerd.Load{Printer: "p", Count: 10, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "card.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	job, _, err := d.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "k", Media: printerd.MediaCard, Title: "test", Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if job, err = d.Job(ctx, job.ID); err != nil {
			t.Fatal(err)
		}
		if job.State != printerd.JobQueued && job.State != printerd.JobDispatching || time.Now().After(deadline) {
			break
		}
	}
	time.Sleep(200 * time.Millisecond) // 20 retry delays: time to print it again, were it queued
	if job, err = d.Job(ctx, job.ID); err != nil {
		t.Fatal(err)
	}
	if job.State != printerd.JobInDoubt {
		t.Errorf("job = %s %q, want in_doubt", job.State, job.Reason)
	}
	b, _ := os.ReadFile(runs)
	if n := strings.Count(string(b), "run "); n != 1 {
		t.Errorf("the program ran %d times for the job, want once:\n%s", n, b)
	}
}
