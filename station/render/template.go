package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/anjungan/anjungan/station"
)

// TemplateError is why a template file was refused when loaded: the file,
// the JSON path of the offending value (e.g. "elements[3].field"), the line
// it starts on (0 when unknown) and the reason.
type TemplateError struct {
	File string
	Path string
	Line int
	Err  error
}

func (e *TemplateError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Path != "" {
		b.WriteString(": " + e.Path)
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

func (e *TemplateError) Unwrap() error { return e.Err }

// Limits that keep a broken or hostile template from asking for absurd
// work. They are far above anything a card or A4 page needs.
const (
	maxTemplateBytes = 1 << 20
	maxPageMM        = 1000
	maxFontPt        = 144
	maxElements      = 1000
	maxTableRows     = 100
	maxColumns       = 40
	epsilonMM        = 0.01 // tolerance when checking that boxes lie on the page
)

// page is one page of one document: a loaded, validated template file.
type page struct {
	file     string
	document station.DocumentType
	side     string
	width    float64 // mm
	height   float64 // mm
	when     condition
	sideLine int
	hasQR    bool
	elements []element
}

// sides lists the sides in the order their pages appear in a PDF.
func sides() []string { return []string{"front", "back"} }

// rawElement is one undecoded element and where it starts in the file.
type rawElement struct {
	data  json.RawMessage
	start int // byte offset
}

// templateFile is a template file split at its top-level keys.
type templateFile struct {
	document string
	side     string
	page     *struct {
		Width  float64 `json:"width"`
		Height float64 `json:"height"`
	}
	when     condition
	elements []rawElement
	lines    map[string]int // line of each top-level key
}

// scanTemplate splits a template file into its top-level keys and its
// undecoded elements, keeping where each starts so that errors can name a
// line. Unknown and duplicate keys are errors.
func scanTemplate(data []byte) (*templateFile, *TemplateError) {
	fail := func(path string, line int, err error) *TemplateError {
		return &TemplateError{Path: path, Line: line, Err: err}
	}
	// A full syntax check first: the decoder below then only meets
	// well-formed JSON, and a syntax error carries an offset into the file.
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fail("", lineAt(data, int(se.Offset)), err)
		}
		return nil, fail("", 0, err)
	}
	f := &templateFile{lines: map[string]int{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fail("", 1, errors.New("a template is a JSON object"))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail("", 0, err)
		}
		key, _ := tok.(string)
		line := lineAt(data, int(dec.InputOffset()))
		if _, dup := f.lines[key]; dup {
			return nil, fail(key, line, errors.New("duplicate key"))
		}
		f.lines[key] = line
		switch key {
		case "document":
			err = dec.Decode(&f.document)
		case "side":
			err = dec.Decode(&f.side)
		case "page":
			err = dec.Decode(&f.page)
		case "when":
			err = dec.Decode(&f.when)
		case "elements":
			err = scanElements(dec, data, f)
		default:
			err = fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			var te *TemplateError
			if errors.As(err, &te) {
				return nil, te
			}
			return nil, fail(key, line, err)
		}
	}
	return f, nil
}

// scanElements reads the elements array, keeping each element undecoded
// with its offset in the file.
func scanElements(dec *json.Decoder, data []byte, f *templateFile) error {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return errors.New("elements is a JSON array")
	}
	for dec.More() {
		if len(f.elements) == maxElements {
			return fmt.Errorf("more than %d elements", maxElements)
		}
		start := skipSeparators(data, int(dec.InputOffset()))
		var r json.RawMessage
		if err := dec.Decode(&r); err != nil {
			return &TemplateError{Path: fmt.Sprintf("elements[%d]", len(f.elements)), Line: lineAt(data, start), Err: err}
		}
		f.elements = append(f.elements, rawElement{data: r, start: start})
	}
	_, err := dec.Token() // ]
	return err
}

