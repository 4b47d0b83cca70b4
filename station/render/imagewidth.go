package render

import (
	"bytes"
	stdimage "image"
	"image/draw"
	"image/png"
)

// fpdf writes image objects ordered by pixel width alone, and images of
// the same width in map order, which varies from run to run. Two images
// of one width in a document (a 240 px photo and a 240 px signature)
// would make its bytes vary, and a reprint would not be provably the same
// document. So a canvas keeps one image per width: an image whose width
// is taken is widened by a few columns and drawn clipped to its own, so
// the page shows exactly the same pixels.

// widen returns img as a PNG that repeats its last column until its width
// is not in taken, and the number of columns added.
func widen(data []byte, width int, taken map[int]string) ([]byte, int, error) {
	src, _, err := stdimage.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, err
	}
	pad := 1
	for taken[width+pad] != "" {
		pad++
	}
	r := src.Bounds()
	dst := stdimage.NewNRGBA(stdimage.Rect(0, 0, width+pad, r.Dy()))
	draw.Draw(dst, stdimage.Rect(0, 0, width, r.Dy()), src, r.Min, draw.Src)
	for x := width; x < width+pad; x++ {
		draw.Draw(dst, stdimage.Rect(x, 0, x+1, r.Dy()), dst, stdimage.Pt(width-1, 0), draw.Src)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, dst); err != nil {
		return nil, 0, err
	}
	return b.Bytes(), pad, nil
}
