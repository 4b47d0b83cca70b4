package e2e

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPrintingScreen prints a KTP-el on a card printer with a
// printer's pace: the printing screen shows the steps and counts down the
// time left that printerd estimates, then the citizen is told to take the
// card.
func TestBrowserPrintingScreen(t *testing.T) {
	sys := MustStartWith(t, Options{SlowCard: true})
	a := sys.MustApprove(t, "ktp-el")
	b := MustBrowser(t, 1080, 1920)
	b.openStart(sys.Station.KioskURL())
	b.tap("#way-ticket", "ticket")
	b.scan(a.Ticket)
	b.screen("docs")
	b.tap("#doc-list button.print", "preview")
	b.waitImagesLoaded()
	b.tap("#preview-ok", "printing")
	// printerd's first estimate is the simulator's own pace: 5 s a card.
	ctx, cancel := context.WithTimeout(b.Ctx, 60*time.Second) // stops a hung test only
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#progress .left:not(:empty)`))); err != nil {
		t.Fatalf("the printing screen never showed the time left: %s", b.Text("#progress"))
	}
	left := b.Text("#progress .left")
	if !regexp.MustCompile(`^sekitar [1-5] detik lagi$`).MatchString(left) {
		t.Errorf("time left shows %q, want about 1 to 5 seconds", left)
	}
	b.both("printing")
	b.mustAccessible("printing")
	b.screen("done")
}
