package chromiumtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Page is a started Chromium with the steps browser tests repeat; each
// fails the test on error.
type Page struct {
	TB  testing.TB
	Ctx context.Context
	Dir string // where Shot saves screenshots
}

// NewPage starts Chromium as Start does. Screenshots go to dir, or to a
// temporary folder when dir is "".
func NewPage(tb testing.TB, width, height int, timeout time.Duration, dir string) *Page {
	tb.Helper()
	ctx := Start(tb, width, height, timeout)
	if dir == "" {
		dir = tb.TempDir()
	}
	return &Page{TB: tb, Ctx: ctx, Dir: dir}
}

// Do runs steps.
func (p *Page) Do(steps ...chromedp.Action[chromedp.Void]) {
	p.TB.Helper()
	if err := chromedp.Do(p.Ctx, steps...); err != nil {
		p.TB.Fatal(err)
	}
}

// Text is the visible text of the element sel selects.
func (p *Page) Text(sel string) string {
	p.TB.Helper()
	s, err := chromedp.Run(p.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.TB.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// Shot saves a screenshot of the whole page as Dir/name.png.
func (p *Page) Shot(name string) {
	p.TB.Helper()
	png, err := chromedp.Run(p.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.TB.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.Dir, name+".png"), png, 0o644); err != nil {
		p.TB.Fatal(err)
	}
}
