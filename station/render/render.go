// Package render turns a document's data into its one PDF, laid out by
// the declarative templates in templates/ (see docs/templates.md). The
// PDF is deterministic: the same document gives the same bytes, so its
// SHA-256 identifies what was printed.
package render

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	stdimage "image"
	_ "image/jpeg" // DecodeConfig of photos
	_ "image/png"  // DecodeConfig of photos and signatures
	"io/fs"
	"slices"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// ErrTemplateInvalid is returned by New when a template file is refused;
// its cause is a *TemplateError naming the file, the JSON path and line.
var ErrTemplateInvalid = fault.New("template_invalid",
	"Templat dokumen tidak valid. Silakan hubungi petugas.",
	"A document template is not valid. Please ask an officer.")

// Limits on images, checked before fpdf decodes them.
const (
	maxImageBytes  = 4 << 20
	maxImagePixels = 4000 // per side
)

// Renderer renders documents with a set of templates and fonts loaded
// once. It is safe for concurrent use: every Render has its own PDF.
type Renderer struct {
	fonts fontSet
	pages map[station.DocumentType][]*page // sorted by side
}

var _ station.Renderer = (*Renderer)(nil)

// Option configures a Renderer.
type Option func(*Renderer)

// New loads and validates every *.json template at the root of fsys and
// the fonts under fonts/ (see templates.FS). A refused template makes New
// fail with ErrTemplateInvalid; a document type without a template is not
// an error here, but Render refuses it.
func New(fsys fs.FS, opts ...Option) (*Renderer, error) {
	r := &Renderer{pages: map[station.DocumentType][]*page{}}
	for _, o := range opts {
		o(r)
	}
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, ErrTemplateInvalid.With(err)
	}
	if len(names) == 0 {
		return nil, ErrTemplateInvalid.With(errors.New("no *.json templates"))
	}
	if r.fonts, err = loadFonts(fsys); err != nil {
		return nil, ErrTemplateInvalid.With(err)
	}
	c, err := newCanvas(r.fonts, fixedDate())
	if err != nil {
		return nil, ErrTemplateInvalid.With(err)
	}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, ErrTemplateInvalid.With(err)
		}
		p, err := parseTemplate(name, data, c)
		if err != nil {
			return nil, ErrTemplateInvalid.With(err)
		}
		for _, q := range r.pages[p.document] {
			if q.side == p.side && p.when.overlaps(q.when) {
				return nil, ErrTemplateInvalid.With(&TemplateError{File: name, Path: "side", Line: p.sideLine,
					Err: fmt.Errorf("%s %s %sis already defined by %s", p.document, p.side, p.when.describe(), q.file)})
			}
		}
		r.pages[p.document] = append(r.pages[p.document], p)
	}
	for _, pages := range r.pages {
		slices.SortStableFunc(pages, func(a, b *page) int {
			return slices.Index(sides(), a.side) - slices.Index(sides(), b.side)
		})
	}
	return r, nil
}

