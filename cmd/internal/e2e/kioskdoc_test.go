package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestKioskDocShowsEveryScreenshot: docs/kiosk.md shows every screenshot
// the browser tests keep in docs/kiosk, and every picture it shows is
// there, so a screen renamed or added cannot fall out of the document.
func TestKioskDocShowsEveryScreenshot(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "kiosk.md"))
	mustOK(t, err)
	shown := map[string]bool{}
	for _, m := range regexp.MustCompile(`\]\(kiosk/([^)]+\.png)\)`).FindAllSubmatch(doc, -1) {
		shown[string(m[1])] = true
	}
	files, err := filepath.Glob(filepath.Join(root, "docs", "kiosk", "*.png"))
	mustOK(t, err)
	var kept []string
	for _, f := range files {
		kept = append(kept, filepath.Base(f))
	}
	if len(kept) < 100 {
		t.Errorf("docs/kiosk holds %d screenshots; every screen in two orientations and two languages is more", len(kept))
	}
	for _, f := range kept {
		if !shown[f] {
			t.Errorf("docs/kiosk/%s is not shown in docs/kiosk.md", f)
		}
	}
	for f := range shown {
		if !slices.Contains(kept, f) {
			t.Errorf("docs/kiosk.md shows kiosk/%s, which is not in docs/kiosk", f)
		}
		if strings.HasPrefix(f, "console-") {
			t.Errorf("docs/kiosk.md shows the console's kiosk/%s", f)
		}
	}
}
