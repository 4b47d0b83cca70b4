package e2e

import (
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/internal/chromiumtest"
)

var screenshots = flag.String("screenshots", "", "save kiosk screenshots into this folder (e.g. ../../../docs/kiosk)")

// Browser is headless Chromium on the kiosk page.
type Browser struct {
	tb   testing.TB
	ctx  context.Context
	dir  string
	lang string
}

// MustBrowser starts Debian's Chromium with the flags a closed network
// needs; without Chromium the test skips, unless peers are required.
func MustBrowser(tb testing.TB, width, height int) *Browser {
	tb.Helper()
	// Generous: under -race, with other packages' tests on both cores,
	// typing a ticket through the DevTools protocol alone can take a minute.
	ctx := chromiumtest.Start(tb, width, height, 5*time.Minute)
	dir := *screenshots
	if dir == "" {
		dir = tb.TempDir()
	}
	return &Browser{tb: tb, ctx: ctx, dir: dir, lang: "id"}
}

// open loads the kiosk page and waits until its script listens, so keys a
// test types (a scan) are not lost while the page is still loading.
func (b *Browser) open(url string) {
	b.tb.Helper()
	b.do(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`)))
}

func (b *Browser) reload() {
	b.tb.Helper()
	b.do(chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`)))
}

func (b *Browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.tb.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.tb.Fatal(err)
	}
}

func (b *Browser) text(sel string) string {
	b.tb.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.tb.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// screen waits until the named screen shows; when it does not, the test
// fails with the screen that shows instead, its text and a screenshot.
func (b *Browser) screen(name string) {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#screen-"+name))); err == nil {
		return
	}
	shown, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(".screen")].filter(s => !s.hidden).map(s => s.id + ": " + s.innerText).join(" | ")`))
	b.shot("failed-" + name)
	b.tb.Fatalf("waiting for screen %q; showing: %s (screenshot in %s)", name, shown, b.dir)
}

// shot saves a screenshot named after the screen and the language.
func (b *Browser) shot(name string) {
	b.tb.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, name+"-"+b.lang+".png"), png, 0o644); err != nil {
		b.tb.Fatal(err)
	}
}

// both saves the current screen in Bahasa Indonesia and in English.
func (b *Browser) both(name string) {
	b.tb.Helper()
	b.shot(name)
	b.do(chromedp.Click(chromedp.CSS("#lang")))
	b.lang = "en"
	b.shot(name)
	b.do(chromedp.Click(chromedp.CSS("#lang")))
	b.lang = "id"
}

// scan types text the way a QR scanner does: fast keystrokes, then Enter,
// with no input field focused.
func (b *Browser) scan(text string) {
	b.tb.Helper()
	b.do(chromedp.KeyEvent(text + "\r"))
}

// waitImagesLoaded waits until every image on the page has decoded.
func (b *Browser) waitImagesLoaded() {
	b.tb.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		done, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`[...document.images].every(i => i.complete && i.naturalWidth > 0)`))
		if err != nil {
			b.tb.Fatal(err)
		}
		if done {
			return
		}
	}
	b.tb.Fatal("preview images did not load")
}

func (b *Browser) keypad(digits string) {
	b.tb.Helper()
	for _, d := range digits {
		b.do(chromedp.Click(chromedp.CSS(`#keypad button[data-key="` + string(d) + `"]`)))
	}
}

