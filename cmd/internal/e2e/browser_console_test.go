package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/printerd"
)

// consoleLogin logs a supervisor (made by MustSupervisor) into the
// console in the browser and waits for the overview.
func (b *Browser) consoleLogin(base, name string) {
	b.TB.Helper()
	b.Do(chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#name"), name), chromedp.SendKeys(chromedp.CSS("#password"), supervisorPassword),
		chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("#alerts")))
}

// waitFor waits for sel to be visible; the deadline only stops a hung test.
func (b *Browser) waitFor(sel, what string) {
	b.TB.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.Shot("failed-" + what)
		b.TB.Fatalf("waiting for %s (%s): %v", what, sel, err)
	}
}

// TestBrowserConsoleLive: on an overview left open, a citizen's call for
// an officer and a printer that stops appear without a reload, each with
// its next step, sounding once; "fixed — run it again" shows the
// printer's real state and the held job prints.
func TestBrowserConsoleLive(t *testing.T) {
	sys := MustStart(t)
	sys.MustSupervisor(t, "spv")
	b := MustBrowser(t, 1920, 1080)
	b.consoleLogin(sys.Station.ConsoleURL(), "spv")
	// A mark that a reload would wipe.
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}

	// A citizen at the kiosk asks for an officer.
	a := sys.MustApprove(t, "ktp-el")
	c := sys.NewCitizen(t)
	var v sessionView
	if st := c.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &v); st != http.StatusCreated {
		t.Fatalf("login: %d %+v", st, v.Error)
	}
	if st := c.call("POST", "/api/call-officer", nil, nil); st >= 300 {
		t.Fatalf("call-officer: %d", st)
	}
	b.waitFor("#alerts li.officer_called", "the call's alert")
	if kept, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`window.notReloaded === true`)); err != nil || !kept {
		t.Fatalf("the overview reloaded (%v)", err)
	}
	if got := b.Text("#alerts li.officer_called"); !strings.Contains(got, "Warga di anjungan memanggil petugas") || !strings.Contains(got, "Datangi warga") {
		t.Errorf("the alert says %q", got)
	}
	if tones, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.body.dataset.tones || "0"`)); err != nil || tones != "1" {
		t.Errorf("tones sounded: %q (%v), want 1", tones, err)
	}
	b.Shot("console-live-call-id")

	// The card printer jams before a card is picked: it stops, and the
	// overview says so with the way to its page.
	ctx := context.Background()
	mustOK(t, sys.Printers.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultMediaJam, At: printerd.FaultBeforePrint}))
	var p struct {
		Error *apiError `json:"error"`
	}
	if st := c.call("POST", "/api/print", map[string]string{"request_id": v.Documents[0].RequestID}, &p); st != http.StatusAccepted {
		t.Fatalf("print: %d %+v", st, p.Error)
	}
	b.waitFor("#alerts li.printer_stopped", "the stopped printer's alert")
	if got := b.Text("#alerts li.printer_stopped"); !strings.Contains(got, "Printer berhenti") || !strings.Contains(got, "kartu/kertas macet") {
		t.Errorf("the alert says %q", got)
	}
	// The stopped printer and the print waiting behind it may come in one
	// update or two: a tone each time new ones come.
	if tones, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`Number(document.body.dataset.tones)`)); tones < 2 || tones > 3 {
		t.Errorf("tones sounded: %d, want one per update with new alerts (2 or 3)", tones)
	}
	b.Shot("console-live-stopped-id")

	// The next step's link leads to the printer; the officer fixes it
	// and says so; what shows is the printer's state read back.
	b.Do(chromedp.Click(chromedp.CSS(`#alerts li.printer_stopped a.next`)))
	b.waitFor("#resume", "the printer page")
	if got := b.Text("#printer-state"); got != "berhenti" {
		t.Errorf("the printer page shows %q, want berhenti", got)
	}
	b.Shot("console-printer-stopped-id")
	b.Do(chromedp.Click(chromedp.CSS("#resume")))
	b.waitFor("#notice", "the answer to resume")
	if got := b.Text("#notice"); !strings.Contains(got, "Printer berjalan kembali") {
		t.Errorf("after resume: %q", got)
	}
	if got := b.Text("#printer-state"); got == "berhenti" {
		t.Errorf("the printer still shows stopped after the fault was cleared")
	}
	if got := c.waitSettled(); got.Documents[0].Print == nil || got.Documents[0].Print.State != "printed" {
		t.Errorf("the job after the printer was fixed: %+v", got.Documents[0].Print)
	}
}

// TestBrowserConsoleLiftsPINLockout: five wrong PINs lock a NIK out at
// the kiosk and the upstream; a supervisor lifts the lockout from the
// console, and the citizen's right PIN then logs in.
func TestBrowserConsoleLiftsPINLockout(t *testing.T) {
	sys := MustStart(t)
	sys.MustSupervisor(t, "spv")
	a := sys.MustApprove(t, "kia")
	c := sys.NewCitizen(t)
	var v sessionView
	for i := 0; i < 5; i++ {
		// The fifth wrong PIN is answered with the lockout itself.
		want := http.StatusUnauthorized
		if i == 4 {
			want = http.StatusTooManyRequests
		}
		if st := c.call("POST", "/api/login/pin", map[string]string{"nik": a.NIK, "pin": wrongPIN(a.PIN)}, &v); st != want {
			t.Fatalf("wrong PIN %d: %d %+v, want %d", i+1, st, v.Error, want)
		}
	}
	if st := c.call("POST", "/api/login/pin", map[string]string{"nik": a.NIK, "pin": a.PIN}, &v); st != http.StatusTooManyRequests || v.Error.Code != "too_many_attempts" {
		t.Fatalf("the right PIN while locked out: %d %+v", st, v.Error)
	}

	b := MustBrowser(t, 1920, 1080)
	b.consoleLogin(sys.Station.ConsoleURL(), "spv")
	b.Do(chromedp.Click(chromedp.CSS(`a[href="/pins"]`)))
	b.waitFor("#pin-form", "the PIN lockout page")
	// Without a reason the form comes back with the NIK kept.
	b.Do(chromedp.SendKeys(chromedp.CSS("#pin-nik"), a.NIK), chromedp.Click(chromedp.CSS("#pin-submit")))
	b.waitFor("#pin-problem", "the refusal")
	if got, err := chromedp.Run(b.Ctx, chromedp.Value(chromedp.CSS("#pin-nik"))); err != nil || got != a.NIK {
		t.Errorf("the NIK after a refusal: %q %v", got, err)
	}
	b.Do(chromedp.SetValue(chromedp.CSS("#pin-reason"), "identity-checked"))
	b.Shot("console-pin-lift-id")
	b.Do(chromedp.Click(chromedp.CSS("#pin-submit")))
	b.waitFor("#pin-lifted", "the lift")
	if got := b.Text("#pin-lifted"); !strings.Contains(got, "anjungan: ya") || !strings.Contains(got, "pusat: ya") {
		t.Errorf("the lift says %q, want both counts lifted", got)
	}
	b.Shot("console-pin-lifted-id")

	if st := sys.NewCitizen(t).call("POST", "/api/login/pin", map[string]string{"nik": a.NIK, "pin": a.PIN}, &v); st != http.StatusCreated {
		t.Fatalf("the right PIN after the lift: %d %+v", st, v.Error)
	}
}
