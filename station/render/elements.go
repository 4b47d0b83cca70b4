package render

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/anjungan/anjungan/station"
)

// element is one thing a template draws.
type element interface {
	// validate checks the element against the document's schema when the
	// template is loaded, and fills in defaults.
	validate(s Schema) error
	// bounds is the area the element covers, to check it lies on the page.
	bounds() box
	// check runs the load-time checks that need font metrics: static text
	// (labels, table headers) must fit its box.
	check(c *canvas) error
	// draw puts the element on the current page.
	draw(c *canvas, d *station.Document) error
	// describe names the element in errors, without any document data.
	describe() string
}

// defaultLineWidth is the stroke width of lines, rectangles and table
// rules when the template gives none, in mm.
const defaultLineWidth = 0.2

// label is static text: "PROVINSI", "NIK", "Nama".
type label struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
	box
	textStyle
}

func (l *label) validate(Schema) error {
	if l.Text == "" {
		return fieldErrorf("text", "a label needs text")
	}
	if err := l.box.validate(); err != nil {
		return err
	}
	return l.textStyle.validate()
}

func (l *label) bounds() box      { return l.box }
func (l *label) describe() string { return fmt.Sprintf("label %q", l.Text) }
func (l *label) check(c *canvas) error {
	_, err := c.layout(l.textStyle, l.box, l.Text)
	return err
}

func (l *label) draw(c *canvas, _ *station.Document) error {
	_, err := c.text(l.textStyle, l.box, l.Text)
	return err
}

// text is a document field, or several in a format such as
// "{tempat_lahir}, {tanggal_lahir}".
type text struct {
	Kind     string `json:"kind"`
	Field    string `json:"field"`
	Format   string `json:"format"`
	Optional bool   `json:"optional"` // a missing field prints as empty instead of failing
	Mask     bool   `json:"mask"`     // the kiosk covers it in the preview
	box
	textStyle
	names []string // the fields used
}

func (t *text) validate(s Schema) error {
	switch {
	case t.Field != "" && t.Format != "":
		return fieldErrorf("field", "give field or format, not both")
	case t.Field != "":
		t.names = []string{t.Field}
	case t.Format != "":
		names, err := placeholders(t.Format)
		if err != nil {
			return fieldErrorf("format", "%v", err)
		}
		if len(names) == 0 {
			return fieldErrorf("format", "format names no field; use a label for static text")
		}
		t.names = names
	default:
		return fieldErrorf("field", "a text element needs field or format")
	}
	path := "field"
	if t.Format != "" {
		path = "format"
	}
	for _, n := range t.names {
		if !slices.Contains(s.Fields, n) {
			return fieldErrorf(path, "unknown field %q (fields: %s)", n, strings.Join(s.Fields, ", "))
		}
	}
	if err := t.box.validate(); err != nil {
		return err
	}
	if err := t.textStyle.validate(); err != nil {
		return err
	}
	for _, n := range t.names {
		if slices.Contains(s.Masked, n) && !t.Mask {
			return fieldErrorf("mask", "field %q identifies the citizen: the preview must cover it (\"mask\": true)", n)
		}
	}
	return nil
}

func (t *text) bounds() box { return t.box }
func (t *text) describe() string {
	if t.Field != "" {
		return fmt.Sprintf("text field %q", t.Field)
	}
	return fmt.Sprintf("text format %q", t.Format)
}
func (t *text) check(*canvas) error { return nil }

func (t *text) draw(c *canvas, d *station.Document) error {
	format := t.Format
	if t.Field != "" {
		format = "{" + t.Field + "}"
	}
	// One pass over the format: a value that itself looks like
	// "{field}" is printed as it is, never expanded.
	var b strings.Builder
	for rest := format; rest != ""; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest, '}') // validated: after i, no { between
		name := rest[i+1 : j]
		v, ok := d.Fields[name]
		if !ok && !t.Optional {
			return fmt.Errorf("field %q is missing", name)
		}
		b.WriteString(rest[:i])
		b.WriteString(v)
		rest = rest[j+1:]
	}
	// A character error names the field; with a format of several
	// fields, the whole format.
	field := t.Field
	if field == "" {
		field = t.Format
	}
	laid, err := c.text(t.textStyle, t.box, b.String())
	if err != nil {
		return inField(err, field)
	}
	if t.Mask {
		c.mask(laid)
	}
	return nil
}

// picture is an image from Document.Images (photo, signature), scaled to
// fit its box with its aspect ratio kept, centred.
type picture struct {
	Kind     string `json:"kind"`
	Image    string `json:"image"`
	Required bool   `json:"required"`
	box
}

