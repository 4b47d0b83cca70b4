// Package pwgraster writes and reads PWG Raster (PWG 5102.4): the "RaS2"
// sync word, then per page a 1796-byte big-endian header and the page's
// lines, compressed with the format's PackBits-like scheme. Only what
// printerd sends is supported: 8-bit sRGB, chunky pixels.
package pwgraster

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
)

// Sync is the sync word that starts a PWG Raster stream.
const Sync = "RaS2"

// HeaderSize is the size of a page header.
const HeaderSize = 1796

// Header field offsets (PWG 5102.4, section 4.3), from the header's start.
const (
	offMediaType      = 128
	offHWResolution   = 276
	offNumCopies      = 340
	offPageSize       = 352
	offWidth          = 372
	offHeight         = 376
	offBitsPerColor   = 384
	offBitsPerPixel   = 388
	offBytesPerLine   = 392
	offColorOrder     = 396
	offColorSpace     = 400
	offNumColors      = 420
	offTotalPageCount = 452
	offPageSizeName   = 1732
)

// colorSRGB is PWG's sRGB color space (cupsColorSpace 19).
const colorSRGB = 19

// Page is one page: RGB pixels, three bytes a pixel, row after row.
type Page struct {
	Width, Height int
	DPI           int
	Pix           []byte
	// MediaName is the PWG media name (e.g. om_card_54x86mm); may be empty.
	MediaName string
}

// FromImage copies an image into a Page.
func FromImage(img image.Image, dpi int, media string) Page {
	b := img.Bounds()
	p := Page{Width: b.Dx(), Height: b.Dy(), DPI: dpi, MediaName: media, Pix: make([]byte, 0, 3*b.Dx()*b.Dy())}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			p.Pix = append(p.Pix, byte(r>>8), byte(g>>8), byte(bl>>8))
		}
	}
	return p
}

// Encode writes pages as one PWG Raster stream.
func Encode(w io.Writer, pages []Page) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(Sync); err != nil {
		return err
	}
	for i, p := range pages {
		if p.Width <= 0 || p.Height <= 0 || p.DPI <= 0 || len(p.Pix) != 3*p.Width*p.Height {
			return fmt.Errorf("pwgraster: page %d: %dx%d at %d dpi with %d bytes", i+1, p.Width, p.Height, p.DPI, len(p.Pix))
		}
		if _, err := bw.Write(header(p, len(pages))); err != nil {
			return err
		}
		line := 3 * p.Width
		for y := 0; y < p.Height; {
			row := p.Pix[y*line : (y+1)*line]
			// A line repeated up to 256 times is written once.
			n := 1
			for n < 256 && y+n < p.Height && bytes.Equal(row, p.Pix[(y+n)*line:(y+n+1)*line]) {
				n++
			}
			if err := bw.WriteByte(byte(n - 1)); err != nil {
				return err
			}
			if _, err := bw.Write(packLine(nil, row)); err != nil {
				return err
			}
			y += n
		}
	}
	return bw.Flush()
}

func header(p Page, total int) []byte {
	h := make([]byte, HeaderSize)
	put := func(off int, v uint32) { binary.BigEndian.PutUint32(h[off:], v) }
	copy(h[offMediaType:offMediaType+63], "stationery")
	put(offHWResolution, uint32(p.DPI))
	put(offHWResolution+4, uint32(p.DPI))
	put(offNumCopies, 1)
	// PageSize is in points.
	put(offPageSize, uint32((p.Width*72+p.DPI/2)/p.DPI))
	put(offPageSize+4, uint32((p.Height*72+p.DPI/2)/p.DPI))
	put(offWidth, uint32(p.Width))
	put(offHeight, uint32(p.Height))
	put(offBitsPerColor, 8)
	put(offBitsPerPixel, 24)
	put(offBytesPerLine, uint32(3*p.Width))
	put(offColorOrder, 0) // chunky
	put(offColorSpace, colorSRGB)
	put(offNumColors, 3)
	put(offTotalPageCount, uint32(total))
	copy(h[offPageSizeName:offPageSizeName+63], p.MediaName)
	return h
}

// packLine compresses one line of 3-byte pixels: a byte n in 0..127 is
// one pixel repeated n+1 times; n in 129..255 is 257-n literal pixels.
func packLine(dst, row []byte) []byte {
	px := func(i int) []byte { return row[3*i : 3*i+3] }
	n := len(row) / 3
	for i := 0; i < n; {
		run := 1
		for run < 128 && i+run < n && bytes.Equal(px(i), px(i+run)) {
			run++
		}
		if run > 1 || i+1 == n {
			dst = append(dst, byte(run-1))
			dst = append(dst, px(i)...)
			i += run
			continue
		}
		// Literal pixels until two equal neighbours start a run.
		lit := 1
		for lit < 128 && i+lit < n && (i+lit+1 >= n || !bytes.Equal(px(i+lit), px(i+lit+1))) {
			lit++
		}
		if lit == 1 {
			dst = append(dst, 0)
		} else {
			dst = append(dst, byte(257-lit))
		}
		dst = append(dst, row[3*i:3*(i+lit)]...)
		i += lit
	}
	return dst
}

