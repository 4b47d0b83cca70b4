package render

import (
	"errors"
	"fmt"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/anjungan/anjungan/station"
)

// QR geometry: a printed code needs a quiet zone of 4 modules on every
// side and modules of at least 0.5 mm to scan reliably off a card.
const (
	qrQuietModules = 4
	qrMinModuleMM  = 0.5
	qrMinModules   = 21 // version 1
)

// qrCode draws the document's signed QR (Document.QR, made by the
// upstream: see station/docqr) as vector
// rectangles, scaled to fill a size×size mm square that includes the
// quiet zone.
type qrCode struct {
	Kind string  `json:"kind"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	Size float64 `json:"size"` // mm, quiet zone included
	placement
}

func (q *qrCode) validate(Schema) error {
	if err := (box{X: q.X, Y: q.Y, W: q.Size, H: q.Size}).validate(); err != nil {
		return err
	}
	if min := float64(qrMinModules+2*qrQuietModules) * qrMinModuleMM; q.Size < min {
		return fieldErrorf("size", "a QR needs at least %.1f mm (%d modules of %.1f mm with the quiet zone)", min, qrMinModules+2*qrQuietModules, qrMinModuleMM)
	}
	return nil
}

func (q *qrCode) bounds() box         { return box{X: q.X, Y: q.Y, W: q.Size, H: q.Size} }
func (q *qrCode) describe() string    { return "qr" }
func (q *qrCode) check(*canvas) error { return nil }

func (q *qrCode) draw(c *canvas, d *station.Document) error {
	// The upstream's text, verbatim: the kiosk checked it and never signs.
	if d.QR == "" {
		return errors.New("the document carries no upstream QR")
	}
	code, err := qrcode.New(d.QR, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("QR encode: %w", err)
	}
	code.DisableBorder = true // the drawing adds its own quiet zone
	bm := code.Bitmap()
	n := len(bm)
	module := q.Size / float64(n+2*qrQuietModules)
	if module < qrMinModuleMM {
		return fmt.Errorf("a QR of %d modules needs a %.1f mm box, it has %.1f mm", n,
			float64(n+2*qrQuietModules)*qrMinModuleMM, q.Size)
	}
	pdf := c.pdf
	// The quiet zone is white whatever the template draws below it.
	pdf.SetFillColor(255, 255, 255)
	pdf.Rect(q.X, q.Y, q.Size, q.Size, "F")
	pdf.SetFillColor(0, 0, 0)
	x0 := q.X + qrQuietModules*module
	y0 := q.Y + qrQuietModules*module
	// One rectangle per horizontal run of dark modules: far fewer
	// drawing operators than one per module.
	for y, row := range bm {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < n && row[x] {
				x++
			}
			pdf.Rect(x0+float64(start)*module, y0+float64(y)*module, float64(x-start)*module, module, "F")
		}
	}
	return pdf.Error()
}
