package pwgraster

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
)

// Rasterize renders every page of pdf to RGB at dpi with poppler's
// pdftoppm, the same renderer as the kiosk's preview, so the card prints
// what the citizen saw.
func Rasterize(ctx context.Context, pdf []byte, dpi int, media string) ([]Page, error) {
	cmd := exec.CommandContext(ctx, "pdftoppm", "-r", fmt.Sprint(dpi), "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("pdftoppm: %w: %.200s", err, stderr.String())
	}
	pages, err := DecodePPM(bytes.NewReader(out), dpi, media)
	if err == nil && len(pages) == 0 {
		err = fmt.Errorf("pdftoppm rendered no page")
	}
	return pages, err
}

// DecodePPM reads concatenated binary PPM (P6, maxval 255) images, what
// pdftoppm writes to its standard output.
func DecodePPM(r io.Reader, dpi int, media string) ([]Page, error) {
	br := bufio.NewReader(r)
	var pages []Page
	total := 0
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return pages, nil
		}
		var magic string
		var w, h, maxval int
		if _, err := fmt.Fscan(br, &magic, &w, &h, &maxval); err != nil || magic != "P6" {
			return nil, fmt.Errorf("ppm page %d: not a binary PPM header (%q): %v", len(pages)+1, magic, err)
		}
		if c, err := br.ReadByte(); err != nil || (c != '\n' && c != ' ' && c != '\r' && c != '\t') {
			return nil, fmt.Errorf("ppm page %d: no whitespace after the header", len(pages)+1)
		}
		if maxval != 255 || w <= 0 || h <= 0 || w > maxSide || h > maxSide || len(pages) == maxPages {
			return nil, fmt.Errorf("ppm page %d: %dx%d maxval %d unsupported", len(pages)+1, w, h, maxval)
		}
		if total += 3 * w * h; total > MaxDecoded {
			return nil, fmt.Errorf("ppm: more than %d bytes of pixels", MaxDecoded)
		}
		// Read rather than allocate up front: a short input stays cheap.
		pix, err := io.ReadAll(io.LimitReader(br, int64(3*w*h)))
		if err != nil || len(pix) != 3*w*h {
			return nil, fmt.Errorf("ppm page %d: %d of %d bytes: %v", len(pages)+1, len(pix), 3*w*h, err)
		}
		p := Page{Width: w, Height: h, DPI: dpi, MediaName: media, Pix: pix}
		pages = append(pages, p)
	}
}
