package http

import (
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
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
// network needs; without it the test skips unless peers are required.
func MustChromium(tb testing.TB) context.Context {
	tb.Helper()
	return chromiumtest.Start(tb, 1280, 900, 90*time.Second)
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
	b := MustChromium(t)
	dir := *consoleShots
	if dir == "" {
		dir = t.TempDir()
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(b, steps...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(b, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(b, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#login")))
	shot("login")
	do(chromedp.SendKeys(chromedp.CSS("#name"), "siti"), chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS(".in-doubt-link")))
	shot("overview")

	do(chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS("#nik")),
		chromedp.SendKeys(chromedp.CSS("#nik"), testNIK), chromedp.Click(chromedp.CSS("#nik-submit")),
		chromedp.WaitVisible(chromedp.CSS("#results-for")))
	if got := text("#results-for"); !strings.Contains(got, nik.Masked()) {
		t.Errorf("results for %q", got)
	}
	if got := text("#timeline"); !strings.Contains(got, "print.confirmed") {
		t.Errorf("the print is not found by NIK: %q", got)
	}
	shot("nik-lookup")

	do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(".in-doubt-link")), chromedp.Click(chromedp.CSS(".in-doubt-link")),
		chromedp.WaitVisible(chromedp.CSS("#resolve")), chromedp.Click(chromedp.CSS("#action-reprint")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "kartu macet di printer"))
	shot("resolve")
	do(chromedp.Click(chromedp.CSS("#resolve-submit")), chromedp.WaitVisible(chromedp.CSS("#notice")))
	if loc, err := chromedp.Run(b, chromedp.Location()); err != nil || !strings.Contains(loc, "/jobs/J4") {
		t.Errorf("after the reprint the page is %q, %v; want the new job", loc, err)
	}
	shot("resolved")

	do(chromedp.Navigate(base+"/ledger"), chromedp.WaitVisible(chromedp.CSS("#load")),
		chromedp.SendKeys(chromedp.CSS("#load-count"), "250"), chromedp.Click(chromedp.CSS("#load-submit")),
		chromedp.WaitVisible(chromedp.CSS("#notice")))
	shot("ledger")

	do(chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")))
	do(chromedp.Navigate(base+"/ledger"), chromedp.WaitVisible(chromedp.CSS("#login")))

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
