package e2e

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/printerd"
)

// refPattern is a job reference as printerd.JobRef makes it.
var refPattern = regexp.MustCompile(`^[2-9A-HJ-NP-Z]{6}$`)

// TestBrowserWaitForOfficer: a print the printer jams on keeps the
// citizen on the waiting screen with the job's reference; the call button
// raises an alert on the console's overview naming that reference;
// leaving without printing ends the session with the reference to come
// back with, and the job waits, held, for an officer to hand it over.
// Then, with the card printer still stopped, a KTP-el is refused up front:
// marked as not printable now beside a KK that is, and a login for a
// KTP-el alone is refused as kiosk_out_of_service.
func TestBrowserWaitForOfficer(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el")
	ctx := context.Background()
	mustOK(t, sys.Printers.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultMediaJam, At: printerd.FaultDuringPrint}))
	sv := sys.MustSupervisor(t, "spv")

	b := MustBrowser(t, 1080, 1920)
	b.openStart(sys.Station.KioskURL())
	b.scan(a.Ticket)
	b.screen("docs")
	b.tap("#doc-list button.print", "preview")
	b.Do(chromedp.WaitEnabled(chromedp.CSS("#preview-ok")), chromedp.Click(chromedp.CSS("#preview-ok")))
	b.screen("wait")
	ref := b.Text("#wait-ref")
	if !refPattern.MatchString(ref) {
		t.Fatalf("waiting screen shows reference %q", ref)
	}
	if got := b.Text("#wait-what"); !strings.Contains(got, "KTP-el") {
		t.Errorf("waiting screen says %q", got)
	}
	b.bothSizes("wait")

	b.Do(chromedp.Click(chromedp.CSS("#wait-call")), chromedp.WaitVisible(chromedp.CSS("#wait-called")))
	b.bothSizes("wait-called")
	if page := sv.page("/"); !strings.Contains(page, ref) {
		t.Errorf("the console's overview does not show the call with reference %s", ref)
	}
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))); n != 0 {
		t.Fatalf("%d cards came out of a jammed printer", n)
	}

	b.tap("#wait-leave", "left")
	if got := b.Text("#left-ref"); got != ref {
		t.Errorf("leaving shows reference %q, want %q", got, ref)
	}
	b.bothSizes("left")
	jobs, err := sys.Printers.ListJobs(ctx, printerd.JobFilter{State: printerd.JobHeld})
	mustOK(t, err)
	if len(jobs) != 1 || printerd.JobRef(jobs[0].ID) != ref {
		t.Fatalf("held jobs after leaving: %+v, want the one with reference %s", jobs, ref)
	}
	if sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Fatal("token burned by a print nobody got")
	}
	if page := sv.page("/jobs/" + string(jobs[0].ID)); !strings.Contains(page, ref) {
		t.Errorf("the console's job page does not show reference %s", ref)
	}
	b.tap("#left-ok", "start")

	// The card printer stays stopped: the start screen and the document
	// list say so before anyone waits.
	b.Do(chromedp.EmulateViewport(1080, 1920))
	both := sys.MustApprove(t, "ktp-el", "kk")
	b.scan(both.Ticket)
	b.screen("docs")
	b.Do(chromedp.WaitVisible(chromedp.CSS(`#doc-list .state.not-now`)))
	if n := b.Count(`#doc-list button.print`); n != 1 {
		t.Errorf("%d documents offered to print with the card printer stopped, want 1 (the KK)", n)
	}
	// The KTP-el says it cannot print now and why, never "Siap dicetak".
	if got := eval[string](b, `[...document.querySelectorAll("#doc-list li")].find(li => li.textContent.includes("KTP-el")).textContent`); strings.Contains(got, "Siap dicetak") || !strings.Contains(got, "—") {
		t.Errorf("the stopped KTP-el is shown as %q", got)
	}
	b.bothSizes("docs-not-now")
	b.tap("#finish", "start")
	only := sys.MustApprove(t, "ktp-el")
	b.scan(only.Ticket)
	b.mustError("kiosk_out_of_service")
	if got := b.Text("#error-text"); !strings.Contains(got, "KTP-el") {
		t.Errorf("refusal says %q; it should name the KTP-el", got)
	}
	b.bothSizes("error-out-of-service")
}

// TestBrowserTwoDocumentsOneSession: after the first document the done
// screen lists what is left and goes on to it; the session ends only
// when nothing is left.
func TestBrowserTwoDocumentsOneSession(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el", "kk")
	b := MustBrowser(t, 1080, 1920)
	b.openStart(sys.Station.KioskURL())
	b.scan(a.Ticket)
	b.screen("docs")
	b.tap(`#doc-list li:has(button.print) button.print`, "preview")
	b.tap("#preview-ok", "done")
	b.Do(chromedp.WaitVisible(chromedp.CSS("#done-next")))
	if got := b.Text("#done-refs"); !regexp.MustCompile(`[2-9A-HJ-NP-Z]{6}`).MatchString(got) {
		t.Errorf("done screen shows no reference: %q", got)
	}
	if n := b.Count("#done-left li"); n != 1 {
		t.Errorf("done screen lists %d documents left, want 1", n)
	}
	b.bothSizes("done-more")
	b.tap("#done-next", "docs")
	b.tap("#doc-list button.print", "preview")
	b.tap("#preview-ok", "done")
	b.Do(chromedp.WaitVisible(chromedp.CSS("#done-thanks")))
	if !b.Hidden("#done-next") {
		t.Error("the done screen offers another document with none left")
	}
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))) + len(outputs(t, filepath.Join(sys.Var, "out", "paper"))); n != 2 {
		t.Errorf("%d documents printed, want 2", n)
	}
	// The next visitor starts clean: Bahasa Indonesia, no error left.
	b.Do(chromedp.Click(chromedp.CSS("#lang")))
	b.tap("#done-ok", "start")
	if lang := b.Attr("html", "lang"); lang != "id" {
		t.Errorf("the next visitor's page is in %q", lang)
	}
}

// eval evaluates a JavaScript expression on the page.
func eval[T any](b *Browser, expr string) T {
	b.TB.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr))
	mustOK(b.TB, err)
	return v
}

// Count is how many elements sel selects.
func (b *Browser) Count(sel string) int {
	return eval[int](b, `document.querySelectorAll(`+jsString(sel)+`).length`)
}

// Hidden reports whether the element sel selects is hidden.
func (b *Browser) Hidden(sel string) bool {
	return eval[bool](b, `!!document.querySelector(`+jsString(sel)+`).closest("[hidden]")`)
}

// Attr is an attribute of the element sel selects.
func (b *Browser) Attr(sel, name string) string {
	return eval[string](b, `document.querySelector(`+jsString(sel)+`).getAttribute(`+jsString(name)+`) || ""`)
}
