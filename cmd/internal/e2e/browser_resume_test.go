package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/printerd"
)

// TestBrowserReturningCitizen: a citizen leaves the waiting screen of a
// stopped printer; the printer is fixed and nothing comes out. Back with
// the same ticket, their document list offers the held print with its
// reference and *Lanjutkan cetak*, which prints that job, once.
func TestBrowserReturningCitizen(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el")
	ctx := context.Background()
	mustOK(t, sys.Printers.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultCoverOpen, At: printerd.FaultBeforePrint, Count: 1}))

	b := MustBrowser(t, 1080, 1920)
	b.openStart(sys.Station.KioskURL())
	b.scan(a.Ticket)
	b.screen("docs")
	b.tap("#doc-list button.print", "preview")
	b.tap("#preview-ok", "wait")
	ref := b.Text("#wait-ref")
	b.tap("#wait-leave", "left")
	b.tap("#left-ok", "start")
	held := sys.jobWhere(t, "held for the absent citizen", func(j printerd.Job) bool {
		return j.State == printerd.JobHeld && j.Reason == printerd.ReasonCitizenAbsent
	})
	if printerd.JobRef(held.ID) != ref {
		t.Fatalf("held job %s, the citizen was told %s", held.ID, ref)
	}
	mustOK(t, sys.Printers.ClearFaults(ctx, "card-1"))
	_ = sys.Printers.ResumePrinter(ctx, "card-1", "sari")

	b.scan(a.Ticket)
	b.screen("docs")
	b.Do(chromedp.WaitVisible(chromedp.CSS("#doc-list button.resume")))
	if got := b.Text("#doc-list .state"); !strings.Contains(got, ref) || strings.Contains(got, "Siap dicetak") {
		t.Errorf("the held print is shown as %q; want its reference %s", got, ref)
	}
	b.bothSizes("docs-resumable")
	if n := sys.cards(t); n != 0 {
		t.Fatalf("%d cards before the citizen resumed", n)
	}
	b.tap("#doc-list button.resume", "done")
	if n := sys.cards(t); n != 1 {
		t.Fatalf("%d cards after resuming, want 1", n)
	}
	if job := sys.jobWhere(t, "printed", still); job.ID != held.ID || job.State != printerd.JobPrinted {
		t.Fatalf("job %s %s, want the held %s printed", job.ID, job.State, held.ID)
	}
}
