package e2e

import (
	"context"
	"flag"
	"net/http"
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
	*chromiumtest.Page
	lang          string
	width, height int                  // the window's size, which both and bothSizes come back to
	actions       map[string][2]string // "primary WxH" → the action's box and the screen it was first seen on
}

// MustBrowser starts Debian's Chromium with the flags a closed network
// needs; without Chromium the test skips, unless peers are required.
func MustBrowser(tb testing.TB, width, height int) *Browser {
	tb.Helper()
	// Generous: under -race, with other packages' tests on both cores,
	// typing a ticket through the DevTools protocol alone can take a minute.
	return &Browser{Page: chromiumtest.NewPage(tb, width, height, 5*time.Minute, *screenshots), lang: "id", width: width, height: height}
}

// open loads the kiosk page and waits until its script listens, so keys a
// test types (a scan) are not lost while the page is still loading.
func (b *Browser) open(url string) {
	b.TB.Helper()
	b.Do(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`)))
}

// openStart opens the kiosk page at url and waits for the start screen.
func (b *Browser) openStart(url string) {
	b.TB.Helper()
	b.open(url)
	b.screen("start")
}

// tap taps the element sel selects and waits for the screen it leads to.
func (b *Browser) tap(sel, screen string) {
	b.TB.Helper()
	b.Do(chromedp.WaitEnabled(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
	b.screen(screen)
}

func (b *Browser) reload() {
	b.TB.Helper()
	b.Do(chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`)))
}

// screen waits until the named screen shows; when it does not, the test
// fails with the screen that shows instead, its text and a screenshot.
func (b *Browser) screen(name string) {
	b.TB.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#screen-"+name))); err == nil {
		return
	}
	shown, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(".screen")].filter(s => !s.hidden).map(s => s.id + ": " + s.innerText).join(" | ")`))
	b.shot("failed-" + name)
	b.TB.Fatalf("waiting for screen %q; showing: %s (screenshot in %s)", name, shown, b.Dir)
}

// shot saves a screenshot named after the screen and the language.
func (b *Browser) shot(name string) {
	b.TB.Helper()
	b.Shot(name + "-" + b.lang)
}

// scan types text the way a QR scanner does: fast keystrokes, then Enter,
// with no input field focused.
func (b *Browser) scan(text string) {
	b.TB.Helper()
	b.Do(chromedp.KeyEvent(text + "\r"))
}

// waitImagesLoaded waits until every image on the page has decoded.
func (b *Browser) waitImagesLoaded() {
	b.TB.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		done, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`[...document.images].every(i => i.complete && i.naturalWidth > 0)`))
		if err != nil {
			b.TB.Fatal(err)
		}
		if done {
			return
		}
	}
	b.TB.Fatal("preview images did not load")
}

// openFull opens the first card page of the preview in its full view.
func (b *Browser) openFull() {
	b.TB.Helper()
	b.Do(chromedp.Click(chromedp.CSS("#preview-pages figure.card button.zoom")), chromedp.WaitVisible(chromedp.CSS("#fullview img.card-page")))
	b.waitImagesLoaded()
}

func (b *Browser) keypad(digits string) {
	b.TB.Helper()
	for _, d := range digits {
		b.Do(chromedp.Click(chromedp.CSS(`#keypad button[data-key="` + string(d) + `"]`)))
	}
}

