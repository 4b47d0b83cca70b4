package render

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
)

// fontFile is one typeface in one style, as a template names it, and the
// base name of its files under fonts/ in the templates' file system.
type fontFile struct {
	family, style, base string
}

// fontFiles are the fonts documents are set in: DejaVu Sans (Bitstream
// Vera licence, see templates/fonts/LICENSE), embedded in every PDF.
//
// Each was prepared once from the TrueType file beside it: subset to the
// Windows-1252 characters with pyftsubset, then turned into an fpdf font
// definition (.json: widths and descriptor) and a zlib-compressed font
// program (.z) with fpdf.MakeFont; TestFontFilesCurrent checks them and
// `go test ./station/render -run TestFontFilesCurrent -update-fonts`
// remakes them. Loading such a font is a small JSON decode and no
// TrueType parsing, which keeps a whole card near 1 ms (fpdf's UTF-8 path
// parses and subsets the TrueType file on every render).
var fontFiles = []fontFile{
	{"sans", "", "DejaVuSans"},
	{"sans", "B", "DejaVuSans-Bold"},
}

// fontDir is where the font files sit in the templates' file system.
const fontDir = "fonts"

// fontSet is the typefaces documents are set in, loaded once by New, and
// the encoding text must be in to use them: Windows-1252, the code page
// the fonts were prepared for.
type fontSet struct {
	defs []fontData // in fontFiles order
	cp   map[rune]byte
}

type fontData struct {
	fontFile
	json, z []byte
}

// loadFonts reads every font of fontFiles from fsys.
func loadFonts(fsys fs.FS) (fontSet, error) {
	var s fontSet
	for _, f := range fontFiles {
		j, err := fs.ReadFile(fsys, fontDir+"/"+f.base+".json")
		if err != nil {
			return fontSet{}, fmt.Errorf("font %s: %w", f.base, err)
		}
		z, err := fs.ReadFile(fsys, fontDir+"/"+f.base+".z")
		if err != nil {
			return fontSet{}, fmt.Errorf("font %s: %w", f.base, err)
		}
		s.defs = append(s.defs, fontData{fontFile: f, json: j, z: z})
	}
	s.cp = cp1252()
	return s, nil
}

// cp1252 maps the runes Windows-1252 holds to its bytes: ASCII, the
// Latin-1 range U+00A0–U+00FF as itself, and the 27 characters of
// 0x80–0x9F. It is built once per Renderer rather than taken from fpdf,
// whose translator parses its table with fmt.Sscanf on every call of
// UnicodeTranslatorFromDescriptor (a sixth of a card's render time) and
// shares a buffer between calls. TestCP1252MatchesFpdf holds the two to
// the same table.
func cp1252() map[rune]byte {
	m := map[rune]byte{
		'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87,
		'ˆ': 0x88, '‰': 0x89, 'Š': 0x8A, '‹': 0x8B, 'Œ': 0x8C, 'Ž': 0x8E,
		'‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97,
		'˜': 0x98, '™': 0x99, 'š': 0x9A, '›': 0x9B, 'œ': 0x9C, 'ž': 0x9E, 'Ÿ': 0x9F,
	}
	for r := rune(0); r < 0x100; r++ {
		if r < 0x80 || r >= 0xA0 {
			m[r] = byte(r)
		}
	}
	return m
}

// fontFamilies are the family names templates may use.
func fontFamilies() []string {
	var fams []string
	for _, f := range fontFiles {
		if !slices.Contains(fams, f.family) {
			fams = append(fams, f.family)
		}
	}
	return fams
}

// hasFont reports whether family exists in style ("" or "B").
func hasFont(family, style string) bool {
	return slices.ContainsFunc(fontFiles, func(f fontFile) bool { return f.family == family && f.style == style })
}

// encoder turns UTF-8 text into the bytes the fonts draw, or explains
// which character cannot be drawn (never the text itself: it is personal
// data).
type encoder func(s string) (string, error)

// prepare registers the fonts with pdf and returns the encoder for them.
func (s fontSet) prepare(pdf *fpdf.Fpdf) (encoder, error) {
	for _, f := range s.defs {
		pdf.AddFontFromBytes(f.family, f.style, f.json, f.z)
	}
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("load fonts: %w", err)
	}
	return s.encode, nil
}

// encode turns s into Windows-1252, one byte per rune. Control
// characters and runes outside the code page are a *CharsetError.
func (s fontSet) encode(str string) (string, error) {
	out := make([]byte, 0, len(str))
	pos := 0
	for i, r := range str {
		pos++
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(str[i:]); size <= 1 {
				return "", fmt.Errorf("invalid UTF-8 at character %d", pos)
			}
		}
		b, ok := s.cp[r]
		// A soft hyphen is invisible in text but fpdf prints it as a
		// hyphen; the decoder drops it upstream, and here it is refused.
		if !ok || r < 0x20 || r == 0x7f || r == softHyphen {
			return "", &CharsetError{Pos: pos, Rune: r}
		}
		out = append(out, b)
	}
	return string(out), nil
}

// CharsetError reports a character the fonts cannot draw. It names the
// code point and its position, which lets an officer find the cause
// without the value itself reaching the log; the renderer wraps it in a
// station.ErrRenderFailed whose cause also names the field.
type CharsetError struct {
	Field string // the document field, or row field, that holds it ("" in a label)
	Pos   int    // 1-based, in characters
	Rune  rune
}

// inField records which field the text of a CharsetError came from.
func inField(err error, field string) error {
	var ce *CharsetError
	if errors.As(err, &ce) && ce.Field == "" {
		ce.Field = field
	}
	return err
}

// softHyphen (U+00AD) is in Windows-1252 but is refused: see encode.
const softHyphen = '\u00AD'

func (e *CharsetError) Error() string {
	if e.Rune == softHyphen {
		return fmt.Sprintf("character %d (U+00AD, soft hyphen) would print as a visible hyphen", e.Pos)
	}
	return fmt.Sprintf("character %d (U+%04X) is outside the supported set (Windows-1252)", e.Pos, e.Rune)
}
