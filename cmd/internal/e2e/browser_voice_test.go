package e2e

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// playing waits until the page's audio element has the phrase key of
// language lang as its source and has played some of it.
func (b *Browser) playing(lang, key string) {
	b.TB.Helper()
	want := "/voice/" + lang + "/" + key + ".opus"
	js := fmt.Sprintf(`(() => { const a = document.querySelector("#voice");
		return a && a.getAttribute("src") === %q && (!a.paused || a.ended) && a.played.length > 0 && a.played.end(0) > 0; })()`, want)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](js))
		mustOK(b.TB, err)
		if ok {
			return
		}
	}
	state, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`(() => { const a = document.querySelector("#voice");
		return a ? JSON.stringify({src: a.getAttribute("src"), paused: a.paused, played: a.played.length, error: a.error && a.error.code}) : "no #voice"; })()`))
	b.TB.Fatalf("want %s playing; audio %s", want, state)
}

// pressed is the aria-pressed state of Suara.
func (b *Browser) pressed() string {
	b.TB.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.querySelector("#btn-sound").getAttribute("aria-pressed")`))
	mustOK(b.TB, err)
	return v
}

// silent checks that the audio element is paused and stays so.
func (b *Browser) silent(why string) {
	b.TB.Helper()
	time.Sleep(500 * time.Millisecond) // a phrase that started would play by now
	st, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`(() => { const a = document.querySelector("#voice");
		return a.paused + " " + a.getAttribute("src"); })()`))
	mustOK(b.TB, err)
	if st[:4] != "true" {
		b.TB.Errorf("%s: audio not paused (%s)", why, st)
	}
}

// firstLoadBudget is the most the kiosk page's first load may receive,
// the first screen's voice included (issue 19: under 300 KB).
const firstLoadBudget = 300_000

// TestBrowserVoice plays a visit with the sound on: every screen says its
// phrase in the visit's language; Suara off stops it and keeps the next
// screen silent; a reset turns it on again.
func TestBrowserVoice(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el")
	// The start-up makes the first screen's phrases, in both languages,
	// and no other.
	sp := sys.Station.Speaker()
	if sp == nil {
		t.Fatal("the station started without its voice")
	}
	for deadline := time.Now().Add(60 * time.Second); len(sp.Made()) < 2 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	time.Sleep(200 * time.Millisecond) // a start-up that made more would show it by now
	if got, want := sp.Made(), []string{"en/voice_screen_start", "id/voice_screen_start"}; !slices.Equal(got, want) {
		t.Fatalf("the start-up made %q, want only %q", got, want)
	}
	// A later screen's phrase is made on its first request, once, however
	// many ask for it at the same time.
	var wg sync.WaitGroup
	sizes := make([]int, 6)
	for i := range sizes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Get(sys.Station.KioskURL() + "/voice/id/voice_screen_ticket.opus")
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "audio/ogg" {
				t.Errorf("ticket phrase: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
			sizes[i] = len(body)
		}()
	}
	wg.Wait()
	if got := sp.Made(); len(got) != 3 || got[2] != "id/voice_screen_ticket" {
		t.Fatalf("%d concurrent first requests: made %q, want id/voice_screen_ticket once after the start-up's", len(sizes), got)
	}
	if slices.Min(sizes) == 0 || slices.Min(sizes) != slices.Max(sizes) {
		t.Errorf("the concurrent requests got %v bytes", sizes)
	}
	b := MustBrowser(t, 1080, 1920)
	net := b.recordNetwork()
	b.openStart(sys.Station.KioskURL())
	b.Do(chromedp.WaitVisible(chromedp.CSS("#btn-sound")), chromedp.WaitVisible(chromedp.CSS("#btn-again")))
	b.playing("id", "voice_screen_start")
	// The first load, as Chromium received it: the page, its styles,
	// scripts, texts, pictures, the API's first answers and the first
	// screen's voice (docs/kiosk.md, "First load").
	b.waitImagesLoaded()
	first, files := net.total()
	t.Logf("first load: %.0f bytes received (%s)\n\t%s", first, net.kinds(), strings.Join(files, "\n\t"))
	if first > firstLoadBudget {
		t.Errorf("first load with the first screen's voice: %.0f bytes; the budget is %d", first, firstLoadBudget)
	}
	if v := net.voices(); len(v) != 1 || v["id/voice_screen_start"] == 0 {
		t.Errorf("the first load's voice: %v, want the start screen's phrase only", v)
	}

	b.tap("#way-ticket", "ticket")
	b.playing("id", "voice_screen_ticket")
	b.scan(a.Ticket)
	b.screen("docs")
	b.playing("id", "voice_screen_docs")
	b.tap("#doc-list button.print", "preview")
	b.playing("id", "voice_screen_preview")
	// The card's full view says its own phrase; closing it, the preview's again.
	b.openFull()
	b.playing("id", "voice_screen_fullview")
	b.Do(chromedp.Click(chromedp.CSS("#fullview-close")), chromedp.WaitNotVisible(chromedp.CSS("#fullview")))
	b.playing("id", "voice_screen_preview")

	// Suara off: what plays stops, and the next screen stays silent.
	b.Do(chromedp.Click(chromedp.CSS("#btn-sound")))
	if got := b.pressed(); got != "false" {
		t.Errorf("Suara off: aria-pressed %q", got)
	}
	b.silent("Suara off")
	b.tap("#preview-back", "docs")
	b.silent("the screen after Suara off")
	// Dengarkan lagi says the screen's phrase even so.
	b.Do(chromedp.Click(chromedp.CSS("#btn-again")))
	b.playing("id", "voice_screen_docs")
	b.Do(chromedp.Click(chromedp.CSS("#btn-sound")))
	if got := b.pressed(); got != "true" {
		t.Errorf("Suara on: aria-pressed %q", got)
	}
	b.tap("#doc-list button.print", "preview")
	b.playing("id", "voice_screen_preview")
	b.tap("#preview-ok", "done")
	b.playing("id", "voice_screen_done")

	// The next visit, in English: a switch says the screen again in it.
	b.Do(chromedp.Click(chromedp.CSS("#btn-sound"))) // off: the reset turns it on again
	b.tap("#done-ok", "start")
	if got := b.pressed(); got != "true" {
		t.Errorf("after the visit: aria-pressed %q, want Suara on", got)
	}
	b.Do(chromedp.Click(chromedp.CSS("#lang")))
	b.lang = "en"
	b.playing("en", "voice_screen_start")
	b.tap("#way-ticket", "ticket")
	b.playing("en", "voice_screen_ticket")
	b.scan(a.Ticket)
	b.screen("error")
	b.playing("en", "voice_error_ticket_used")
	// The later screens' phrases, loaded on demand.
	later, _ := net.total()
	var phrases []string
	for k, n := range net.voices() {
		phrases = append(phrases, fmt.Sprintf("%s %.0f", k, n))
	}
	slices.Sort(phrases)
	t.Logf("the visit received %.0f bytes after the first load; voice by phrase: %s", later-first, strings.Join(phrases, ", "))
	// Each phrase of the visit was made once, on demand.
	made := sp.Made()
	slices.Sort(made)
	if len(slices.Compact(slices.Clone(made))) != len(made) {
		t.Errorf("a phrase was made twice: %q", made)
	}
	t.Logf("phrases made in the visit: %d", len(made))
}
