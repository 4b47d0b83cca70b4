package http

import (
	"io/fs"
	"regexp"
	"sort"
	"testing"

	"github.com/anjungan/anjungan/internal/i18n"
	"github.com/anjungan/anjungan/station"
)

func loadTexts(t *testing.T, lang string) map[string]string {
	t.Helper()
	tables, err := i18n.Load(assets, "assets/i18n")
	if err != nil {
		t.Fatal(err)
	}
	return tables[lang]
}

// TestTextsComplete checks that both languages have the same keys, that no
// text is empty, and that every key the page uses exists.
func TestTextsComplete(t *testing.T) {
	id, en := loadTexts(t, "id"), loadTexts(t, "en")
	for k, v := range id {
		e, found := en[k]
		if !found {
			t.Errorf("key %q missing in en.json", k)
		}
		if v == "" || found && e == "" {
			t.Errorf("key %q has an empty text", k)
		}
	}
	for k := range en {
		if _, ok := id[k]; !ok {
			t.Errorf("key %q missing in id.json", k)
		}
	}

	used := map[string]bool{}
	html, _ := fs.ReadFile(assets, "assets/index.html")
	for _, m := range regexp.MustCompile(`data-t(?:-label|-alt)?="([a-z_0-9-]+)"`).FindAllSubmatch(html, -1) {
		used[string(m[1])] = true
	}
	for _, name := range []string{"app.js", "guide.js", "voice.js"} {
		js, _ := fs.ReadFile(assets, "assets/"+name)
		for _, m := range regexp.MustCompile(`\bt\("([a-z_0-9-]+)"\)`).FindAllSubmatch(js, -1) {
			used[string(m[1])] = true
		}
	}
	// Keys guide.js builds from the steps of the flow.
	for _, s := range []string{"signin", "check", "print", "collect"} {
		used["help_"+s] = true
	}
	// Keys the page builds from domain values.
	for _, s := range []station.PrintState{station.PrintPreparing, station.PrintPreview, station.PrintQueued, station.PrintHeld, station.PrintPrinting, station.PrintDone, station.PrintFailed, station.PrintInDoubt, station.PrintResumable} {
		used["step_"+string(s)] = true
	}
	for _, s := range []station.RequestStatus{station.RequestApproved, station.RequestPrinted, station.RequestInDoubt} {
		used["doc_"+string(s)] = true
	}
	for _, f := range station.Fingers {
		used["finger_title_"+string(f)] = true
	}
	for _, r := range []string{"ready", "media-empty", "no-blanks", "stopped", "no-printer", "other"} {
		used["avail_"+r] = true
	}
	for _, c := range []station.CardStatus{station.CardWaiting, station.CardPresent, station.CardRead, station.CardRemovedEarly,
		station.CardNotEKTP, station.CardFailed, station.CardReaderMissing, station.CardServiceDown} {
		used["card_state_"+string(c)] = true
	}
	var missing []string
	for k := range used {
		if _, ok := id[k]; !ok {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("keys used by the page but missing from the texts: %v", missing)
	}
	if len(used) < 30 {
		t.Errorf("found only %d used keys; the patterns no longer match the page", len(used))
	}
}