// parseTemplate decodes and validates one template file. c measures text
// for the checks that need font metrics (labels and table headers must
// fit their boxes).
func parseTemplate(file string, data []byte, c *canvas) (*page, error) {
	fail := func(path string, line int, err error) error {
		return &TemplateError{File: file, Path: path, Line: line, Err: err}
	}
	if len(data) > maxTemplateBytes {
		return nil, fail("", 0, fmt.Errorf("file is %d bytes, more than %d", len(data), maxTemplateBytes))
	}
	f, te := scanTemplate(data)
	if te != nil {
		te.File = file
		return nil, te
	}
	p := &page{file: file, document: station.DocumentType(f.document), side: f.side}
	schema, ok := SchemaOf(p.document)
	switch {
	case !ok:
		return nil, fail("document", f.lines["document"], fmt.Errorf("unknown document type %q (want one of %v)", f.document, station.DocumentTypes()))
	case !slices.Contains(sides(), p.side):
		return nil, fail("side", f.lines["side"], fmt.Errorf("unknown side %q (want one of %v)", p.side, sides()))
	case f.page == nil:
		return nil, fail("page", 0, errors.New("page size is required"))
	case !(f.page.Width > 0 && f.page.Width <= maxPageMM && f.page.Height > 0 && f.page.Height <= maxPageMM):
		return nil, fail("page", f.lines["page"], fmt.Errorf("width and height must be in (0, %d] mm", maxPageMM))
	}
	p.width, p.height = f.page.Width, f.page.Height
	p.sideLine = f.lines["side"]
	if err := f.when.validate(schema); err != nil {
		return nil, fail("when", f.lines["when"], err)
	}
	p.when = f.when

	for i, r := range f.elements {
		path := fmt.Sprintf("elements[%d]", i)
		el, err := decodeElement(r.data, schema)
		if err != nil {
			line := lineAt(data, r.start)
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				line = lineAt(data, r.start+int(te.Offset))
				if f := jsonPath(te.Field); f != "" {
					path += "." + f
				}
			}
			var fe *fieldError
			if errors.As(err, &fe) {
				path += "." + fe.path
				err = fe.err
			}
			return nil, fail(path, line, err)
		}
		if err := el.bounds().within(p.width, p.height); err != nil {
			return nil, fail(path, lineAt(data, r.start), err)
		}
		if err := el.check(c); err != nil {
			return nil, fail(path, lineAt(data, r.start), fmt.Errorf("%s: %w", el.describe(), err))
		}
		if _, ok := el.(*qrCode); ok {
			p.hasQR = true
		}
		p.elements = append(p.elements, el)
	}
	return p, nil
}

