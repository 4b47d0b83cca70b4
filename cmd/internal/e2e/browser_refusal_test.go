package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/station"
)

// Every refusal says what to do next, in both languages, on a portrait
// and a landscape screen.

// lockoutAt is the lockout's end as the kiosk shows it, in the hall's zone.
var lockoutAt = regexp.MustCompile(`\d\d-\d\d-\d{4} \d\d:\d\d WIB`)

// TestBrowserRefusals: a scanned QR code that is not a ticket, a NIK one
// digit short, a pasted ticket, a reused ticket and a PIN lockout, each
// with its own words and next step.
func TestBrowserRefusals(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "kk")
	b := MustBrowser(t, 1080, 1920)
	b.openStart(sys.Station.KioskURL())

	// Another QR code: its own message, not "cannot be read".
	b.scan("https://example.org/promo?id=17")
	b.mustError("not_a_ticket")
	if got := b.Text("#error-text"); !strings.Contains(got, "bukan tiket Anjungan") {
		t.Errorf("a non-ticket QR says %q", got)
	}
	b.bothSizes("error-not-a-ticket")
	b.tap("#error-ok", "start")

	// A NIK one digit short is checked on the PIN screen, as typed.
	b.tap("#way-pin", "pin")
	b.keypad(a.NIK[:15])
	b.Do(chromedp.Click(chromedp.CSS("#pin")))
	b.keypad(a.PIN)
	b.Do(chromedp.Click(chromedp.CSS("#pin-ok")))
	b.screen("pin")
	if got := b.Text("#nik-error"); !strings.Contains(got, "kurang 1 digit") {
		t.Errorf("a short NIK says %q", got)
	}
	if got := eval[string](b, `document.querySelector("#nik").value`); got != a.NIK[:15] {
		t.Errorf("the NIK typed was not kept: %q", got)
	}
	b.bothSizes("pin-nik-short")
	// Sixteen digits that are no NIK: the station's check, beside the field.
	const noNIK = "9900000000000000"
	b.Do(chromedp.Click(chromedp.CSS("#nik")), chromedp.SetValue("#nik", ""))
	b.keypad(noNIK)
	b.keypad(a.PIN)
	b.Do(chromedp.Click(chromedp.CSS("#pin-ok")))
	b.screen("pin")
	b.Do(chromedp.WaitVisible(chromedp.CSS("#nik-error")))
	if got := b.Text("#nik-error"); !strings.Contains(got, "NIK tidak valid") {
		t.Errorf("an impossible NIK says %q", got)
	}
	if got := eval[string](b, `document.querySelector("#nik").value`); got != noNIK {
		t.Errorf("the NIK typed was not kept: %q", got)
	}
	b.tap("#screen-pin [data-go=start]", "start")

	// A ticket pasted as text, as the README says.
	b.tap("#way-ticket", "ticket")
	b.Do(chromedp.Click(chromedp.CSS("#ticket-paste")), chromedp.SendKeys("#ticket-paste", a.Ticket))
	b.tap("#ticket-paste-ok", "docs")
	b.tap("#doc-list button.print", "preview")
	// The KK preview zooms to twice the screen's width, panned in its frame.
	b.waitImagesLoaded()
	b.Do(chromedp.Click(chromedp.CSS("#preview-pages figure button.zoom")))
	if w := eval[float64](b, `document.querySelector("#preview-pages img").getBoundingClientRect().width / window.innerWidth`); w < 1.5 {
		t.Errorf("the zoomed KK is %.2f of the screen's width, want at least 1.5", w)
	}
	b.bothSizes("preview-kk-zoomed")
	// On a landscape screen the confirm button shows without scrolling.
	b.Do(chromedp.EmulateViewport(1920, 1080))
	b.Do(chromedp.Click(chromedp.CSS("#preview-pages figure button.zoom")))
	if bottom := eval[float64](b, `document.querySelector("#preview-ok").getBoundingClientRect().bottom - window.innerHeight`); bottom > 0 {
		t.Errorf("on 1920×1080 the confirm button is %.0f px below the screen", bottom)
	}
	b.tap("#preview-ok", "done")
	b.tap("#done-ok", "start")

	// The same ticket again: used, and what to do about it.
	b.scan(a.Ticket)
	b.mustError("ticket_used")
	if got := b.Text("#error-text"); !strings.Contains(got, "petugas") {
		t.Errorf("a used ticket says %q", got)
	}
	b.bothSizes("error-ticket-used")
	b.tap("#error-ok", "start")

	// Wrong PINs until the NIK is locked: the end of the lockout in the
	// hall's time, an officer to ask, and no button to try again.
	c := sys.MustApprove(t, "kia")
	b.tap("#way-pin", "pin")
	b.keypad(c.NIK)
	for i := 1; ; i++ {
		b.keypad(wrongPIN(c.PIN))
		b.tap("#pin-ok", "error")
		if b.Text("#error-code") == "too_many_attempts" {
			break
		}
		if i == 5 {
			t.Fatalf("no lockout after %d wrong PINs", i)
		}
		b.tap("#error-retry", "pin")
	}
	got := b.Text("#error-text")
	when := lockoutAt.FindString(got)
	if when == "" || !strings.Contains(got, "petugas") {
		t.Fatalf("a PIN lockout says %q", got)
	}
	if until, err := time.ParseInLocation("02-01-2006 15:04 MST", when, station.WIB.Location()); err != nil || until.Before(time.Now().Add(58*time.Minute)) || until.After(time.Now().Add(61*time.Minute)) {
		t.Errorf("lockout until %q (%v), want about an hour from now", when, err)
	}
	if !b.Hidden("#error-retry") {
		t.Error("a locked NIK is offered to try the PIN again")
	}
	b.bothSizes("error-pin-locked")
}
