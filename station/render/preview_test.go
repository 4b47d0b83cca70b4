package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station"
)

// newPreviewer returns a Previewer whose private folder is the test's own.
func newPreviewer(tb testing.TB) *Previewer {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil { // as the station's private folder
		tb.Fatal(err)
	}
	p, err := NewPreviewer(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// preview rasterises the pages of pdf.
func preview(t *testing.T, pdf []byte, pages, dpi int) ([][]byte, error) {
	t.Helper()
	p := newPreviewer(t)
	var pngs [][]byte
	for i := range pages {
		b, err := p.Preview(context.Background(), pdf, i, dpi)
		if err != nil {
			return nil, err
		}
		pngs = append(pngs, b)
	}
	return pngs, nil
}

// pdftoppmPNG is the page as pdftoppm encodes it itself.
func pdftoppmPNG(tb testing.TB, pdf []byte, page, dpi int) []byte {
	tb.Helper()
	n := fmt.Sprint(page + 1)
	cmd := exec.Command("pdftoppm", "-r", fmt.Sprint(dpi), "-f", n, "-l", n, "-png", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func decodeRGBA(t *testing.T, b []byte) *image.RGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return rgba
}

// TestPreviewIsPdftoppmsPixels: each page the kiosk shows is, pixel for
// pixel, what pdftoppm makes of the same PDF page, the raster the card
// printer gets.
func TestPreviewIsPdftoppmsPixels(t *testing.T) {
	peer(t, "pdftoppm", "poppler-utils")
	p := newPreviewer(t)
	for _, tc := range []struct {
		sample string
		pages  int
	}{{"ktp-el", 2}, {"kk", 2}} {
		res := MustRender(t, MustNewRenderer(t), MustLoadSample(t, tc.sample))
		if res.Pages != tc.pages {
			t.Fatalf("%s: %d pages, want %d", tc.sample, res.Pages, tc.pages)
		}
		var first *image.RGBA
		for page := range tc.pages {
			t.Run(fmt.Sprintf("%s/%d", tc.sample, page+1), func(t *testing.T) {
				b, err := p.Preview(context.Background(), res.PDF, page, 150)
				if err != nil {
					t.Fatal(err)
				}
				got, want := decodeRGBA(t, b), decodeRGBA(t, pdftoppmPNG(t, res.PDF, page, 150))
				if got.Bounds() != want.Bounds() {
					t.Fatalf("size %v, pdftoppm's %v", got.Bounds(), want.Bounds())
				}
				if !bytes.Equal(got.Pix, want.Pix) {
					t.Fatal("pixels differ from pdftoppm's")
				}
				if page == 0 {
					first = got
				} else if first != nil && bytes.Equal(first.Pix, got.Pix) {
					t.Fatal("page 2 is page 1")
				}
			})
		}
	}
}

// TestPreviewRefuses: every refusal is ErrRenderFailed.
func TestPreviewRefuses(t *testing.T) {
	peer(t, "pdftoppm", "poppler-utils")
	p := newPreviewer(t)
	card := renderSample(t, "ktp-el")
	for name, tc := range map[string]struct {
		pdf       []byte
		page, dpi int
	}{
		"dpi too low":       {card, 0, minDPI - 1},
		"dpi too high":      {card, 0, maxDPI + 1},
		"negative page":     {card, -1, 150},
		"page past the end": {card, 2, 150},
		"not a PDF":         {[]byte("%PDF-1.4 not really"), 0, 150},
		"empty":             {nil, 0, 150},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := p.Preview(context.Background(), tc.pdf, tc.page, tc.dpi)
			if !errors.Is(err, station.ErrRenderFailed) || b != nil {
				t.Fatalf("got %d bytes, %v; want ErrRenderFailed", len(b), err)
			}
		})
	}
}

// TestPreviewKeepsToItsFolder runs a preview with TMPDIR pointing at a
// folder that does not exist, through a pdftoppm that records where it
// runs: the document reaches it on its standard input, never as a file;
// it works in a 0700 folder of the private folder, which is its TMPDIR,
// holds nothing once it is done and is gone afterwards.
func TestPreviewKeepsToItsFolder(t *testing.T) {
	real := peer(t, "pdftoppm", "poppler-utils")
	root := t.TempDir()
	private := filepath.Join(root, "station", "tmp")
	if err := os.MkdirAll(private, 0o700); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin")
	record := filepath.Join(root, "record")
	if err := os.Mkdir(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n" +
		"{ echo \"TMPDIR $TMPDIR\"; echo \"PWD $(pwd)\"; echo \"ARGS $*\"; stat -c 'mode %a' .; } > " + record + "\n" +
		real + " \"$@\"\n" +
		"rc=$?\n" +
		"echo \"LEFT $(ls -A)\" >> " + record + "\n" +
		"exit $rc\n"
	if err := os.WriteFile(filepath.Join(bin, "pdftoppm"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("TMPDIR", filepath.Join(root, "no-such-folder"))

	p, err := NewPreviewer(private)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Preview(context.Background(), renderSample(t, "ktp-el"), 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("the pdftoppm on PATH did not run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 5 {
		t.Fatalf("record:\n%s", out)
	}
	work, _ := strings.CutPrefix(lines[0], "TMPDIR ")
	if filepath.Dir(work) != private {
		t.Errorf("pdftoppm's TMPDIR %q is not a folder of %s", work, private)
	}
	if lines[1] != "PWD "+work {
		t.Errorf("pdftoppm works in %q, want its TMPDIR %s", lines[1], work)
	}
	if lines[2] != "ARGS -r 50 -f 2 -l 2 -" {
		t.Errorf("%q: want page 2 only, the PDF on standard input", lines[2])
	}
	if lines[3] != "mode 700" {
		t.Errorf("work folder: %q, want mode 700", lines[3])
	}
	if lines[4] != "LEFT" {
		t.Errorf("pdftoppm's folder held %q: the document or its pages became files", lines[4])
	}
	if left, _ := os.ReadDir(private); len(left) != 0 {
		t.Errorf("left in the private folder: %v", left)
	}
	if _, err := os.Stat(filepath.Join(root, "no-such-folder")); err == nil {
		t.Error("something made TMPDIR")
	}
}

func TestNewPreviewerRefuses(t *testing.T) {
	open := t.TempDir()
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"no folder": "", "missing": filepath.Join(open, "missing"), "others may read": open} {
		if _, err := NewPreviewer(dir); err == nil {
			t.Errorf("%s: NewPreviewer(%q) accepted it", name, dir)
		}
	}
}

// BenchmarkPreview makes page 1 of a card and of a KK at the kiosk's
// 150 dpi, alternating op by op with the anchor: pdftoppm making the same
// page as PNG itself, the way it was done before. It reports both
// per-op times and the ratio.
func BenchmarkPreview(b *testing.B) {
	peer(b, "pdftoppm", "poppler-utils")
	p := newPreviewer(b)
	for _, sample := range []string{"ktp-el", "kk"} {
		pdf := MustRender(b, MustNewRenderer(b), MustLoadSample(b, sample)).PDF
		b.Run(sample, func(b *testing.B) {
			var ours, anchor int64
			for b.Loop() {
				start := time.Now()
				if _, err := p.Preview(context.Background(), pdf, 0, 150); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				pdftoppmPNG(b, pdf, 0, 150)
				ours += int64(mid.Sub(start))
				anchor += int64(time.Since(mid))
			}
			n := float64(b.N)
			b.ReportMetric(float64(ours)/n/1e6, "ms-preview/op")
			b.ReportMetric(float64(anchor)/n/1e6, "ms-pdftoppm-png/op")
			b.ReportMetric(float64(ours)/float64(anchor), "x-of-pdftoppm-png")
		})
	}
}

// renderSample renders testdata/<name>.json.
func renderSample(t *testing.T, name string) []byte {
	t.Helper()
	return MustRender(t, MustNewRenderer(t), MustLoadSample(t, name)).PDF
}
