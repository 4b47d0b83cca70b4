package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"github.com/anjungan/anjungan/internal/privtmp"
	"github.com/anjungan/anjungan/station"
)

// Raster resolutions Preview accepts: a kiosk preview needs ~100 dpi, a
// card printer 300 dpi.
const (
	minDPI = 36
	maxDPI = 1200
)

// Previewer rasterises PDFs with poppler's pdftoppm. Its temporary files
// (the PDF's copy and the page images: a citizen's document) live in a
// private folder of the station's data folder, which the station empties
// at start-up, so a crash mid-preview leaves nothing in TMPDIR.
type Previewer struct {
	dir string
}

var _ station.Previewer = (*Previewer)(nil)

// NewPreviewer returns a previewer whose temporary files go in dir, a
// private folder (privtmp.Check: mode 0700, no link). There is no
// default: the system's temp folder is never used.
func NewPreviewer(dir string) (*Previewer, error) {
	if err := privtmp.Check(dir); err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	return &Previewer{dir: dir}, nil
}

// Preview rasterises every page of pdf at dpi and returns one PNG per
// page, in order. The kiosk shows these and the card printer gets the
// same path at 300 dpi, so what the citizen sees is what prints. Errors
// are station.ErrRenderFailed.
func (p *Previewer) Preview(ctx context.Context, pdf []byte, dpi int) ([][]byte, error) {
	if dpi < minDPI || dpi > maxDPI {
		return nil, station.ErrRenderFailed.Withf("preview: dpi %d outside [%d, %d]", dpi, minDPI, maxDPI)
	}
	tool, err := exec.LookPath("pdftoppm")
	if err != nil {
		return nil, station.ErrRenderFailed.Withf("preview: pdftoppm not found (apt-get install poppler-utils): %v", err)
	}
	dir, err := privtmp.MkdirTemp(p.dir, "preview-")
	if err != nil {
		return nil, station.ErrRenderFailed.With(err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "doc.pdf")
	if err := privtmp.WriteFile(dir, "doc.pdf", pdf); err != nil {
		return nil, station.ErrRenderFailed.With(err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, tool, "-r", fmt.Sprint(dpi), "-png", in, filepath.Join(dir, "page"))
	cmd.Env = privtmp.Env(os.Environ(), dir)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, station.ErrRenderFailed.Withf("preview: pdftoppm: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	if err := privtmp.Restrict(dir); err != nil {
		return nil, station.ErrRenderFailed.With(err)
	}
	// pdftoppm names pages page-1.png, or page-01.png when there are ten
	// or more: the names sort in page order either way.
	names, err := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if err != nil || len(names) == 0 {
		return nil, station.ErrRenderFailed.Withf("preview: pdftoppm wrote no page")
	}
	sort.Strings(names)
	pngs := make([][]byte, 0, len(names))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, station.ErrRenderFailed.With(err)
		}
		pngs = append(pngs, b)
	}
	return pngs, nil
}