func (im *picture) validate(s Schema) error {
	if !slices.Contains(s.Images, im.Image) {
		return fieldErrorf("image", "unknown image %q (images: %s)", im.Image, strings.Join(s.Images, ", "))
	}
	return im.box.validate()
}

func (im *picture) bounds() box         { return im.box }
func (im *picture) describe() string    { return fmt.Sprintf("image %q", im.Image) }
func (im *picture) check(*canvas) error { return nil }
func (im *picture) draw(c *canvas, d *station.Document) error {
	data := d.Images[im.Image]
	if len(data) == 0 {
		if im.Required {
			return errors.New("required image is missing")
		}
		return nil
	}
	return c.image(im.box, data)
}

// line is a straight rule.
type line struct {
	Kind  string  `json:"kind"`
	X1    float64 `json:"x1"`
	Y1    float64 `json:"y1"`
	X2    float64 `json:"x2"`
	Y2    float64 `json:"y2"`
	Width float64 `json:"width"` // stroke, mm
}

func (l *line) validate(Schema) error {
	for _, c := range []struct {
		name string
		v    float64
	}{{"x1", l.X1}, {"y1", l.Y1}, {"x2", l.X2}, {"y2", l.Y2}} {
		if c.v < 0 || c.v > maxPageMM {
			return fieldErrorf(c.name, "%s must be in [0, %d] mm", c.name, maxPageMM)
		}
	}
	return validateStroke("width", &l.Width)
}

func (l *line) bounds() box {
	return box{X: min(l.X1, l.X2), Y: min(l.Y1, l.Y2), W: abs(l.X2 - l.X1), H: abs(l.Y2 - l.Y1)}
}
func (l *line) describe() string    { return "line" }
func (l *line) check(*canvas) error { return nil }
func (l *line) draw(c *canvas, _ *station.Document) error {
	c.pdf.SetLineWidth(l.Width)
	c.pdf.Line(l.X1, l.Y1, l.X2, l.Y2)
	return nil
}

// rect is an outlined rectangle.
type rect struct {
	Kind  string  `json:"kind"`
	Width float64 `json:"width"` // stroke, mm
	box
}

func (r *rect) validate(Schema) error {
	if err := r.box.validate(); err != nil {
		return err
	}
	return validateStroke("width", &r.Width)
}

func (r *rect) bounds() box         { return r.box }
func (r *rect) describe() string    { return "rect" }
func (r *rect) check(*canvas) error { return nil }
func (r *rect) draw(c *canvas, _ *station.Document) error {
	c.pdf.SetLineWidth(r.Width)
	c.pdf.Rect(r.X, r.Y, r.W, r.H, "D")
	return nil
}

func validateStroke(path string, w *float64) error {
	switch {
	case *w == 0:
		*w = defaultLineWidth
	case *w < 0 || *w > 10:
		return fieldErrorf(path, "stroke width must be in (0, 10] mm")
	}
	return nil
}

// table is a grid bound to Document.Rows: a header row, then one row per
// entry, up to max_rows. More rows than that is an error, not a second
// page: the template decides how many members a page holds.
type table struct {
	Kind         string   `json:"kind"`
	X            float64  `json:"x"`
	Y            float64  `json:"y"`
	HeaderHeight float64  `json:"header_height"`
	RowHeight    float64  `json:"row_height"`
	MaxRows      int      `json:"max_rows"`
	Padding      float64  `json:"padding"` // inside each cell, left and right, mm
	LineWidth    float64  `json:"line_width"`
	Font         Font     `json:"font"`
	HeaderFont   Font     `json:"header_font"`
	Overflow     Overflow `json:"overflow"`
	Columns      []column `json:"columns"`
}

// column is one column of a table.
type column struct {
	Field    string  `json:"field"` // a row field, or RowNumber
	Header   string  `json:"header"`
	Width    float64 `json:"width"`
	Align    string  `json:"align"`
	Optional bool    `json:"optional"`
	Mask     bool    `json:"mask"` // the kiosk covers its cells in the preview
}

