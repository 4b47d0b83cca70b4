package report

import (
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// Sheet is an A4 portrait document set like the console's reports (the
// documents' DejaVu Sans, embedded; Windows-1252 text), for other
// reports to draw on: the fleet hub's monthly blank-card report uses it.
type Sheet struct{ p *page }

// NewSheet starts a document with its first page; at is its creation
// date (fixed, so the bytes are a function of the data).
func NewSheet(title string, at time.Time) (*Sheet, error) {
	p, err := newDoc(title, at)
	if err != nil {
		return nil, err
	}
	return &Sheet{p}, nil
}

// PDF is the document, to draw what the helpers below do not.
func (s *Sheet) PDF() *fpdf.Fpdf { return s.p.pdf }

// Tr turns UTF-8 text into the fonts' encoding.
func (s *Sheet) Tr(text string) string { return s.p.tr(text) }

// Text writes a line.
func (s *Sheet) Text(style string, size float64, text string) { s.p.text(style, size, text) }

// Heading writes a section heading.
func (s *Sheet) Heading(text string) { s.p.heading(text) }

// Width is the width inside the margins, in millimetres.
func (s *Sheet) Width() float64 { return contentW }

// Output returns the document's bytes, or the first error drawing it.
func (s *Sheet) Output() ([]byte, error) { return s.p.output() }
