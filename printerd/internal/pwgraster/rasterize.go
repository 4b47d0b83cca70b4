package pwgraster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"

	"github.com/anjungan/anjungan/internal/ppm"
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
// pdftoppm writes to its standard output, as pages at dpi on media.
func DecodePPM(r io.Reader, dpi int, media string) ([]Page, error) {
	images, err := ppm.Decode(r, MaxDecoded)
	if err != nil {
		return nil, err
	}
	pages := make([]Page, 0, len(images))
	for _, im := range images {
		pages = append(pages, Page{Width: im.Width, Height: im.Height, DPI: dpi, MediaName: media, Pix: im.Pix})
	}
	return pages, nil
}
