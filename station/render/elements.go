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
	placed
}

// defaultLineWidth is the stroke width of lines, rectangles and table
// rules when the template gives none, in mm.
const defaultLineWidth = 0.2

// label is static text: "PROVINSI", "NIK", "Nama".
type label struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
	placement
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
	Required bool   `json:"required"` // a blank value (after trimming spaces) fails the render
	placement
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
		if !slices.Contains(s.Fields, n) && !isPageField(n) {
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
		if pv, isPage := c.pageField(name); isPage {
			v, ok = pv, true
		}
		if !ok && !t.Optional {
			return fmt.Errorf("field %q is missing", name)
		}
		if t.Required && strings.TrimSpace(v) == "" {
			return &BlankError{Field: name}
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
	placement
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
	placement
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
	placement
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
// entry, max_rows a page. When there are more rows, the whole template
// page repeats, up to max_pages times, each copy showing the next rows
// (see page.sheets); more rows than max_rows × max_pages is an error.
type table struct {
	Kind         string   `json:"kind"`
	X            float64  `json:"x"`
	Y            float64  `json:"y"`
	HeaderHeight float64  `json:"header_height"`
	RowHeight    float64  `json:"row_height"`
	MaxRows      int      `json:"max_rows"`  // rows on one page
	MaxPages     int      `json:"max_pages"` // pages the rows may continue on; default 1
	Padding      float64  `json:"padding"`   // inside each cell, left and right, mm
	LineWidth    float64  `json:"line_width"`
	Font         Font     `json:"font"`
	HeaderFont   Font     `json:"header_font"`
	Overflow     Overflow `json:"overflow"`
	Columns      []column `json:"columns"`
	placement
}

// column is one column of a table.
type column struct {
	Field    string  `json:"field"` // a row field, or RowNumber
	Header   string  `json:"header"`
	Width    float64 `json:"width"`
	Align    string  `json:"align"`
	Optional bool    `json:"optional"`
	Required bool    `json:"required"` // a blank cell (after trimming spaces) fails the render
	Mask     bool    `json:"mask"`     // the kiosk covers its cells in the preview
	// Group is a heading shared by adjacent columns with the same group
	// ("Nama Orang Tua" over "Ayah" and "Ibu"): it takes the upper half
	// of the header, their own headers the lower half.
	Group string `json:"group"`
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
	if t.MaxPages == 0 {
		t.MaxPages = 1
	}
	if t.MaxPages < 1 || t.MaxPages*t.MaxRows > maxTableRows {
		return fieldErrorf("max_pages", "max_pages must be at least 1, with max_rows × max_pages at most %d", maxTableRows)
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
		if col.Group != "" && i > 0 && t.Columns[i-1].Group != col.Group && slices.ContainsFunc(t.Columns[:i], func(c column) bool { return c.Group == col.Group }) {
			return fieldErrorf(path+".group", "the columns of group %q must be adjacent", col.Group)
		}
	}
	return nil
}

// sheets is how many pages n rows take.
func (t *table) sheets(n int) (int, error) {
	k := max(1, (n+t.MaxRows-1)/t.MaxRows)
	if k > t.MaxPages {
		return 0, fmt.Errorf("%d rows, the template holds at most %d", n, t.MaxRows*t.MaxPages)
	}
	return k, nil
}

// headerCell is one cell of the header: a column's own header, or a
// group's heading over its columns.
type headerCell struct {
	text   string
	column int // index of the column, or -1 for a group heading
	box
}

// headerCells lays out the header at x, y: without groups one row of
// cells; with groups, grouped columns split the header height between
// the group heading (upper half) and their own header.
func (t *table) headerCells(x, y float64) []headerCell {
	var cells []headerCell
	half := t.HeaderHeight / 2
	for i := 0; i < len(t.Columns); {
		col := t.Columns[i]
		if col.Group == "" {
			cells = append(cells, headerCell{col.Header, i, box{X: x, Y: y, W: col.Width, H: t.HeaderHeight}})
			x += col.Width
			i++
			continue
		}
		gx, gw := x, 0.0
		for ; i < len(t.Columns) && t.Columns[i].Group == col.Group; i++ {
			cells = append(cells, headerCell{t.Columns[i].Header, i, box{X: x, Y: y + half, W: t.Columns[i].Width, H: half}})
			x += t.Columns[i].Width
			gw += t.Columns[i].Width
		}
		cells = append(cells, headerCell{col.Group, -1, box{X: gx, Y: y, W: gw, H: half}})
	}
	return cells
}

func (h headerCell) describe() string {
	if h.column < 0 {
		return fmt.Sprintf("group %q header", h.text)
	}
	return fmt.Sprintf("columns[%d] header", h.column)
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
	for _, h := range t.headerCells(0, 0) {
		if _, err := c.layout(t.headerStyle(), t.cell(h.X, h.Y, h.W, h.H), h.text); err != nil {
			return fmt.Errorf("%s: %w", h.describe(), err)
		}
	}
	return nil
}

// draw draws the header and the rows of the current sheet: on the k-th
// page of a template's run, rows k×max_rows up to the next max_rows.
// Row numbers (no_urut) count from the first page.
func (t *table) draw(c *canvas, d *station.Document) error {
	if _, err := t.sheets(len(d.Rows)); err != nil {
		return err
	}
	c.pdf.SetLineWidth(t.LineWidth)
	for _, h := range t.headerCells(t.X, t.Y) {
		c.pdf.Rect(h.X, h.Y, h.W, h.H, "D")
		if _, err := c.text(t.headerStyle(), t.cell(h.X, h.Y, h.W, h.H), h.text); err != nil {
			return fmt.Errorf("%s: %w", h.describe(), err)
		}
	}
	first := c.sheet * t.MaxRows
	rows := d.Rows[min(first, len(d.Rows)):min(first+t.MaxRows, len(d.Rows))]
	for k, row := range rows {
		r := first + k
		y := t.Y + t.HeaderHeight + float64(k)*t.RowHeight
		x := t.X
		for i, col := range t.Columns {
			v, ok := row[col.Field]
			if col.Field == RowNumber {
				v, ok = strconv.Itoa(r+1), true
			}
			if !ok && !col.Optional {
				return fmt.Errorf("row %d: field %q is missing", r+1, col.Field)
			}
			if col.Required && strings.TrimSpace(v) == "" {
				return fmt.Errorf("columns[%d] row %d: %w", i, r+1, &BlankError{Field: col.Field})
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

// placement says on which pages of a template's run an element is
// drawn: "all" (the default), "first" or "last". A template page runs to
// several pages when its tables continue (see table.sheets).
type placement struct {
	On string `json:"on"`
}

func (p *placement) validatePlacement() error {
	switch p.On {
	case "":
		p.On = "all"
	case "all", "first", "last":
	default:
		return fieldErrorf("on", "unknown on %q (want all, first or last)", p.On)
	}
	return nil
}

// shownOn reports whether the element is drawn on sheet k of n.
func (p placement) shownOn(k, n int) bool {
	switch p.On {
	case "first":
		return k == 0
	case "last":
		return k == n-1
	}
	return true
}

// placed is every element: each embeds a placement.
type placed interface {
	validatePlacement() error
	shownOn(k, n int) bool
}

// Page fields are the names a text format may use besides the document's
// fields: the number of the page in the PDF and the number of pages.
const (
	PageNumber = "page_no"
	PageCount  = "page_count"
)

func isPageField(name string) bool { return name == PageNumber || name == PageCount }

// BlankError is a value that a template marks required but that is
// empty or only spaces. It names the field, never a value.
type BlankError struct {
	Field string
}

func (e *BlankError) Error() string {
	return fmt.Sprintf("field %q is required but blank", e.Field)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
