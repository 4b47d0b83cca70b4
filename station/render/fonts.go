package render

import (
	"fmt"
	"slices"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
)

// fontSet is the typefaces documents are set in and the encoding text
// must be in to use them. This foundation uses fpdf's core fonts, whose
// metrics are built into fpdf and which cost nothing to load, with the
// Windows-1252 code page. Moving to embedded open-licence fonts changes
// this file only: the set of families, prepare (register the font files)
// and the encoder.
type fontSet struct{}

// families are the core font families, by the name templates use.
func (fontSet) families() []string { return []string{"helvetica", "times", "courier"} }

// has reports whether the set has family in style ("", "B", "I" or "BI").
func (s fontSet) has(family, style string) bool {
	switch style {
	case "", "B", "I", "BI":
	default:
		return false
	}
	return slices.Contains(s.families(), family)
}

// encoder turns UTF-8 text into the bytes the fonts draw, or explains
// which character cannot be drawn (never the text itself: it is personal
// data).
type encoder func(s string) (string, error)

// prepare readies pdf to draw with the set and returns the encoder for it.
// The encoder belongs to pdf: fpdf's translator reuses a buffer, so it is
// not shared between renders.
func (fontSet) prepare(pdf *fpdf.Fpdf) (encoder, error) {
	translate := pdf.UnicodeTranslatorFromDescriptor("cp1252")
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("load cp1252 map: %w", err)
	}
	return func(s string) (string, error) {
		out := translate(s) // one byte per rune; '.' for a rune it cannot map
		pos := 0
		for i, r := range s {
			bad := r < 0x20 || r == 0x7f || (r >= 0x80 && out[pos] == '.')
			if r == utf8.RuneError {
				if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
					return "", fmt.Errorf("invalid UTF-8 at character %d", pos+1)
				}
			}
			if bad {
				return "", &charsetError{Pos: pos + 1, Rune: r}
			}
			pos++
		}
		return out, nil
	}, nil
}

// charsetError reports a character the fonts cannot draw. It names the
// code point and its position, which lets an officer find the cause
// without the value itself reaching the log.
type charsetError struct {
	Pos  int // 1-based, in characters
	Rune rune
}

func (e *charsetError) Error() string {
	return fmt.Sprintf("character %d (U+%04X) is outside the supported set (Windows-1252)", e.Pos, e.Rune)
}