// decodeElement decodes one element by its kind, strictly: a key the kind
// does not have is an error, so a misspelt "requried" is not ignored.
func decodeElement(data json.RawMessage, s Schema) (element, error) {
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, err
	}
	var el element
	switch head.Kind {
	case "label":
		el = &label{}
	case "text":
		el = &text{}
	case "image":
		el = &picture{}
	case "line":
		el = &line{}
	case "rect":
		el = &rect{}
	case "table":
		el = &table{}
	case "qr":
		el = &qrCode{}
	default:
		return nil, &fieldError{path: "kind", err: fmt.Errorf("unknown element kind %q (want label, text, image, line, rect, table or qr)", head.Kind)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(el); err != nil {
		return nil, err
	}
	if err := el.validate(s); err != nil {
		return nil, err
	}
	return el, nil
}

// fieldError is a validation error about one key of an element.
type fieldError struct {
	path string
	err  error
}

func (e *fieldError) Error() string { return e.path + ": " + e.err.Error() }

func fieldErrorf(path, format string, args ...any) error {
	return &fieldError{path: path, err: fmt.Errorf(format, args...)}
}

// Font is a font reference in a template. Sizes are in points; MinSize is
// how far the shrink policy may go (0 means Size: no shrinking).
type Font struct {
	Family  string  `json:"family"`
	Style   string  `json:"style"` // "" or "B"
	Size    float64 `json:"size"`
	MinSize float64 `json:"min_size"`
}

func (f *Font) validate(path string) error {
	if !hasFont(f.Family, f.Style) {
		return fieldErrorf(path+".family", "unknown font %q style %q (have %v; styles \"\" and B)", f.Family, f.Style, fontFamilies())
	}
	if !(f.Size > 0 && f.Size <= maxFontPt) {
		return fieldErrorf(path+".size", "size must be in (0, %d] pt", maxFontPt)
	}
	if f.MinSize == 0 {
		f.MinSize = f.Size
	}
	if !(f.MinSize > 0 && f.MinSize <= f.Size) {
		return fieldErrorf(path+".min_size", "min_size must be in (0, size]")
	}
	return nil
}

// box is a rectangle on the page in millimetres from the top left corner.
type box struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

func (b box) validate() error {
	for _, c := range []struct {
		name string
		v    float64
	}{{"x", b.X}, {"y", b.Y}, {"w", b.W}, {"h", b.H}} {
		if c.v < 0 || c.v > maxPageMM {
			return fieldErrorf(c.name, "%s must be in [0, %d] mm", c.name, maxPageMM)
		}
	}
	if b.W == 0 || b.H == 0 {
		return fieldErrorf("w", "w and h must be positive")
	}
	return nil
}

func (b box) within(width, height float64) error {
	if b.X+b.W > width+epsilonMM || b.Y+b.H > height+epsilonMM {
		return fmt.Errorf("box %.2f,%.2f %.2f×%.2f mm extends past the %.2f×%.2f mm page", b.X, b.Y, b.W, b.H, width, height)
	}
	return nil
}

// Overflow is what happens when text does not fit its box at its size.
// Every policy ends in refusing: text is never clipped.
type Overflow string

// Overflow policies.
const (
	ShrinkWrap Overflow = "shrink-wrap" // shrink to min_size, then wrap, then refuse (the default)
	Shrink     Overflow = "shrink"      // shrink to min_size on one line, then refuse
	Fixed      Overflow = "fixed"       // refuse unless it fits at size on one line
)

// textStyle is how a text box is set: font, alignment and overflow.
type textStyle struct {
	Font     Font     `json:"font"`
	Align    string   `json:"align"`  // left (default), center, right
	VAlign   string   `json:"valign"` // top (default), middle
	Overflow Overflow `json:"overflow"`
}

func (s *textStyle) validate() error {
	if err := s.Font.validate("font"); err != nil {
		return err
	}
	switch s.Align {
	case "":
		s.Align = "left"
	case "left", "center", "right":
	default:
		return fieldErrorf("align", "unknown align %q (want left, center or right)", s.Align)
	}
	switch s.VAlign {
	case "":
		s.VAlign = "top"
	case "top", "middle":
	default:
		return fieldErrorf("valign", "unknown valign %q (want top or middle)", s.VAlign)
	}
	switch s.Overflow {
	case "":
		s.Overflow = ShrinkWrap
	case ShrinkWrap, Shrink, Fixed:
	default:
		return fieldErrorf("overflow", "unknown overflow %q (want shrink-wrap, shrink or fixed)", s.Overflow)
	}
	return nil
}

// placeholders returns the field names in a format string such as
// "{tempat_lahir}, {tanggal_lahir}".
func placeholders(format string) ([]string, error) {
	var names []string
	for rest := format; ; {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			return names, nil
		}
		if rest[i] == '}' {
			return nil, errors.New("unbalanced }")
		}
		j := strings.IndexAny(rest[i+1:], "{}")
		if j < 0 || rest[i+1+j] == '{' {
			return nil, errors.New("unbalanced {")
		}
		names = append(names, rest[i+1:i+1+j])
		rest = rest[i+1+j+1:]
	}
}

// jsonPath turns the field path of a json.UnmarshalTypeError into the
// path in the file: the embedded structs (box, textStyle) appear in it
// under their Go names, but their keys sit in the element itself.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	parts = slices.DeleteFunc(parts, func(p string) bool { return p == "box" || p == "textStyle" })
	return strings.Join(parts, ".")
}

// lineAt is the 1-based line of offset in data.
func lineAt(data []byte, offset int) int {
	offset = max(0, min(offset, len(data)))
	return 1 + bytes.Count(data[:offset], []byte{'\n'})
}

// skipSeparators moves offset past the white space and comma the decoder
// leaves before the next array value.
func skipSeparators(data []byte, offset int) int {
	for offset < len(data) && strings.IndexByte(" \t\r\n,", data[offset]) >= 0 {
		offset++
	}
	return offset
}