func TestBrowserTicketPrintsKTPAndKK(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el", "kk")
	b := MustBrowser(t, 1280, 900)
	b.open(sys.Station.KioskURL())
	b.screen("start")
	b.do(chromedp.WaitVisible(chromedp.CSS(`#avail-list li[data-type="kk"]`)))
	// Everything the first load transfers: the page works offline from
	// embedded files and stays small.
	total, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](`[...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].reduce((n, e) => n + e.transferSize, 0)`))
	mustOK(t, err)
	t.Logf("first load transferred %.0f bytes", total)
	if total <= 0 || total > 300<<10 {
		t.Errorf("first load transferred %.0f bytes; the budget is 300 KiB", total)
	}
	if got := b.text("#avail-list"); !strings.Contains(got, "dapat dicetak") {
		t.Errorf("availability: %q", got)
	}
	b.both("start")

	b.do(chromedp.Click(chromedp.CSS("#way-ticket")))
	b.screen("ticket")
	b.both("ticket")
	b.scan(a.Ticket)
	b.screen("docs")
	if got := b.text("#subject"); got != a.NIK[:4]+"********"+a.NIK[12:] {
		t.Errorf("docs screen shows subject %q, want the masked NIK", got)
	}
	b.both("documents")
	b.do(chromedp.Click(chromedp.CSS("#print-all")))
	b.screen("preview")
	// Both documents' pages are shown, from the PDFs that will print.
	b.do(chromedp.WaitVisible(chromedp.CSS(`#preview-pages figure:nth-child(3) img`)))
	b.waitImagesLoaded()
	b.both("preview")
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))); n != 0 {
		t.Fatalf("%d cards printed before the citizen confirmed", n)
	}
	b.do(chromedp.Click(chromedp.CSS("#preview-ok")))
	b.screen("done")
	if got := b.text("#done-what"); !strings.Contains(got, "kartu") || !strings.Contains(got, "Kartu Keluarga") {
		t.Errorf("done screen says %q", got)
	}
	b.both("done")
	if !sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Error("token not burned after the browser printed both documents")
	}
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))) + len(outputs(t, filepath.Join(sys.Var, "out", "paper"))); n != 2 {
		t.Errorf("%d documents printed, want 2", n)
	}

	// The same ticket again: the error screen says it was used; nothing prints.
	b.do(chromedp.Click(chromedp.CSS("#done-ok")))
	b.screen("start")
	b.scan(a.Ticket)
	b.screen("error")
	if got := b.text("#error-code"); got != "ticket_used" {
		t.Errorf("reused ticket: error code %q", got)
	}
	b.both("error-ticket-used")
}

func TestBrowserPINWithOneWrongPIN(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "kia")
	b := MustBrowser(t, 1080, 1700) // a portrait kiosk screen
	b.open(sys.Station.KioskURL())
	b.screen("start")
	b.do(chromedp.Click(chromedp.CSS("#way-pin")))
	b.screen("pin")
	b.keypad(a.NIK)
	b.keypad(wrongPIN(a.PIN))
	b.both("pin")
	b.do(chromedp.Click(chromedp.CSS("#pin-ok")))
	b.screen("error")
	if got := b.text("#error-code"); got != "credentials_rejected" {
		t.Errorf("wrong PIN: error code %q", got)
	}
	if got := b.text("#error-text"); !strings.Contains(got, "PIN") {
		t.Errorf("wrong PIN: error text %q", got)
	}
	b.both("error-wrong-pin")
	// Trying again keeps the NIK: only the PIN is typed again.
	b.do(chromedp.Click(chromedp.CSS("#error-retry")))
	b.screen("pin")
	if got, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#nik"))); err != nil || got != a.NIK {
		t.Fatalf("NIK after a wrong PIN: %q %v", got, err)
	}
	b.keypad(a.PIN)
	b.do(chromedp.Click(chromedp.CSS("#pin-ok")))
	b.screen("docs")
	b.do(chromedp.Click(chromedp.CSS("#doc-list button.print")))
	b.screen("preview")
	// Back from the preview: the document is given back and can be chosen again.
	b.do(chromedp.Click(chromedp.CSS("#preview-back")))
	b.screen("docs")
	b.do(chromedp.Click(chromedp.CSS("#doc-list button.print")))
	b.screen("preview")
	b.do(chromedp.Click(chromedp.CSS("#preview-ok")))
	b.screen("done")
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))); n != 1 {
		t.Errorf("%d cards printed, want 1", n)
	}
}

func TestBrowserReloadResumesAndLogoutWipes(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "kk")
	b := MustBrowser(t, 1280, 900)
	b.open(sys.Station.KioskURL())
	b.screen("start")
	b.scan(a.Ticket)
	b.screen("docs")
	b.reload()
	b.screen("docs") // the server's session resumes after a reload
	b.do(chromedp.Click(chromedp.CSS("#finish")))
	b.screen("start")
	if got := b.text("#subject"); got != "" {
		t.Errorf("subject still on the page after finishing: %q", got)
	}
	// The server forgot the session too.
	b.reload()
	b.screen("start")
	res, err := http.Get(sys.Station.KioskURL() + "/api/session")
	mustOK(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("session after logout: %d", res.StatusCode)
	}
}
