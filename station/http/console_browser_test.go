package http

import (
	"context"
	"flag"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/internal/chromiumtest"
)

var consoleShots = flag.String("console-screenshots", "", "save console screenshots into this folder (e.g. ../../docs/console)")

// MustConsoleServer serves the rig's console on 127.0.0.1:0 over plain
// http, as the station does by default, and returns its URL.
func (r *consoleRig) MustConsoleServer() string {
	r.tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.s.Serve(ln) }()
	r.tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.s.Shutdown(ctx)
		<-done
	})
	return "http://" + ln.Addr().String()
}

// MustChromium starts Debian's Chromium headless with the flags a closed
// network needs, saving screenshots into dir (a temporary folder when "");
// without it the test skips unless peers are required.
func MustChromium(tb testing.TB, dir string) *chromiumtest.Page {
	tb.Helper()
	return chromiumtest.NewPage(tb, 1280, 900, 90*time.Second, dir)
}

// TestConsoleInChromium: a supervisor logs in over plain http on
// loopback (the __Host- Secure cookie must stick), finds a print by NIK,
// resolves an in-doubt job with a reprint, records a blank-card load and
// logs out. Screenshots are saved.
func TestConsoleInChromium(t *testing.T) {
	r := MustConsole(t)
	ctx := context.Background()
	nik := mustNIK(t, testNIK)
	_, _ = r.audit.Append(ctx, auditEntry("print.confirmed", r.audit.SubjectOf(nik), r.clock.Now()))
	base := r.MustConsoleServer()
	b := MustChromium(t, *consoleShots)

	b.Do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#login")))
	b.Shot("login")
	b.Do(chromedp.SendKeys(chromedp.CSS("#name"), "siti"), chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS(".in-doubt-link")))
	b.Shot("overview")

	b.Do(chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS("#nik")),
		chromedp.SendKeys(chromedp.CSS("#nik"), testNIK), chromedp.Click(chromedp.CSS("#nik-submit")),
		chromedp.WaitVisible(chromedp.CSS("#results-for")))
	if got := b.Text("#results-for"); !strings.Contains(got, nik.Masked()) {
		t.Errorf("results for %q", got)
	}
	if got := b.Text("#timeline"); !strings.Contains(got, "print.confirmed") {
		t.Errorf("the print is not found by NIK: %q", got)
	}
	b.Shot("nik-lookup")

	b.Do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(".in-doubt-link")), chromedp.Click(chromedp.CSS(".in-doubt-link")),
		chromedp.WaitVisible(chromedp.CSS("#resolve")), chromedp.Click(chromedp.CSS("#action-reprint")),
		chromedp.SendKeys(chromedp.CSS("#note"), "kartu tertahan di jalur"))
	// Without a reason code the form comes back, filled, saying why.
	b.Do(chromedp.Click(chromedp.CSS("#resolve-submit")), chromedp.WaitVisible(chromedp.CSS("#resolve-problem")))
	if note, err := chromedp.Run(b.Ctx, chromedp.Value(chromedp.CSS("#note"))); err != nil || note != "kartu tertahan di jalur" {
		t.Errorf("the note after a refusal is %q, %v", note, err)
	}
	if got := b.Text("#resolve-problem"); !strings.Contains(got, "reason_code") {
		t.Errorf("the refusal says %q, want the reason code named", got)
	}
	b.Do(chromedp.SetValue(chromedp.CSS("#reason-code"), "jam"))
	// Without the citizen confirmed present it comes back again, the
	// reason kept, the box marked.
	b.Do(chromedp.Click(chromedp.CSS("#resolve-submit")), chromedp.WaitVisible(chromedp.CSS("label.wrong #present")))
	if code, err := chromedp.Run(b.Ctx, chromedp.Value(chromedp.CSS("#reason-code"))); err != nil || code != "jam" {
		t.Errorf("the reason code after a refusal is %q, %v", code, err)
	}
	b.Do(chromedp.Click(chromedp.CSS("#present")))
	b.Shot("resolve")
	b.Do(chromedp.Click(chromedp.CSS("#resolve-submit")), chromedp.WaitVisible(chromedp.CSS("#notice")))
	if loc, err := chromedp.Run(b.Ctx, chromedp.Location()); err != nil || !strings.Contains(loc, "/jobs/J4") {
		t.Errorf("after the reprint the page is %q, %v; want the new job", loc, err)
	}
	b.Shot("resolved")

	b.Do(chromedp.Navigate(base+"/ledger"), chromedp.WaitVisible(chromedp.CSS("#load")),
		chromedp.SendKeys(chromedp.CSS("#load-count"), "250"), chromedp.Click(chromedp.CSS("#load-submit")),
		chromedp.WaitVisible(chromedp.CSS("#notice")))
	b.Shot("ledger")

	b.Do(chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")))
	b.Do(chromedp.Navigate(base+"/ledger"), chromedp.WaitVisible(chromedp.CSS("#login")))

	want := []string{"resolve J1 reprint by siti", "load card-1 250 by siti"}
	if got := r.pd.done(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("printerd got %q, want %q", got, want)
	}
	kinds := strings.Join(r.audit.kinds(), " ")
	for _, k := range []string{"console.login", "console.view", "console.nik_lookup"} {
		if !strings.Contains(kinds, k) {
			t.Errorf("no %s in the audit log: %s", k, kinds)
		}
	}
}