// Limits of what Decode accepts, so a hostile stream cannot make it
// allocate without bound: a few bytes of repeated white lines decode to
// megabytes.
const (
	maxSide  = 20000
	maxPages = 1000
	// MaxDecoded bounds the pixel bytes Decode returns (A4 at 600 dpi
	// is 104 MB).
	MaxDecoded = 256 << 20
)

// ErrFormat is returned for a stream that is not PWG Raster as this
// package writes it.
var ErrFormat = errors.New("pwgraster: malformed stream")

// Decode reads a PWG Raster stream of 8-bit sRGB pages.
func Decode(r io.Reader) ([]Page, error) { return DecodeLimit(r, MaxDecoded) }

// DecodeLimit is Decode returning at most limit bytes of pixels.
func DecodeLimit(r io.Reader, limit int) ([]Page, error) {
	total := 0
	br := bufio.NewReader(r)
	sync := make([]byte, 4)
	if _, err := io.ReadFull(br, sync); err != nil || string(sync) != Sync {
		return nil, fmt.Errorf("%w: no %s sync word", ErrFormat, Sync)
	}
	var pages []Page
	for {
		h := make([]byte, HeaderSize)
		if _, err := io.ReadFull(br, h); err == io.EOF {
			return pages, nil
		} else if err != nil {
			return nil, fmt.Errorf("%w: page %d header: %v", ErrFormat, len(pages)+1, err)
		}
		if len(pages) == maxPages {
			return nil, fmt.Errorf("%w: more than %d pages", ErrFormat, maxPages)
		}
		get := func(off int) int { return int(binary.BigEndian.Uint32(h[off:])) }
		p := Page{Width: get(offWidth), Height: get(offHeight), DPI: get(offHWResolution),
			MediaName: string(bytes.TrimRight(h[offPageSizeName:offPageSizeName+64], "\x00"))}
		if get(offBitsPerColor) != 8 || get(offBitsPerPixel) != 24 || get(offColorSpace) != colorSRGB ||
			get(offBytesPerLine) != 3*p.Width || p.DPI <= 0 || p.DPI > maxSide || p.Width <= 0 || p.Height <= 0 || p.Width > maxSide || p.Height > maxSide {
			return nil, fmt.Errorf("%w: page %d: unsupported header (%dx%d, %d bpp, color space %d)",
				ErrFormat, len(pages)+1, p.Width, p.Height, get(offBitsPerPixel), get(offColorSpace))
		}
		line := 3 * p.Width
		if total += line * p.Height; total > limit {
			return nil, fmt.Errorf("%w: more than %d bytes of pixels", ErrFormat, limit)
		}
		p.Pix = make([]byte, 0, line*p.Height)
		for y := 0; y < p.Height; {
			rep, err := br.ReadByte()
			if err != nil {
				return nil, fmt.Errorf("%w: page %d line %d: %v", ErrFormat, len(pages)+1, y, err)
			}
			row, err := unpackLine(br, line)
			if err != nil {
				return nil, fmt.Errorf("%w: page %d line %d: %v", ErrFormat, len(pages)+1, y, err)
			}
			for range int(rep) + 1 {
				if y == p.Height {
					return nil, fmt.Errorf("%w: page %d: lines repeat past the page", ErrFormat, len(pages)+1)
				}
				p.Pix = append(p.Pix, row...)
				y++
			}
		}
		pages = append(pages, p)
	}
}

func unpackLine(br *bufio.Reader, size int) ([]byte, error) {
	row := make([]byte, 0, size)
	for len(row) < size {
		c, err := br.ReadByte()
		if err != nil {
			return nil, err
		}
		switch {
		case c == 128: // the rest of the line is white
			for len(row) < size {
				row = append(row, 0xff)
			}
		case c < 128:
			px := make([]byte, 3)
			if _, err := io.ReadFull(br, px); err != nil {
				return nil, err
			}
			for range int(c) + 1 {
				row = append(row, px...)
			}
		default:
			lit := make([]byte, 3*(257-int(c)))
			if _, err := io.ReadFull(br, lit); err != nil {
				return nil, err
			}
			row = append(row, lit...)
		}
		if len(row) > size {
			return nil, errors.New("pixels run past the line")
		}
	}
	return row, nil
}
