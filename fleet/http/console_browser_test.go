package http_test

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/chromiumtest"
)

var fleetShots = flag.String("fleet-screenshots", "", "save the fleet console's screenshots into this folder (e.g. ../../docs/fleet)")

// a11yJS checks the basics as Chromium lays the page out: <html lang> is
// the language shown, visible text has a contrast of 4.5:1 (3:1 when
// large) against its effective background, every button has a name and
// every input a label.
const a11yJS = `((lang) => {
  const problems = [];
  if (document.documentElement.lang !== lang) problems.push("lang " + document.documentElement.lang);
  const rgba = (s) => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return [0, 0, 0, 0]; const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0) layers.push(c); if (c[3] >= 1) break; }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest("[hidden]") || !el.getClientRects().length) continue;
    const cs = getComputedStyle(el), bg = background(el), fg = over(rgba(cs.color), bg);
    const l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(cs.fontSize), need = size >= 24 || (Number(cs.fontWeight) >= 700 && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) problems.push("contrast " + ratio.toFixed(2) + " at " + el.tagName + " " + n.textContent.trim().slice(0, 30));
  }
  for (const b of document.querySelectorAll("button")) if (!b.textContent.trim() && !b.getAttribute("aria-label")) problems.push("button without a name");
  for (const i of document.querySelectorAll("input")) if (!i.labels || !i.labels.length) problems.push("input without a label: " + i.name);
  return problems;
})`

func mustAccessible(t *testing.T, p *chromiumtest.Page, lang, page string) {
	t.Helper()
	problems, err := chromedp.Run(p.Ctx, chromedp.Evaluate[[]string](a11yJS+`("`+lang+`")`))
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Errorf("%s (%s): %s", page, lang, pr)
	}
}

// TestConsoleLiveInChromium: a supervisor signs in; a kiosk goes silent
// past -offline-after on the hub's clock, and its alert appears on the
// open page without a reload; when the kiosk reports again the alert
// goes away. Screenshots of the overview in both languages are saved
// with -fleet-screenshots.
func TestConsoleLiveInChromium(t *testing.T) {
	r := mustConsole(t)
	p := chromiumtest.NewPage(t, 1280, 1000, 30*time.Second, *fleetShots)
	p.Do(chromedp.Navigate(r.url+"/login?lang=en"), chromedp.WaitVisible(chromedp.CSS("#login")))
	mustAccessible(t, p, "en", "login")
	p.Do(chromedp.SendKeys(chromedp.CSS("#name"), "jabar"), chromedp.SendKeys(chromedp.CSS("#password"), consolePassword),
		chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("#kiosk-bdg-01")))
	p.Do(chromedp.WaitVisible(chromedp.CSS("#live")))
	if got := p.Text("#kiosk-bks-01 .status"); !strings.Contains(got, "In service") {
		t.Errorf("bks-01's status %q", got)
	}
	// A mark on the page's window: it survives only if the page is not reloaded.
	p.Do(chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))

	// 20 minutes pass; bks-01 reports, bdg-01 stays silent.
	r.clock.Add(20 * time.Minute)
	r.report(t, "bks-01")
	if opened := r.tick(t); len(opened) != 2 { // bdg-01 (visible) and jkt-01 (not in the scope)
		t.Fatalf("opened %v", opened)
	}
	sel := `#alerts li[data-kiosk="bdg-01"][data-kind="` + string(fleet.AlertKioskOffline) + `"]`
	p.Do(chromedp.WaitVisible(chromedp.CSS(sel)))
	still, err := chromedp.Run(p.Ctx, chromedp.Evaluate[bool](`window.notReloaded === true && document.body.dataset.opened === "1"`))
	if err != nil || !still {
		t.Errorf("the alert did not arrive live on the same page (%v)", err)
	}
	if got := p.Text(sel); !strings.Contains(got, "Call the staff on site") {
		t.Errorf("the alert has no next step: %q", got)
	}
	if n, _ := chromedp.Run(p.Ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-kiosk="jkt-01"], #kiosk-jkt-01').length`)); n != 0 {
		t.Errorf("jabar's page shows jkt-01")
	}
	// The screenshots are of freshly rendered pages (only the alerts are live).
	p.Do(chromedp.Navigate(r.url+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS(sel)))
	mustAccessible(t, p, "en", "overview")
	p.Shot("overview-en")
	p.Do(chromedp.Navigate(r.url+"/?lang=id"), chromedp.WaitVisible(chromedp.CSS(sel)))
	mustAccessible(t, p, "id", "overview")
	p.Shot("overview-id")

	// bdg-01 reports again: its alert closes and leaves the page.
	p.Do(chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	r.report(t, "bdg-01")
	r.tick(t)
	p.Do(chromedp.WaitNotPresent(chromedp.CSS(sel)))
	if still, _ := chromedp.Run(p.Ctx, chromedp.Evaluate[bool](`window.notReloaded === true`)); !still {
		t.Error("the page reloaded")
	}
}
