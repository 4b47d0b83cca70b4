package render

import (
	"bytes"
	"context"
	stdimage "image"
	"image/color"
	"image/png"
	"testing"
	"time"
)

// mustPNG encodes a w×h image whose colour changes with each pixel, so a
// column drawn in the wrong place shows.
func mustPNG(tb testing.TB, w, h int, seed uint8) []byte {
	tb.Helper()
	img := stdimage.NewNRGBA(stdimage.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), seed, 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestEqualWidthImagesRenderTheSame: a photo and a signature of the same
// pixel width render to the same bytes every time (fpdf alone orders them
// at random).
func TestEqualWidthImagesRenderTheSame(t *testing.T) {
	r := MustNewRenderer(t)
	d := MustLoadSample(t, "ktp-el")
	cfg, _, err := stdimage.DecodeConfig(bytes.NewReader(d.Images["photo"]))
	if err != nil {
		t.Fatal(err)
	}
	d.Images["signature"] = mustPNG(t, cfg.Width, cfg.Width/3, 0x40)
	first := MustRender(t, r, d)
	// Two images in a map come out in either order: 20 renders in one
	// order by chance is one in half a million.
	for i := range 20 {
		if again := MustRender(t, r, d); again.SHA256 != first.SHA256 {
			t.Fatalf("render %d differs from the first", i+2)
		}
	}
}

// BenchmarkRenderKTPEqualWidthImages is BenchmarkRender/ktp-el with a
// signature as wide as the photo: the cost of widening one image.
func BenchmarkRenderKTPEqualWidthImages(b *testing.B) {
	r := MustNewRenderer(b)
	d := MustLoadSample(b, "ktp-el")
	cfg, _, err := stdimage.DecodeConfig(bytes.NewReader(d.Images["photo"]))
	if err != nil {
		b.Fatal(err)
	}
	d.Images["signature"] = mustPNG(b, cfg.Width, cfg.Width/3, 0x40)
	d = signed(b, d)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(context.Background(), d); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWidenedImageShowsTheSamePixels: drawing X then Y (Y widened, as
// its width is taken) and Y then X (X widened) give the same page in
// poppler's raster, so the widening never shows.
func TestWidenedImageShowsTheSamePixels(t *testing.T) {
	peer(t, "pdftoppm", "poppler-utils")
	const dpi = 150
	x, y := mustPNG(t, 60, 40, 0x20), mustPNG(t, 60, 25, 0xc0)
	boxX, boxY := box{X: 10, Y: 10, W: 40, H: 30}, box{X: 10, Y: 50, W: 40, H: 30}
	page := func(order ...int) stdimage.Image {
		c, err := newCanvas(MustFonts(t), time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		c.pdf.AddPage()
		for _, i := range order {
			b, data := boxX, x
			if i == 1 {
				b, data = boxY, y
			}
			if err := c.image(b, data); err != nil {
				t.Fatal(err)
			}
		}
		if len(c.imageWidths) != 2 {
			t.Fatalf("widths %v: the second image was not widened", c.imageWidths)
		}
		var pdf bytes.Buffer
		if err := c.pdf.Output(&pdf); err != nil {
			t.Fatal(err)
		}
		pngs, err := preview(t, pdf.Bytes(), 1, dpi)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(pngs[0]))
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	a, b := page(0, 1), page(1, 0)
	if a.Bounds() != b.Bounds() {
		t.Fatalf("page sizes %v and %v", a.Bounds(), b.Bounds())
	}
	// Both images fill their boxes' width. The device pixel their right
	// edge cuts through is blended with the paper when the image ends
	// there and filled when the clip does: a sliver of one pixel, which
	// is all the two orders may differ by.
	edge := int((boxX.X + boxX.W) / 25.4 * dpi)
	var differ, atEdge int
	for py := a.Bounds().Min.Y; py < a.Bounds().Max.Y; py++ {
		for px := a.Bounds().Min.X; px < a.Bounds().Max.X; px++ {
			switch {
			case near(a.At(px, py), b.At(px, py)):
			case px == edge:
				atEdge++
			default:
				differ++
			}
		}
	}
	t.Logf("%d pixels differ on the right edge's column, %d elsewhere", atEdge, differ)
	if differ > 0 {
		t.Errorf("%d pixels differ between the two orders off the right edge", differ)
	}
}

// near: equal but for a rounding step of the rasteriser.
func near(a, b color.Color) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(p, q uint32) uint32 {
		if p > q {
			return p - q
		}
		return q - p
	}
	return max(d(ar, br), d(ag, bg), d(ab, bb)) <= 0x0300
}
