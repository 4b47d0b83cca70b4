package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// step is the step of the flow the indicator marks as current.
func (b *Browser) step() string {
	return eval[string](b, `(document.querySelector("#steps li[aria-current=step]") || {dataset: {}}).dataset.step || ""`)
}

// mirrored tells whether the picture sel selects is drawn mirrored.
func (b *Browser) mirrored(sel string) bool {
	return eval[bool](b, `getComputedStyle(document.querySelector(`+jsString(sel)+`)).transform.startsWith("matrix(-1")`)
}

// helpShots saves the help dialog over the screen shown on both kiosk
// screens in both languages (the dialog covers the language button, so
// it is closed to switch), checking its layout on each.
func (b *Browser) helpShots(name string) {
	b.TB.Helper()
	for _, size := range kioskSizes {
		b.Do(chromedp.EmulateViewport(size.w, size.h))
		for _, lang := range []string{"id", "en"} {
			if lang != b.lang {
				b.Do(chromedp.Click(chromedp.CSS("#lang")))
				b.lang = lang
			}
			b.Do(chromedp.Click(chromedp.CSS("#btn-help")), chromedp.WaitVisible(chromedp.CSS("#help")))
			b.mustFit(name + " " + size.name)
			if *screenshots != "" {
				b.shot(name + "-" + size.name)
			}
			b.Do(chromedp.Click(chromedp.CSS("#help-close")), chromedp.WaitNotVisible(chromedp.CSS("#help")))
		}
	}
	b.Do(chromedp.Click(chromedp.CSS("#lang")))
	b.lang = "id"
	b.Do(chromedp.EmulateViewport(int64(b.width), int64(b.height)))
}

// TestBrowserGuide: the step indicator follows the flow; the pictures
// follow the kiosk model's layout; Aa makes the text larger for the visit
// only; Bantuan explains the step in pictures and calls an officer once
// a citizen is signed in; every screen shown, error included, is told to
// the page's other scripts (kiosk:screen) for the spoken guidance.
func TestBrowserGuide(t *testing.T) {
	sys := MustStartWith(t, Options{KioskLayout: "reader=left,scanner=right,card-slot=left,paper-slot=right"})
	a := sys.MustApprove(t, "ktp-el", "kk")
	sv := sys.MustSupervisor(t, "spv")
	b := MustBrowser(t, 1080, 1920)
	b.openStart(sys.Station.KioskURL())
	b.Do(chromedp.Evaluate[chromedp.Void](`window.shown = []; document.addEventListener("kiosk:screen", (e) => shown.push(e.detail.screen + ":" + e.detail.lang + (e.detail.code ? ":" + e.detail.code : "")))`))
	if got := b.step(); got != "signin" {
		t.Errorf("start screen: step %q, want signin", got)
	}
	// The reader is on the left of this kiosk, the scanner on the right.
	if !b.mirrored(`#way-card img.pic`) || b.mirrored(`#way-ticket img.pic`) {
		t.Errorf("start screen: reader mirrored %v, scanner mirrored %v; want true, false", b.mirrored(`#way-card img.pic`), b.mirrored(`#way-ticket img.pic`))
	}

	// Aa: larger text, kept while the visit goes on.
	size := func() float64 {
		return eval[float64](b, `parseFloat(getComputedStyle(document.querySelector("#screen-start .lead")).fontSize)`)
	}
	before := size()
	b.Do(chromedp.Click(chromedp.CSS("#btn-bigger")))
	if after := size(); after < before*1.15 || b.Text("#btn-bigger") != "Aa" || eval[string](b, `document.querySelector("#btn-bigger").getAttribute("aria-pressed")`) != "true" {
		t.Errorf("Aa: text %.1f px → %.1f px, pressed %q", before, after, eval[string](b, `document.querySelector("#btn-bigger").getAttribute("aria-pressed")`))
	}
	b.Shot("start-bigger-portrait-id")

	// Bantuan before sign-in: the step in pictures, the desk for an officer.
	b.tap("#way-ticket", "ticket")
	b.Do(chromedp.Click(chromedp.CSS("#btn-help")), chromedp.WaitVisible(chromedp.CSS("#help")))
	if n := b.Count("#help-pics img.pic"); n == 0 {
		t.Error("help on the ticket screen shows no picture")
	}
	if got := b.Text("#help-text"); !strings.Contains(got, "QR") {
		t.Errorf("help on the ticket screen says %q", got)
	}
	if eval[bool](b, `!document.querySelector("#help-call").hidden`) {
		t.Error("help offers to call an officer before anyone signed in")
	}
	b.Do(chromedp.Click(chromedp.CSS("#help-close")), chromedp.WaitNotVisible(chromedp.CSS("#help")))
	b.Do(chromedp.Click(chromedp.CSS("#btn-bigger"))) // off for the pictures of the help
	b.helpShots("help-ticket")
	b.Do(chromedp.Click(chromedp.CSS("#btn-bigger")))

	b.scan(a.Ticket)
	b.screen("docs")
	if got := b.step(); got != "check" {
		t.Errorf("documents screen: step %q, want check", got)
	}
	if !eval[bool](b, `document.documentElement.classList.contains("bigger")`) {
		t.Error("Aa was forgotten within the visit")
	}
	// Bantuan once signed in: the call reaches the console.
	b.Do(chromedp.Click(chromedp.CSS("#btn-help")), chromedp.WaitVisible(chromedp.CSS("#help-call")))
	b.Do(chromedp.Click(chromedp.CSS("#help-call")), chromedp.WaitVisible(chromedp.CSS("#help-called")))
	if page := sv.page("/"); !strings.Contains(page, "officer_called") {
		t.Error("the console's overview does not show the call made from Bantuan")
	}
	b.Do(chromedp.Click(chromedp.CSS("#help-close")), chromedp.WaitNotVisible(chromedp.CSS("#help")))

	b.tap("#print-all", "preview")
	b.tap("#preview-ok", "done")
	if got := b.step(); got != "collect" {
		t.Errorf("done screen: step %q, want collect", got)
	}
	// The card slot is on the left, the paper slot on the right.
	if !b.mirrored("#pic-card-out") || b.mirrored("#pic-paper-out") {
		t.Errorf("done screen: card slot mirrored %v, paper slot mirrored %v; want true, false", b.mirrored("#pic-card-out"), b.mirrored("#pic-paper-out"))
	}
	b.tap("#done-ok", "start")
	if eval[bool](b, `document.documentElement.classList.contains("bigger")`) {
		t.Error("Aa outlived the visit")
	}
	b.scan(a.Ticket)
	b.mustError("ticket_used")
	// An error message within a screen is told too: a NIK too short.
	b.tap("#error-ok", "start")
	b.tap("#way-pin", "pin")
	b.keypad("123")
	b.Do(chromedp.Click(chromedp.CSS("#pin-ok")))
	// The screen's event follows it (setTimeout 0): wait for the last one.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !eval[bool](b, `window.shown.includes("pin:id:nik_short")`); {
		time.Sleep(50 * time.Millisecond)
	}
	got := strings.Join(eval[[]string](b, `window.shown`), " ")
	for _, want := range []string{"ticket:id", "docs:id", "preview:id", "done:id", "start:id", "error:id:ticket_used", "pin:id", "pin:id:nik_short"} {
		if !strings.Contains(got, want) {
			t.Errorf("kiosk:screen events %q lack %q", got, want)
		}
	}
}
