package e2e

import (
	"context"
	"crypto/rand"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/ticket"
)

// Every failure has a screen that says what happened and what to do, and
// leaves printerd and the registry as they should be.

func (b *Browser) mustError(code string) {
	b.TB.Helper()
	b.screen("error")
	if got := b.Text("#error-code"); got != code {
		b.TB.Fatalf("error screen shows code %q, want %q (%s)", got, code, b.Text("#error-text"))
	}
	if b.Text("#error-text") == "" {
		b.TB.Fatal("error screen without a message")
	}
}

func TestBrowserExpiredTicket(t *testing.T) {
	sys := MustStart(t)
	key, err := ticket.LoadPrivateKey(filepath.Join(sys.Var, "keys", "ticket.key"))
	mustOK(t, err)
	binding, err := ticket.LoadBindingKey(filepath.Join(sys.Var, "keys", "binding.key"))
	mustOK(t, err)
	is := &ticket.Issuer{Key: key, Issuer: "registry-sim", BindingKey: binding, Rand: rand.Reader}
	issued := time.Now().Add(-40 * 24 * time.Hour)
	text, _, err := is.Issue(ticket.IssueRequest{Registration: "REG-EXPIRED", Documents: []station.DocumentType{station.KTPEl},
		NIK: station.MustParseNIK("3174011201850001"), IssuedAt: issued, Expires: issued.Add(30 * 24 * time.Hour)})
	mustOK(t, err)

	b := MustBrowser(t, 1920, 1080)
	b.openStart(sys.Station.KioskURL())
	b.scan(text)
	b.mustError("ticket_expired")
	b.both("error-ticket-expired")
}

func TestBrowserNoBlanksBeforeStart(t *testing.T) {
	sys := MustStartWith(t, Options{Blanks: -1})
	b := MustBrowser(t, 1920, 1080)
	b.openStart(sys.Station.KioskURL())
	b.Do(chromedp.WaitVisible(chromedp.CSS(`#avail-list li[data-type="ktp-el"].avail-no`)))
	if got := b.Text(`#avail-list li[data-type="ktp-el"]`); !strings.Contains(got, "blanko habis") {
		t.Errorf("KTP-el availability says %q", got)
	}
	if got := b.Text(`#avail-list li[data-type="kk"]`); !strings.Contains(got, "dapat dicetak") {
		t.Errorf("KK availability says %q", got)
	}
	b.both("start-no-blanks")
}

func TestBrowserJamDuringPrint(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el")
	ctx := context.Background()
	mustOK(t, sys.Printers.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultMediaJam, At: printerd.FaultDuringPrint}))

	b := MustBrowser(t, 1920, 1080)
	b.openStart(sys.Station.KioskURL())
	b.scan(a.Ticket)
	b.screen("docs")
	b.tap("#doc-list button.print", "preview")
	b.Do(chromedp.WaitEnabled(chromedp.CSS("#preview-ok")), chromedp.Click(chromedp.CSS("#preview-ok")))
	// The citizen is not sent back to the start: the waiting screen
	// follows the job, with its reference.
	b.screen("wait")
	b.both("error-jam")
	if sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Fatal("token burned by a jammed print")
	}
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))); n != 0 {
		t.Fatalf("%d cards came out of a jammed printer", n)
	}

	// An officer clears the jam and resumes the printer: the job prints
	// once, and only then is the token burned.
	mustOK(t, sys.Printers.ClearFaults(ctx, "card-1"))
	mustOK(t, sys.Printers.ResumePrinter(ctx, "card-1", "officer"))
	for deadline := time.Now().Add(30 * time.Second); !sys.approvalStatus(t, a.ApprovalID).TokenBurned; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the released job was never confirmed")
		}
	}
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))); n != 1 {
		t.Errorf("%d cards printed after the jam was cleared, want 1", n)
	}
	b.screen("done") // the citizen who waited sees it printed
}

func TestBrowserUpstreamDown(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "kk")
	mustOK(t, sys.Registry.InjectFault(registrysim.Fault{Route: registrysim.RouteAuthorize, Kind: registrysim.FaultStatus, Status: http.StatusServiceUnavailable, Calls: 3}))
	b := MustBrowser(t, 1920, 1080)
	b.openStart(sys.Station.KioskURL())
	b.scan(a.Ticket)
	b.mustError("upstream_unavailable")
	b.both("error-upstream-down")
	if sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Error("token burned while the upstream was down")
	}

	// The upstream goes down while a printed document is being
	// confirmed: the citizen is told at once to take it and may leave;
	// the confirmation follows in the background.
	b.tap("#error-ok", "start")
	sys.Registry.ClearFaults() // the logins' calls left over
	mustOK(t, sys.Registry.InjectFault(registrysim.Fault{Route: registrysim.RouteConfirmation, Kind: registrysim.FaultStatus, Status: http.StatusServiceUnavailable}))
	b.Do(chromedp.EmulateViewport(1080, 1920))
	a = sys.MustApprove(t, "kk")
	b.scan(a.Ticket)
	b.screen("docs")
	b.tap("#doc-list button.print", "preview")
	b.tap("#preview-ok", "done")
	if got := b.Text("#done-what"); !strings.Contains(got, "Kartu Keluarga") {
		t.Errorf("the done screen says %q; it should tell the citizen to take the KK", got)
	}
	if sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Error("the token burned while the registry refused every confirmation")
	}
	b.bothSizes("done-upstream-down")
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "paper"))); n != 1 {
		t.Fatalf("%d KKs printed, want 1", n)
	}
	sys.Registry.ClearFaults() // the registry is back
	if !sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		// The settler retries with backoff (1 s, 2 s, …) until acknowledged.
		deadline := time.Now().Add(time.Minute)
		for !sys.approvalStatus(t, a.ApprovalID).TokenBurned {
			if time.Now().After(deadline) {
				t.Fatal("the confirmation never reached the upstream once it was back")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func TestBrowserIdleTimeout(t *testing.T) {
	sys := MustStartWith(t, Options{Idle: 4 * time.Second})
	a := sys.MustApprove(t, "kk")
	b := MustBrowser(t, 1920, 1080)
	b.openStart(sys.Station.KioskURL())
	b.scan(a.Ticket)
	b.screen("docs")
	// The warning comes first, then the start screen, with nothing personal left.
	b.Do(chromedp.WaitVisible(chromedp.CSS("#idle")))
	b.shot("idle-warning-landscape") // the dialog is modal: the language button behind it cannot be pressed
	b.Do(chromedp.WaitNotVisible(chromedp.CSS("#idle")))
	b.screen("start")
	if got := b.Text("#subject"); got != "" {
		t.Errorf("subject still on the page after the idle timeout: %q", got)
	}
	res, err := http.Get(sys.Station.KioskURL() + "/api/session")
	mustOK(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("server session after the idle timeout: %d", res.StatusCode)
	}
}
