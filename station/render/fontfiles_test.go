package render

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

var updateFonts = flag.Bool("update-fonts", false, "remake templates/fonts/*.json and *.z from the .ttf files")

// fontsDir is templates/fonts in the source tree.
var fontsDir = filepath.Join("..", "..", "templates", "fonts")

// cp1252Map returns the path of fpdf's cp1252.map, the encoding file
// MakeFont reads, from the module cache.
func cp1252Map(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "codeberg.org/go-pdf/fpdf").Output()
	if err != nil {
		t.Fatalf("locate fpdf: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "font", "cp1252.map")
}

// cp1252Unicodes lists the code points of an encoding map ("!41 U+0041
// A" lines) in pyftsubset's --unicodes form.
func cp1252Unicodes(t *testing.T, mapFile string) string {
	t.Helper()
	f, err := os.Open(mapFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var us []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[2] != ".notdef" && strings.HasPrefix(fields[1], "U+") {
			us = append(us, fields[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(us, ",")
}

// makeFonts subsets each .ttf of fontFiles to Windows-1252 and writes its
// fpdf definition and compressed program into dst.
func makeFonts(t *testing.T, dst string) {
	t.Helper()
	subset := peer(t, "pyftsubset", "fonttools")
	mapFile := cp1252Map(t)
	unicodes := cp1252Unicodes(t, mapFile)
	tmp := t.TempDir()
	for _, f := range fontFiles {
		sub := filepath.Join(tmp, f.base+".ttf")
		// No hinting: the fonts are printed at 300 dpi or more. Names are
		// kept whole, with the copyright and licence notices.
		run(t, subset, filepath.Join(fontsDir, f.base+".ttf"), "--unicodes="+unicodes,
			"--output-file="+sub, "--layout-features=", "--no-hinting", "--name-IDs=*",
			"--name-languages=*", "--name-legacy", "--notdef-outline")
		var msgs bytes.Buffer
		if err := fpdf.MakeFont(sub, mapFile, dst, &msgs, true); err != nil {
			t.Fatalf("MakeFont %s: %v\n%s", f.base, err, msgs.String())
		}
	}
}

// TestFontFilesCurrent remakes the font files and checks the committed
// ones are the same: the same definition, and a .z that inflates to the
// same font program (zlib output may differ between Go releases).
func TestFontFilesCurrent(t *testing.T) {
	if *updateFonts {
		makeFonts(t, fontsDir)
	}
	dst := t.TempDir()
	makeFonts(t, dst)
	for _, f := range fontFiles {
		for _, ext := range []string{".json", ".z"} {
			want, err := os.ReadFile(filepath.Join(dst, f.base+ext))
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(fontsDir, f.base+ext))
			if err != nil {
				t.Fatalf("%v (run go test ./station/render -run TestFontFilesCurrent -update-fonts)", err)
			}
			if ext == ".z" {
				want, got = mustInflate(t, want), mustInflate(t, got)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("templates/fonts/%s%s is stale (run go test ./station/render -run TestFontFilesCurrent -update-fonts)", f.base, ext)
			}
		}
	}
}

func mustInflate(t *testing.T, z []byte) []byte {
	t.Helper()
	r, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
