package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The kiosk's accessibility rules, checked in the page as Chromium lays
// it out (no axe-core: npm cannot be reached from CI). Each problem is
// "rule: what, where". Rules:
//
//	lang      <html lang> is the language shown
//	contrast  visible text against its effective background: 4.5:1, 3:1 for large text (24 px, or 18.66 px bold)
//	target    every visible, enabled control is at least 48 × 48 CSS px, 64 × 64 on a kiosk screen (1080 px)
//	live      every status region (role status, alert, log, timer) has aria-live
//	name      every button has an accessible name
//	alt       every image has an alt attribute
//	tab       Tab reaches every visible, enabled control (checked from Go with real key presses)
const a11yJS = `((lang) => {
  const problems = [];
  const where = (el) => el.id ? "#" + el.id : el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") + ' "' + (el.textContent || "").trim().slice(0, 30) + '"';
  const shown = (el) => {
    if (el.closest("[hidden]")) return false;
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === "none" || cs.visibility === "hidden") return false;
    }
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  // A disabled control and its contents are exempt (WCAG 1.4.3: inactive components).
  const inactive = (el) => !!el.closest(":disabled, [aria-disabled=true]");

  if (document.documentElement.lang !== lang) problems.push('lang: <html lang="' + document.documentElement.lang + '">, the page shows ' + lang);

  const rgba = (s) => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return [0, 0, 0, 0]; const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const opacity = (el) => { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const checked = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || checked.has(el) || !shown(el) || inactive(el)) continue;
    checked.add(el);
    const cs = getComputedStyle(el);
    const bg = background(el);
    const fg = over([...rgba(cs.color).slice(0, 3), rgba(cs.color)[3] * opacity(el)], bg);
    const l1 = lum(fg), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) problems.push("contrast: " + ratio.toFixed(2) + ":1 (need " + need + ":1) at " + where(el));
  }

  // 48 px, and on a kiosk screen 64 px at 1080 px (scaled with the screen's shorter side).
  const minTarget = Math.max(48, 64 * Math.min(innerWidth, innerHeight) / 1080);
  const controls = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, [role=button], [tabindex]:not([tabindex='-1'])")]
    .filter((el) => shown(el) && !inactive(el));
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    if (r.width < minTarget || r.height < minTarget) problems.push("target: " + Math.round(r.width) + "x" + Math.round(r.height) + " px (need " + Math.round(minTarget) + ") at " + where(el));
  }
  for (const el of document.querySelectorAll("button, [role=button]")) {
    if (!shown(el)) continue;
    const by = el.getAttribute("aria-labelledby");
    const name = (el.getAttribute("aria-label") || (by && document.getElementById(by) ? document.getElementById(by).textContent : "") || el.textContent || el.title || "").trim();
    if (!name) problems.push("name: a button without an accessible name at " + where(el));
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) problems.push("alt: an image without alt at " + where(el));
  }
  for (const el of document.querySelectorAll("[role=status], [role=alert], [role=log], [role=timer]")) {
    if (!el.hasAttribute("aria-live")) problems.push("live: a status region without aria-live at " + where(el));
  }
  controls.forEach((el, i) => { el.dataset.a11y = String(i); });
  return { problems, controls: controls.map((el) => el.dataset.a11y + " " + where(el)) };
})`

type a11yReport struct {
	Problems []string `json:"problems"`
	Controls []string `json:"controls"`
}

// a11yProblems checks the page as shown, in lang, against the rules above.
func (b *Browser) a11yProblems(lang string) []string {
	b.TB.Helper()
	r, err := chromedp.Run(b.Ctx, chromedp.Evaluate[a11yReport](a11yJS+"("+jsString(lang)+")"))
	if err != nil {
		b.TB.Fatalf("accessibility check: %v", err)
	}
	// Tab through the page from its start, as a keyboard user would,
	// and note every control that takes the focus.
	_, err = chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`(document.activeElement && document.activeElement.blur(), true)`))
	mustOK(b.TB, err)
	reached := map[string]bool{}
	for range len(r.Controls) + 4 {
		b.Do(chromedp.KeyEvent("\t"))
		at, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`(document.activeElement && document.activeElement.dataset.a11y) || ""`))
		mustOK(b.TB, err)
		reached[at] = true
	}
	for _, c := range r.Controls {
		id, what, _ := strings.Cut(c, " ")
		if !reached[id] {
			r.Problems = append(r.Problems, "tab: Tab never reaches "+what)
		}
	}
	return r.Problems
}

