package render

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"sync"

	"github.com/anjungan/anjungan/internal/ppm"
	"github.com/anjungan/anjungan/internal/privtmp"
	"github.com/anjungan/anjungan/station"
)

// Raster resolutions Preview accepts: a kiosk preview needs ~100 dpi, a
// card printer 300 dpi.
const (
	minDPI = 36
	maxDPI = 1200
)

// Previewer rasterises PDFs with poppler's pdftoppm, the rasteriser of
// the card printers' rasters. The PDF goes to pdftoppm through a pipe and
// the page comes back through one, as PPM: no copy of the document is
// ever a file. pdftoppm runs with its working folder and TMPDIR in a
// private folder of the station's data folder, which the station empties
// at start-up, so whatever it might write stays there.
type Previewer struct {
	dir string
}

var _ station.Previewer = (*Previewer)(nil)

// NewPreviewer returns a previewer whose child programs work in dir, a
// private folder (privtmp.Check: mode 0700, no link). There is no
// default: the system's temp folder is never used.
func NewPreviewer(dir string) (*Previewer, error) {
	if err := privtmp.Check(dir); err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	return &Previewer{dir: dir}, nil
}

// Preview rasterises page (from 0) of pdf at dpi and returns it as PNG.
// The kiosk shows these and the card printer gets the same pdftoppm
// raster at 300 dpi, so what the citizen sees is what prints.
//
// pdftoppm's own PNG output spends 80–90 % of its time in zlib at its
// default level (a KK at 150 dpi: ~310 ms, ~40 ms as PPM); here the
// same pixels are encoded at png.BestSpeed, several times faster (see
// docs/performance.md). Errors are station.ErrRenderFailed.
func (p *Previewer) Preview(ctx context.Context, pdf []byte, page, dpi int) ([]byte, error) {
	if dpi < minDPI || dpi > maxDPI {
		return nil, station.ErrRenderFailed.Withf("preview: dpi %d outside [%d, %d]", dpi, minDPI, maxDPI)
	}
	if page < 0 {
		return nil, station.ErrRenderFailed.Withf("preview: page %d", page)
	}
	im, err := p.raster(ctx, pdf, page, dpi)
	if err != nil {
		return nil, err
	}
	return encodePNG(im)
}

// raster runs pdftoppm for one page, PDF in and PPM out through pipes.
func (p *Previewer) raster(ctx context.Context, pdf []byte, page, dpi int) (ppm.Image, error) {
	tool, err := exec.LookPath("pdftoppm")
	if err != nil {
		return ppm.Image{}, station.ErrRenderFailed.Withf("preview: pdftoppm not found (apt-get install poppler-utils): %v", err)
	}
	dir, err := privtmp.MkdirTemp(p.dir, "preview-")
	if err != nil {
		return ppm.Image{}, station.ErrRenderFailed.With(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := fmt.Sprint(page + 1)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, tool, "-r", fmt.Sprint(dpi), "-f", n, "-l", n, "-")
	cmd.Dir = dir
	cmd.Env = privtmp.Env(os.Environ(), dir)
	cmd.Stdin = bytes.NewReader(pdf)
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return ppm.Image{}, station.ErrRenderFailed.With(err)
	}
	if err := cmd.Start(); err != nil {
		return ppm.Image{}, station.ErrRenderFailed.Withf("preview: pdftoppm: %v", err)
	}
	// No template's page is larger than maxPageMM a side: pdftoppm's
	// output is bounded before it is read.
	side := maxPageMM*dpi/25 + 1 // 25 < 25.4: a little room
	images, derr := ppm.Decode(out, 3*side*side)
	if derr != nil {
		cancel() // stop a runaway pdftoppm rather than drain it
	}
	werr := cmd.Wait()
	switch {
	case werr != nil:
		return ppm.Image{}, station.ErrRenderFailed.Withf("preview: pdftoppm page %d: %v: %s", page+1, werr, bytes.TrimSpace(stderr.Bytes()))
	case derr != nil:
		return ppm.Image{}, station.ErrRenderFailed.Withf("preview: page %d: %v", page+1, derr)
	case len(images) != 1:
		return ppm.Image{}, station.ErrRenderFailed.Withf("preview: pdftoppm wrote %d pages for page %d", len(images), page+1)
	}
	return images[0], nil
}

// pngEncoder trades some file size for speed; its buffers (zlib's
// window and tables, ~1 MB) are reused from one page to the next.
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &encoderPool{}}

type encoderPool struct{ pool sync.Pool }

func (p *encoderPool) Get() *png.EncoderBuffer {
	b, _ := p.pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *encoderPool) Put(b *png.EncoderBuffer) { p.pool.Put(b) }

// encodePNG encodes an RGB raster losslessly: the PNG holds pdftoppm's
// pixels exactly. A page with no colour (a KK: black on white) is encoded
// as grey, a third of the data, the same pixels.
func encodePNG(im ppm.Image) ([]byte, error) {
	var img image.Image
	r := image.Rect(0, 0, im.Width, im.Height)
	if isGray(im.Pix) {
		g := image.NewGray(r)
		for i, k := 0, 0; i < len(im.Pix); i, k = i+3, k+1 {
			g.Pix[k] = im.Pix[i]
		}
		img = g
	} else {
		rgba := image.NewRGBA(r)
		for i, j := 0, 0; i < len(im.Pix); i, j = i+3, j+4 {
			rgba.Pix[j], rgba.Pix[j+1], rgba.Pix[j+2], rgba.Pix[j+3] = im.Pix[i], im.Pix[i+1], im.Pix[i+2], 0xff
		}
		img = rgba
	}
	var b bytes.Buffer
	if err := pngEncoder.Encode(&b, img); err != nil {
		return nil, station.ErrRenderFailed.With(err)
	}
	return b.Bytes(), nil
}

// isGray reports whether every RGB pixel of pix is grey.
func isGray(pix []byte) bool {
	for i := 0; i+2 < len(pix); i += 3 {
		if pix[i] != pix[i+1] || pix[i] != pix[i+2] {
			return false
		}
	}
	return true
}
