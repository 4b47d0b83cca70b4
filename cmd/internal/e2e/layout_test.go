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

// The kiosk's layout rules for its two screens (1080×1920 portrait,
// 1920×1080 landscape), checked in the page as Chromium lays it out. The
// sizes scale with the screen's shorter side (1080 px: the sizes below).
//
//	scroll   the page fits the screen: document.scrollingElement never scrolls
//	text     visible text is at least 32 px
//	heading  h1 and h2 are at least 56 px
//	card     a card's page (img.card-page) is at least 80 % of the screen's
//	         width in its full view, and on a portrait screen's preview too;
//	         the full view shows the whole card without scrolling
//
// and, from Go, across the screens of one browser:
//
//	moved    the primary and secondary actions of the bottom bar keep their place
const layoutJS = `(() => {
  const problems = [];
  const se = document.scrollingElement;
  if (se.scrollHeight > innerHeight || se.scrollWidth > innerWidth)
    problems.push("scroll: the page is " + se.scrollWidth + "x" + se.scrollHeight + " on a " + innerWidth + "x" + innerHeight + " screen");
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
  const scale = Math.min(innerWidth, innerHeight) / 1080;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const checked = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || checked.has(el) || !shown(el)) continue;
    checked.add(el);
    const size = parseFloat(getComputedStyle(el).fontSize);
    const heading = el.closest("h1, h2");
    const need = (heading ? 56 : 32) * scale;
    if (size < need - 0.5) problems.push((heading ? "heading: " : "text: ") + size.toFixed(1) + " px (need " + need.toFixed(1) + ") at " + where(el));
  }
  for (const img of document.querySelectorAll("img.card-page")) {
    if (!shown(img)) continue;
    const r = img.getBoundingClientRect(), full = img.closest(".fullview");
    if ((full || innerHeight > innerWidth) && r.width < 0.8 * innerWidth - 0.5)
      problems.push("card: " + (full ? "the full view's" : "the preview's") + " card is " + Math.round(r.width) + " px wide, " + (100 * r.width / innerWidth).toFixed(1) + " % of the screen (need 80 %)");
    if (full && !full.classList.contains("zoomed")) {
      const f = full.querySelector(".fullview-frame");
      if (f.scrollHeight > f.clientHeight + 1 || f.scrollWidth > f.clientWidth + 1 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5)
        problems.push("scroll: the full view's card (" + Math.round(r.width) + "x" + Math.round(r.height) + " at " + Math.round(r.x) + "," + Math.round(r.y) + ") does not fit its frame");
    }
  }
  const box = (sel) => {
    const el = [...document.querySelectorAll(sel)].find(shown);
    if (!el) return "";
    const r = el.getBoundingClientRect();
    return [r.x, r.y, r.width, r.height].map(Math.round).join(",");
  };
  return { problems, primary: box(".screen:not([hidden]) .row .primary"), secondary: box(".screen:not([hidden]) .row .back:not(.alt)"),
    size: innerWidth + "x" + innerHeight };
})()`

type layoutReport struct {
	Problems  []string `json:"problems"`
	Primary   string   `json:"primary"`   // x,y,w,h of the bottom bar's primary action, "" without one
	Secondary string   `json:"secondary"` // the same of its secondary action
	Size      string   `json:"size"`
}

// layoutProblems checks the screen shown against the layout rules; what
// screen it is (name) goes into the places the browser remembers, so a
// later screen whose actions moved is reported with the first.
func (b *Browser) layoutProblems(name string) []string {
	b.TB.Helper()
	r, err := chromedp.Run(b.Ctx, chromedp.Evaluate[layoutReport](layoutJS))
	if err != nil {
		b.TB.Fatalf("layout check: %v", err)
	}
	if b.actions == nil {
		b.actions = map[string][2]string{}
	}
	for _, a := range []struct{ kind, box string }{{"primary", r.Primary}, {"secondary", r.Secondary}} {
		if a.box == "" {
			continue
		}
		key := a.kind + " " + r.Size
		if first, ok := b.actions[key]; !ok {
			b.actions[key] = [2]string{a.box, name}
		} else if first[0] != a.box {
			r.Problems = append(r.Problems, fmt.Sprintf("moved: the %s action is at %s, on %q it was at %s", a.kind, a.box, first[1], first[0]))
		}
	}
	return r.Problems
}