func (t *table) validate(s Schema) error {
	if len(s.RowFields) == 0 {
		return fieldErrorf("kind", "this document type has no rows for a table")
	}
	if t.X < 0 || t.Y < 0 || t.X > maxPageMM || t.Y > maxPageMM {
		return fieldErrorf("x", "x and y must be in [0, %d] mm", maxPageMM)
	}
	if !(t.HeaderHeight > 0 && t.HeaderHeight <= maxPageMM && t.RowHeight > 0 && t.RowHeight <= maxPageMM) {
		return fieldErrorf("row_height", "header_height and row_height must be positive")
	}
	if t.MaxRows < 1 || t.MaxRows > maxTableRows {
		return fieldErrorf("max_rows", "max_rows must be in [1, %d]", maxTableRows)
	}
	if t.Padding < 0 || t.Padding > 10 {
		return fieldErrorf("padding", "padding must be in [0, 10] mm")
	}
	if err := validateStroke("line_width", &t.LineWidth); err != nil {
		return err
	}
	if err := t.Font.validate("font"); err != nil {
		return err
	}
	if err := t.HeaderFont.validate("header_font"); err != nil {
		return err
	}
	switch t.Overflow {
	case "":
		t.Overflow = ShrinkWrap
	case ShrinkWrap, Shrink, Fixed:
	default:
		return fieldErrorf("overflow", "unknown overflow %q (want shrink-wrap, shrink or fixed)", t.Overflow)
	}
	if len(t.Columns) == 0 || len(t.Columns) > maxColumns {
		return fieldErrorf("columns", "a table needs 1 to %d columns", maxColumns)
	}
	for i := range t.Columns {
		col := &t.Columns[i]
		path := "columns[" + strconv.Itoa(i) + "]"
		if col.Field != RowNumber && !slices.Contains(s.RowFields, col.Field) {
			return fieldErrorf(path+".field", "unknown row field %q (row fields: %s, %s)", col.Field, RowNumber, strings.Join(s.RowFields, ", "))
		}
		if slices.Contains(s.Masked, col.Field) && !col.Mask {
			return fieldErrorf(path+".mask", "row field %q identifies a family member: the preview must cover it (\"mask\": true)", col.Field)
		}
		if !(col.Width > 0 && col.Width <= maxPageMM) || col.Width <= 2*t.Padding {
			return fieldErrorf(path+".width", "width must be positive and wider than the padding")
		}
		switch col.Align {
		case "":
			col.Align = "left"
		case "left", "center", "right":
		default:
			return fieldErrorf(path+".align", "unknown align %q (want left, center or right)", col.Align)
		}
	}
	return nil
}

func (t *table) width() float64 {
	w := 0.0
	for _, c := range t.Columns {
		w += c.Width
	}
	return w
}

func (t *table) bounds() box {
	return box{X: t.X, Y: t.Y, W: t.width(), H: t.HeaderHeight + float64(t.MaxRows)*t.RowHeight}
}

func (t *table) describe() string { return "table" }

func (t *table) headerStyle() textStyle {
	return textStyle{Font: t.HeaderFont, Align: "center", VAlign: "middle", Overflow: ShrinkWrap}
}

// cell is the text box of a cell whose grid box is x, y, w, h.
func (t *table) cell(x, y, w, h float64) box {
	return box{X: x + t.Padding, Y: y, W: w - 2*t.Padding, H: h}
}

func (t *table) check(c *canvas) error {
	for i, col := range t.Columns {
		if _, err := c.layout(t.headerStyle(), t.cell(0, 0, col.Width, t.HeaderHeight), col.Header); err != nil {
			return fmt.Errorf("columns[%d] header: %w", i, err)
		}
	}
	return nil
}

func (t *table) draw(c *canvas, d *station.Document) error {
	if len(d.Rows) > t.MaxRows {
		return fmt.Errorf("%d rows, the template holds at most %d", len(d.Rows), t.MaxRows)
	}
	c.pdf.SetLineWidth(t.LineWidth)
	x := t.X
	for i, col := range t.Columns {
		c.pdf.Rect(x, t.Y, col.Width, t.HeaderHeight, "D")
		if _, err := c.text(t.headerStyle(), t.cell(x, t.Y, col.Width, t.HeaderHeight), col.Header); err != nil {
			return fmt.Errorf("columns[%d] header: %w", i, err)
		}
		x += col.Width
	}
	for r, row := range d.Rows {
		y := t.Y + t.HeaderHeight + float64(r)*t.RowHeight
		x := t.X
		for i, col := range t.Columns {
			v, ok := row[col.Field]
			if col.Field == RowNumber {
				v, ok = strconv.Itoa(r+1), true
			}
			if !ok && !col.Optional {
				return fmt.Errorf("row %d: field %q is missing", r+1, col.Field)
			}
			style := textStyle{Font: t.Font, Align: col.Align, VAlign: "middle", Overflow: t.Overflow}
			c.pdf.Rect(x, y, col.Width, t.RowHeight, "D")
			laid, err := c.text(style, t.cell(x, y, col.Width, t.RowHeight), v)
			if err != nil {
				err = inField(err, col.Field)
				return fmt.Errorf("columns[%d] (field %q) row %d: %w", i, col.Field, r+1, err)
			}
			if col.Mask {
				c.mask(laid)
			}
			x += col.Width
		}
	}
	return nil
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