// choose returns the pages d is printed on: for each side, the one
// template whose condition d meets.
func (r *Renderer) choose(d station.Document) ([]*page, error) {
	var out []*page
	for _, side := range sides() {
		var defined bool
		var chosen *page
		for _, p := range r.pages[d.Type] {
			if p.side != side {
				continue
			}
			defined = true
			ok, err := p.when.matches(d)
			if err != nil {
				return nil, fmt.Errorf("%s: when: %w", p.file, err)
			}
			if ok {
				chosen = p
				break // conditions of one side never overlap
			}
		}
		switch {
		case chosen != nil:
			out = append(out, chosen)
		case defined:
			return nil, fmt.Errorf("no %s %s template applies to this document", d.Type, side)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no template for document type %q", d.Type)
	}
	return out, nil
}

// Render lays d out with its templates, one page per side, and returns
// the PDF. Errors are station.ErrRenderFailed with a cause that names the
// template, the element and the policy, never a value of d.
func (r *Renderer) Render(ctx context.Context, d station.Document) (station.Rendered, error) {
	pages, err := r.choose(d)
	if err != nil {
		return station.Rendered{}, station.ErrRenderFailed.With(err)
	}
	c, err := newCanvas(r.fonts, issueDate(d))
	if err != nil {
		return station.Rendered{}, station.ErrRenderFailed.With(err)
	}
	// A card's pages go out uncompressed: fpdf makes a new zlib writer
	// for each page, which cost a third of a card's render, while the
	// card grows by about 27 KB on its way to the local printerd. Paper
	// documents, with several pages of text, stay compressed.
	c.pdf.SetCompression(d.Type.Media() != printerd.MediaCard)
	c.pdf.SetTitle(d.Type.Title(), false)
	runs := make([]int, len(pages)) // pages each template runs to
	for i, p := range pages {
		if runs[i], err = p.sheets(&d); err != nil {
			return station.Rendered{}, station.ErrRenderFailed.With(err)
		}
		c.pageCount += runs[i]
	}
	for i, p := range pages {
		for k := range runs[i] {
			if err := ctx.Err(); err != nil {
				return station.Rendered{}, station.ErrRenderFailed.With(err)
			}
			c.pdf.AddPageFormat("P", fpdf.SizeType{Wd: p.width, Ht: p.height})
			c.page, c.width, c.height, c.sheet = c.pdf.PageNo()-1, p.width, p.height, k
			for j, el := range p.elements {
				if !el.shownOn(k, runs[i]) {
					continue
				}
				if err := el.draw(c, &d); err != nil {
					return station.Rendered{}, station.ErrRenderFailed.With(
						fmt.Errorf("%s: elements[%d] (%s): %w", p.file, j, el.describe(), err))
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := c.pdf.Output(&buf); err != nil {
		return station.Rendered{}, station.ErrRenderFailed.With(fmt.Errorf("write PDF: %w", err))
	}
	sum := sha256.Sum256(buf.Bytes())
	return station.Rendered{PDF: buf.Bytes(), SHA256: hex.EncodeToString(sum[:]), Pages: c.pageCount, Masks: c.masks}, nil
}

// sheets is how many pages p runs to for d: one, or as many as its
// longest table needs for d's rows.
func (p *page) sheets(d *station.Document) (int, error) {
	n := 1
	for i, el := range p.elements {
		if t, ok := el.(*table); ok {
			k, err := t.sheets(len(d.Rows))
			if err != nil {
				return 0, fmt.Errorf("%s: elements[%d] (%s): %w", p.file, i, t.describe(), err)
			}
			n = max(n, k)
		}
	}
	return n, nil
}

// pageField is the value of a page field (PageNumber, PageCount) on the
// current page, and false for any other name.
func (c *canvas) pageField(name string) (string, bool) {
	switch name {
	case PageNumber:
		return strconv.Itoa(c.page + 1), true
	case PageCount:
		return strconv.Itoa(c.pageCount), true
	}
	return "", false
}

// issueDate is the PDF's creation date: the document's tanggal_terbit
// (DD-MM-YYYY), so that the date is part of the data rather than of the
// moment of rendering; a fixed date when the field is absent or malformed.
func issueDate(d station.Document) time.Time {
	if t, err := time.Parse("02-01-2006", d.Fields["tanggal_terbit"]); err == nil {
		return t
	}
	return fixedDate()
}

func fixedDate() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }

// canvas is one PDF being drawn, with the encoder for its fonts.
type canvas struct {
	pdf *fpdf.Fpdf
	enc encoder

	page          int     // the current page, from 0
	pageCount     int     // pages in the PDF
	sheet         int     // the current page within its template's run, from 0
	width, height float64 // of the current page, mm
	masks         []station.Mask
	imageWidths   map[int]string // pixel width → the image registered with it
}

// newCanvas starts a PDF with everything that would make its bytes vary
// pinned: dates, catalogue order, producer.
func newCanvas(fonts fontSet, created time.Time) (*canvas, error) {
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", SizeStr: "A4"})
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetProducer("Anjungan", false)
	pdf.SetCreator("Anjungan", false)
	// Boxes in templates are exact: no margins, no cell padding, and never
	// a page break that would push text onto a page of its own.
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCellMargin(0)
	enc, err := fonts.prepare(pdf)
	if err != nil {
		return nil, err
	}
	return &canvas{pdf: pdf, enc: enc, imageWidths: map[int]string{}}, nil
}

func (c *canvas) measure(f Font) measureFunc {
	return func(size float64, s string) float64 {
		c.pdf.SetFont(f.Family, f.Style, size)
		return c.pdf.GetStringWidth(s)
	}
}

// layout encodes s for the fonts and fits it in b.
func (c *canvas) layout(st textStyle, b box, s string) (fitted, error) {
	enc, err := c.enc(s)
	if err != nil {
		return fitted{}, err
	}
	return fit(c.measure(st.Font), st.Font, st.Overflow, b.W, b.H, enc)
}

// laidOut is where text was drawn: the box around its lines, and its
// size in points.
type laidOut struct {
	box
	size float64
}

// text draws s in b, laid out by st, and returns where it went.
func (c *canvas) text(st textStyle, b box, s string) (laidOut, error) {
	f, err := c.layout(st, b, s)
	if err != nil {
		return laidOut{}, err
	}
	c.pdf.SetFont(st.Font.Family, st.Font.Style, f.size)
	lh := lineHeight(f.size)
	y := b.Y
	if st.VAlign == "middle" {
		y += (b.H - float64(len(f.lines))*lh) / 2
	}
	align := map[string]string{"left": "L", "center": "C", "right": "R"}[st.Align]
	widest := 0.0
	for i, ln := range f.lines {
		c.pdf.SetXY(b.X, y+float64(i)*lh)
		c.pdf.CellFormat(b.W, lh, ln, "", 0, align, false, 0, "")
		widest = max(widest, c.pdf.GetStringWidth(ln))
	}
	x := b.X
	switch st.Align {
	case "center":
		x += (b.W - widest) / 2
	case "right":
		x += b.W - widest
	}
	return laidOut{box: box{X: x, Y: y, W: widest, H: float64(len(f.lines)) * lh}, size: f.size}, c.pdf.Error()
}

// maskPad is how far a mask reaches beyond the lines of its text, as a
// fraction of the font size: accents on capitals and the antialiased
// edges of glyphs go a little past the line box.
const maskPad = 0.25

// mask records that the kiosk covers t in its preview. Empty text needs
// no cover.
func (c *canvas) mask(t laidOut) {
	if t.W <= 0 {
		return
	}
	pad := maskPad * t.size * mmPerPt
	x0, y0 := max(0, t.X-pad), max(0, t.Y-pad)
	x1, y1 := min(c.width, t.X+t.W+pad), min(c.height, t.Y+t.H+pad)
	c.masks = append(c.masks, station.Mask{Page: c.page,
		X: x0 / c.width, Y: y0 / c.height, W: (x1 - x0) / c.width, H: (y1 - y0) / c.height})
}

// image draws a PNG or JPEG scaled into b with its aspect ratio kept.
// It is registered under a name derived from its hash, so the PDF holds
// no name that varies between runs.
func (c *canvas) image(b box, data []byte) error {
	if len(data) > maxImageBytes {
		return fmt.Errorf("image is %d bytes, more than %d", len(data), maxImageBytes)
	}
	var kind string
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		kind = "PNG"
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		kind = "JPG"
	default:
		return errors.New("image is neither PNG nor JPEG")
	}
	// fpdf decodes whatever it is given; check the size first so a
	// hostile header cannot ask for gigabytes.
	cfg, _, err := stdimage.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s image: %w", kind, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxImagePixels || cfg.Height > maxImagePixels {
		return fmt.Errorf("%s image is %d×%d px, more than %d per side", kind, cfg.Width, cfg.Height, maxImagePixels)
	}
	sum := sha256.Sum256(data)
	name := "img-" + hex.EncodeToString(sum[:16])
	pad := 0
	if other, taken := c.imageWidths[cfg.Width]; taken && other != name {
		if data, pad, err = widen(data, cfg.Width, c.imageWidths); err != nil {
			return fmt.Errorf("%s image: %w", kind, err)
		}
		kind, name = "PNG", fmt.Sprintf("%s-pad%d", name, pad)
	}
	c.imageWidths[cfg.Width+pad] = name
	opt := fpdf.ImageOptions{ImageType: kind}
	info := c.pdf.RegisterImageOptionsReader(name, opt, bytes.NewReader(data))
	if err := c.pdf.Error(); err != nil {
		return fmt.Errorf("%s image: %w", kind, err)
	}
	iw, ih := info.Extent()
	iw *= float64(cfg.Width) / float64(cfg.Width+pad) // the columns shown
	scale := min(b.W/iw, b.H/ih)
	w, h := iw*scale, ih*scale
	x, y := b.X+(b.W-w)/2, b.Y+(b.H-h)/2
	if pad == 0 {
		c.pdf.ImageOptions(name, x, y, w, h, false, opt, 0, "")
		return c.pdf.Error()
	}
	// The padding columns fall right of the clip.
	c.pdf.ClipRect(x, y, w, h, false)
	c.pdf.ImageOptions(name, x, y, w*float64(cfg.Width+pad)/float64(cfg.Width), h, false, opt, 0, "")
	c.pdf.ClipEnd()
	return c.pdf.Error()
}
