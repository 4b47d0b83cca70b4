// Package ppm reads binary PPM (P6, maxval 255): what poppler's pdftoppm
// writes to its standard output, one image per page, back to back. The
// station's preview and printerd's card rasters both read it, so both
// show and print pixels made the same way.
package ppm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Limits on what Decode accepts: a side of 20000 pixels is A4 at 1700
// dpi, far beyond any page here; a page count beyond maxPages is a
// broken stream, not a document.
const (
	maxSide  = 20000
	maxPages = 1000
)

// ErrFormat is the error (errors.Is) of every stream Decode refuses.
var ErrFormat = errors.New("ppm: malformed stream")

// Image is one page: Width×Height RGB pixels, row by row, 3 bytes each.
type Image struct {
	Width, Height int
	Pix           []byte
}

// Decode reads concatenated binary PPM images with at most maxBytes of
// pixels in all, so a runaway stream costs bounded memory.
func Decode(r io.Reader, maxBytes int) ([]Image, error) {
	br := bufio.NewReader(r)
	var images []Image
	total := 0
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return images, nil
		}
		n := len(images) + 1
		var magic string
		var w, h, maxval int
		if _, err := fmt.Fscan(br, &magic, &w, &h, &maxval); err != nil || magic != "P6" {
			return nil, fmt.Errorf("%w: page %d: not a binary PPM header (%.8q): %v", ErrFormat, n, magic, err)
		}
		if c, err := br.ReadByte(); err != nil || (c != '\n' && c != ' ' && c != '\r' && c != '\t') {
			return nil, fmt.Errorf("%w: page %d: no whitespace after the header", ErrFormat, n)
		}
		if maxval != 255 || w <= 0 || h <= 0 || w > maxSide || h > maxSide || len(images) == maxPages {
			return nil, fmt.Errorf("%w: page %d: %dx%d maxval %d unsupported", ErrFormat, n, w, h, maxval)
		}
		if total += 3 * w * h; total > maxBytes {
			return nil, fmt.Errorf("%w: more than %d bytes of pixels", ErrFormat, maxBytes)
		}
		// Read rather than allocate up front: a short input stays cheap.
		pix, err := io.ReadAll(io.LimitReader(br, int64(3*w*h)))
		if err != nil || len(pix) != 3*w*h {
			return nil, fmt.Errorf("%w: page %d: %d of %d bytes: %v", ErrFormat, n, len(pix), 3*w*h, err)
		}
		images = append(images, Image{Width: w, Height: h, Pix: pix})
	}
}
