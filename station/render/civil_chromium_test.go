package render

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/internal/chromiumtest"
)

var templateShots = flag.String("template-shots", "", "save a Chromium screenshot of each document type's sample into this folder (e.g. ../../docs/templates)")

// civilSamples are the realistic samples of the civil-registry documents
// printed on A4 (station/documents).
var civilSamples = []string{"akta-kelahiran", "akta-kematian", "akta-perkawinan", "akta-perceraian", "skpwni"}

// TestTemplateScreenshots makes the pictures docs/templates.md shows:
// each document type's sample (the cards and the KK, then the civil
// register's documents) opened in Chromium's PDF viewer, as a
// citizen opens a copy of what was printed. It only runs with
// -template-shots (it starts Chromium: hold the machine's browser lock):
//
//	flock -o /tmp/anjungan-pcscd.lock go test ./station/render -run TestTemplateScreenshots -template-shots $PWD/docs/templates
func TestTemplateScreenshots(t *testing.T) {
	if *templateShots == "" {
		t.Skip("run with -template-shots DIR to make the screenshots")
	}
	r := MustNewRenderer(t)
	p := chromiumtest.NewPage(t, 900, 1180, 2*time.Minute, *templateShots)
	dir := t.TempDir()
	for _, name := range append([]string{"ktp-el", "kia", "kk"}, civilSamples...) {
		file := filepath.Join(dir, name+".pdf")
		if err := os.WriteFile(file, MustRender(t, r, MustLoadSample(t, name)).PDF, 0o600); err != nil {
			t.Fatal(err)
		}
		// The viewer draws the page a while after the navigation ends;
		// nothing here is asserted, so a pause is enough.
		p.Do(chromedp.Navigate("file://"+file), chromedp.Sleep(8*time.Second))
		p.Shot(name)
	}
}