func TestBrowserTicketPrintsKTPAndKK(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el", "kk")
	b := MustBrowser(t, 1280, 900)
	b.openStart(sys.Station.KioskURL())
	b.Do(chromedp.WaitVisible(chromedp.CSS(`#avail-list li[data-type="kk"]`)))
	// Everything the first load transfers: the page works offline from
	// embedded files and stays small.
	total, err := chromedp.Run(b.Ctx, chromedp.Evaluate[float64](`[...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].reduce((n, e) => n + e.transferSize, 0)`))
	mustOK(t, err)
	t.Logf("first load transferred %.0f bytes", total)
	if total <= 0 || total > 300<<10 {
		t.Errorf("first load transferred %.0f bytes; the budget is 300 KiB", total)
	}
	if got := b.Text("#avail-list"); !strings.Contains(got, "dapat dicetak") {
		t.Errorf("availability: %q", got)
	}
	b.both("start")

	b.tap("#way-ticket", "ticket")
	b.both("ticket")
	b.scan(a.Ticket)
	b.screen("docs")
	if got := b.Text("#subject"); got != maskedNIK(a.NIK) {
		t.Errorf("docs screen shows subject %q, want the masked NIK", got)
	}
	b.both("documents")
	b.tap("#print-all", "preview")
	// Both documents' pages are shown, from the PDFs that will print.
	b.Do(chromedp.WaitVisible(chromedp.CSS(`#preview-pages figure:nth-child(3) img`)))
	b.waitImagesLoaded()
	b.both("preview")
	// The card's full view, from its Perbesar button; a tap on the card
	// enlarges it more; Tutup goes back to the preview.
	b.openFull()
	b.bothSizes("preview-card-full")
	// With Aa the top bar grows: on a landscape screen the card shrinks to
	// the height left (just under 80 %) rather than scroll.
	b.Do(chromedp.EmulateViewport(1920, 1080), chromedp.Click(chromedp.CSS("#btn-bigger")))
	fit := eval[string](b, `(() => { const f = document.querySelector("#fullview-frame"), r = document.querySelector("#fullview img").getBoundingClientRect();
		return (f.scrollHeight <= f.clientHeight + 1 && r.bottom <= innerHeight) + " " + (r.width / innerWidth).toFixed(3); })()`)
	if !strings.HasPrefix(fit, "true ") || fit < "true 0.78" {
		t.Errorf("the full view with Aa on 1920×1080: fits, width share = %q", fit)
	}
	t.Logf("the full view with Aa on 1920×1080: fits, width share %s", fit)
	b.Do(chromedp.Click(chromedp.CSS("#btn-bigger")), chromedp.EmulateViewport(int64(b.width), int64(b.height)))
	b.Do(chromedp.Click(chromedp.CSS("#fullview-frame .sheet")))
	if w := eval[float64](b, `document.querySelector("#fullview img").getBoundingClientRect().width / innerWidth`); w < 1.5 {
		t.Errorf("a tap on the full view's card makes it %.2f of the screen's width, want at least 1.5 (%s)", w, eval[string](b, `document.querySelector("#fullview").className + " " + document.elementFromPoint(innerWidth/2, innerHeight/2).outerHTML.slice(0, 80)`))
	}
	b.Do(chromedp.Click(chromedp.CSS("#fullview-close")), chromedp.WaitNotVisible(chromedp.CSS("#fullview")))
	b.screen("preview")
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))); n != 0 {
		t.Fatalf("%d cards printed before the citizen confirmed", n)
	}
	b.tap("#preview-ok", "done")
	if got := b.Text("#done-what"); !strings.Contains(got, "kartu") || !strings.Contains(got, "Kartu Keluarga") {
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
	b.tap("#done-ok", "start")
	b.scan(a.Ticket)
	b.screen("error")
	if got := b.Text("#error-code"); got != "ticket_used" {
		t.Errorf("reused ticket: error code %q", got)
	}
	b.both("error-ticket-used")
}

func TestBrowserPINWithOneWrongPIN(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "kia")
	b := MustBrowser(t, 1080, 1920) // a portrait kiosk screen
	b.openStart(sys.Station.KioskURL())
	b.tap("#way-pin", "pin")
	b.keypad(a.NIK)
	b.keypad(wrongPIN(a.PIN))
	b.both("pin")
	b.tap("#pin-ok", "error")
	if got := b.Text("#error-code"); got != "credentials_rejected" {
		t.Errorf("wrong PIN: error code %q", got)
	}
	if got := b.Text("#error-text"); !strings.Contains(got, "PIN") {
		t.Errorf("wrong PIN: error text %q", got)
	}
	b.both("error-wrong-pin")
	// Trying again keeps the NIK: only the PIN is typed again.
	b.tap("#error-retry", "pin")
	if got, err := chromedp.Run(b.Ctx, chromedp.Value(chromedp.CSS("#nik"))); err != nil || got != a.NIK {
		t.Fatalf("NIK after a wrong PIN: %q %v", got, err)
	}
	b.keypad(a.PIN)
	b.tap("#pin-ok", "docs")
	b.tap("#doc-list button.print", "preview")
	// Back from the preview: the document is given back and can be chosen again.
	b.tap("#preview-back", "docs")
	b.tap("#doc-list button.print", "preview")
	b.tap("#preview-ok", "done")
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))); n != 1 {
		t.Errorf("%d cards printed, want 1", n)
	}
}

func TestBrowserReloadResumesAndLogoutWipes(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "kk")
	b := MustBrowser(t, 1280, 900)
	b.openStart(sys.Station.KioskURL())
	b.scan(a.Ticket)
	b.screen("docs")
	b.reload()
	b.screen("docs") // the server's session resumes after a reload
	b.tap("#finish", "start")
	if got := b.Text("#subject"); got != "" {
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
