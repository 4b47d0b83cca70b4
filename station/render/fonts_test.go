package render

import (
	"errors"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

func TestEncoder(t *testing.T) {
	c, err := newCanvas(MustFonts(t), fixedDate())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		want string // "" with pos > 0: must fail
		pos  int
	}{
		{"BUDI SANTOSO", "BUDI SANTOSO", 0},
		{"JOSÉ", "JOS\xc9", 0},
		{"MA'RUF", "MA'RUF", 0},
		{"€ 5", "\x80 5", 0},
		{"ŒUVRE", "\x8cUVRE", 0},
		{"ŁUKASZ", "", 1},
		{"SITI 王", "", 6},
		{"A\tB", "", 2},
		{"A\x7fB", "", 2},
		{"A\u0081B", "", 2}, // a C1 control: cp1252 has no character there
	} {
		got, err := c.enc(tc.in)
		if tc.pos > 0 {
			var ce *CharsetError
			if !errors.As(err, &ce) || ce.Pos != tc.pos {
				t.Errorf("enc(%q) = %q, %v; want a charset error at %d", tc.in, got, err, tc.pos)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("enc(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := c.enc("AB\xff"); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}

// TestCP1252MatchesFpdf holds the encoder to fpdf's own cp1252 table,
// the one the font definitions were made with, over the whole BMP.
func TestCP1252MatchesFpdf(t *testing.T) {
	translate := fpdf.New("P", "mm", "A4", "").UnicodeTranslatorFromDescriptor("cp1252")
	fonts := MustFonts(t)
	for r := rune(0x20); r <= 0xFFFF; r++ {
		if r == 0x7f || (r >= 0xD800 && r <= 0xDFFF) {
			continue
		}
		if r == softHyphen { // in cp1252, refused on purpose
			if _, err := fonts.encode(string(r)); err == nil {
				t.Error("soft hyphen accepted")
			}
			continue
		}
		theirs := translate(string(r))
		theirsOK := r < 0x80 || theirs != "."
		ours, err := fonts.encode(string(r))
		if (err == nil) != theirsOK || (theirsOK && ours != theirs) {
			t.Errorf("U+%04X: ours %q (%v), fpdf's %q", r, ours, err, theirs)
		}
	}
}