// mustFit fails the test with every layout problem of the screen shown.
func (b *Browser) mustFit(name string) {
	b.TB.Helper()
	for _, p := range b.layoutProblems(name) {
		b.TB.Errorf("%s (%s): %s", name, b.lang, p)
	}
}

// kioskSizes are the kiosk's two screens, with the names their screenshots carry.
var kioskSizes = []struct {
	w, h int64
	name string
}{{1080, 1920, "portrait"}, {1920, 1080, "landscape"}}

// both checks the screen shown on a portrait and a landscape kiosk
// screen, in Bahasa Indonesia and English, against the layout rules and
// the accessibility rules, and saves each as
// name-<orientation>-<lang>.png: every screenshot in docs/kiosk passed
// both checks. The browser's own size comes back after.
func (b *Browser) both(name string) { b.sizes(name, true) }

// bothSizes is both (once only the screens it named had the
// accessibility check).
func (b *Browser) bothSizes(name string) { b.sizes(name, true) }

func (b *Browser) sizes(name string, a11y bool) {
	b.TB.Helper()
	for _, size := range kioskSizes {
		b.Do(chromedp.EmulateViewport(size.w, size.h))
		for _, lang := range []string{"id", "en"} {
			if lang != b.lang {
				b.Do(chromedp.Click(chromedp.CSS("#lang")))
				b.lang = lang
			}
			b.mustFit(name + " " + size.name)
			if *screenshots != "" { // kept: a picture nobody keeps only costs time
				b.shot(name + "-" + size.name)
			}
		}
		if a11y {
			b.mustAccessible(name + " " + size.name)
		}
	}
	b.Do(chromedp.Click(chromedp.CSS("#lang")))
	b.lang = "id"
	b.Do(chromedp.EmulateViewport(int64(b.width), int64(b.height)))
}

// badLayout breaks every layout rule once: it scrolls, its text and
// heading are small, its card preview is 600 px of 1080, and its primary
// action moves when the second screen shows.
const badLayout = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bad</title>
<style>body{margin:0;font-size:32px} h2{font-size:56px} .row{display:flex} .row button{font-size:32px;width:300px;height:100px}
#two .row{padding-left:40px} #small{font-size:20px} #smallh{font-size:40px} #tall{height:3000px}</style></head>
<body>
<section class="screen" id="one"><h2>One</h2><div class="row"><button class="primary">Go</button></div></section>
<section class="screen" id="two" hidden><h2 id="smallh">Two</h2><img class="card-page" alt="card" width="600" height="378" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><p id="small">Small print</p><div id="tall"></div><div class="row"><button class="primary">Go</button></div></section>
</body></html>`

// TestLayoutCheckFindsProblems feeds the layout check a page that breaks
// each rule: a check that cannot fail checks nothing.
func TestLayoutCheckFindsProblems(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(badLayout))
	}))
	defer srv.Close()
	b := MustBrowser(t, 1080, 1920)
	b.Do(chromedp.Navigate(srv.URL))
	if p := b.layoutProblems("one"); len(p) != 0 {
		t.Fatalf("the first screen is fine, the check says %q", p)
	}
	b.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById("one").hidden = true; document.getElementById("two").hidden = false`))
	problems := b.layoutProblems("two")
	t.Logf("problems found: %q", problems)
	for _, rule := range []string{"scroll:", "text:", "heading:", "moved:", "card:"} {
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, rule) }) {
			t.Errorf("the check did not report the broken %q rule", strings.TrimSuffix(rule, ":"))
		}
	}
}
