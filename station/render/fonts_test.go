package render

import (
	"errors"
	"testing"
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
