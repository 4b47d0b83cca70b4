// Package chromiumtest starts Debian's Chromium for browser tests, with the
// flags a machine on a closed network needs (TESTRIGS.md).
package chromiumtest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Start launches headless Chromium with a window of width × height and
// returns a chromedp context that ends after timeout or with the test.
// Without Chromium the test skips, unless ANJUNGAN_REQUIRE_PEERS=1 (CI)
// makes that a failure.
func Start(tb testing.TB, width, height int, timeout time.Duration) context.Context {
	tb.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			tb.Fatal("chromium is needed (apt-get install chromium)")
		}
		tb.Skip("chromium is not installed (apt-get install chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		// As the kiosk's unit (anjungan-kiosk.service): the page speaks unasked.
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(tb.TempDir()), chromedp.WindowSize(width, height),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, timeout)
	tb.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}