// mustAccessible checks the screen shown in both languages, with the
// layout rules (layout_test.go), and fails the test with every problem
// found.
func (b *Browser) mustAccessible(name string) {
	b.TB.Helper()
	for _, lang := range []string{b.lang, other(b.lang)} {
		if lang != b.lang {
			b.Do(chromedp.Click(chromedp.CSS("#lang")))
		}
		for _, p := range b.layoutProblems(name) {
			b.TB.Errorf("%s (%s): %s", name, lang, p)
		}
		for _, p := range b.a11yProblems(lang) {
			b.TB.Errorf("%s (%s): %s", name, lang, p)
		}
	}
	b.Do(chromedp.Click(chromedp.CSS("#lang")))
}

func other(lang string) string {
	if lang == "id" {
		return "en"
	}
	return "id"
}

// TestBrowserAccessibility walks the kiosk's screens on a portrait and a
// landscape 1080p screen and checks each in both languages.
func TestBrowserAccessibility(t *testing.T) {
	for _, size := range []struct{ w, h int }{{1080, 1920}, {1920, 1080}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			sys := MustStart(t)
			a := sys.MustApprove(t, "ktp-el")
			b := MustBrowser(t, size.w, size.h)
			b.openStart(sys.Station.KioskURL())
			b.Do(chromedp.WaitVisible(chromedp.CSS(`#avail-list li`)))
			b.mustAccessible("start")
			b.tap("#way-ticket", "ticket")
			b.mustAccessible("ticket")
			b.tap("#screen-ticket [data-go=start]", "start")
			b.tap("#way-pin", "pin")
			b.keypad(a.NIK)
			b.keypad(a.PIN)
			// Checked once typed: the Tab walk moves the focus, and the
			// keypad types into the field that has it.
			b.mustAccessible("pin")
			b.tap("#pin-ok", "docs")
			b.mustAccessible("docs")
			b.tap("#doc-list button.print", "preview")
			b.waitImagesLoaded()
			b.mustAccessible("preview")
			b.tap("#preview-ok", "done")
			b.mustAccessible("done")
			b.tap("#done-ok", "start")
			b.tap("#way-pin", "pin")
			b.keypad(a.NIK)
			b.keypad(a.PIN) // used: the registry refuses it
			b.tap("#pin-ok", "error")
			b.mustAccessible("error")
		})
	}
}

// badPage breaks every rule once.
const badPage = `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>bad</title></head>
<body data-ready="true" style="background:#fff;font-size:16px">
<p style="color:#aaa">Pale grey text on white</p>
<button id="tiny" style="width:30px;height:30px;font-size:12px;color:#000">x</button>
<button id="nameless" style="width:60px;height:60px"></button>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="60" height="60">
<p role="status">Printing…</p>
<div id="untabbable" role="button" onclick="void 0" style="width:60px;height:60px;color:#000" tabindex="0">Go</div>
<script>document.getElementById("untabbable").addEventListener("focus", (e) => e.target.blur());</script>
</body></html>`

// TestA11yCheckFindsProblems feeds the check a page that breaks each rule:
// a check that cannot fail checks nothing.
func TestA11yCheckFindsProblems(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(badPage))
	}))
	defer srv.Close()
	b := MustBrowser(t, 800, 600)
	b.open(srv.URL)
	problems := b.a11yProblems("en")
	t.Logf("problems found: %q", problems)
	for _, rule := range []string{"lang:", "contrast:", "target:", "name:", "alt:", "live:", "tab:"} {
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, rule) }) {
			t.Errorf("the check did not report the broken %q rule", strings.TrimSuffix(rule, ":"))
		}
	}
}
