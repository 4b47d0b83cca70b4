package station

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"BUDI", "BUDI"},
		{"  BUDI  SANTOSO ", "BUDI SANTOSO"},
		{"BUDI\t\n SANTOSO", "BUDI SANTOSO"},
		{"BUDI\u00a0\u2003SANTOSO", "BUDI SANTOSO"}, // no-break and em space are white space
		{"SRI\u00adWAHYUNI", "SRIWAHYUNI"},          // a soft hyphen would print as a hyphen
		{"\ufeffJL. MERDEKA\u200b NO.\u2060 5", "JL. MERDEKA NO. 5"}, // BOM, zero-width space, word joiner
		{"A\u200c\u200dB", "AB"},
		{"\u00ad \u200b", ""}, // invisible only: blank
		{"JOSÉ D'ALMEIDA", "JOSÉ D'ALMEIDA"},
	}
	for _, tt := range tests {
		if got := Normalise(tt.in); got != tt.want {
			t.Errorf("Normalise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFieldSpecCheck(t *testing.T) {
	name := FieldSpec{Name: "nama", Required: true, MaxLen: 5}
	agama := FieldSpec{Name: "agama", Required: true, MaxLen: 30, Values: []string{"ISLAM", "KEPERCAYAAN TERHADAP TUHAN YME"}}
	paspor := FieldSpec{Name: "no_paspor", MaxLen: 3}
	nik := FieldSpec{Name: "nik", Required: true, Pattern: `^[0-9]{16}$`}
	tests := []struct {
		f    FieldSpec
		v    string
		pass bool
	}{
		{name, "BUDI", true},
		{name, "  BUDI  ", true},   // normalised first
		{name, "BUDI\u00ad", true}, // the soft hyphen does not count
		{name, "ÉÉÉÉÉ", true},      // runes, not bytes
		{name, "BUDIS", true},      // at the bound
		{name, "BUDISA", false},    // one over
		{name, "", false},          // required
		{name, "   \u200b", false}, // blank after normalising
		{paspor, "", true},         // optional
		{paspor, "   ", true},      // optional and blank
		{paspor, "ABCD", false},    // optional, but bounded
		{agama, "ISLAM", true},
		{agama, "KEPERCAYAAN  TERHADAP TUHAN YME", true},
		{agama, "islam", false}, // not an official value
		{agama, "KATHOLIK", false},
		{nik, "3171091203850007", true},
		{nik, "317109120385000", false},
		{nik, "3171091203850007x", false},
	}
	for _, tt := range tests {
		err := tt.f.Check(tt.v)
		if (err == nil) != tt.pass {
			t.Errorf("%s.Check(%q) = %v, want pass %v", tt.f.Name, tt.v, err, tt.pass)
		}
		if err != nil && (!strings.Contains(err.Error(), tt.f.Name) || (strings.TrimSpace(tt.v) != "" && strings.Contains(err.Error(), tt.v))) {
			t.Errorf("%s.Check(%q): error %q must name the field and not the value", tt.f.Name, tt.v, err)
		}
	}
}

// FuzzNormalise: the result is a fixed point, trimmed, with single plain
// spaces, none of the removed characters, and never longer than the input.
func FuzzNormalise(f *testing.F) {
	for _, s := range []string{"", " A  B ", "SRI\u00adWAHYUNI", "\ufeffX\u200bY", "\xff\xfe", "A\u2028B\u3000C"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalise(s)
		if Normalise(n) != n {
			t.Fatalf("Normalise(%q) = %q is not a fixed point", s, n)
		}
		if len(n) > len(s) && utf8.ValidString(s) {
			t.Fatalf("Normalise(%q) = %q grew", s, n)
		}
		if n != strings.TrimSpace(n) || strings.Contains(n, "  ") {
			t.Fatalf("Normalise(%q) = %q is not trimmed or has a double space", s, n)
		}
		for _, r := range n {
			if (unicode.IsSpace(r) && r != ' ') || r == '\u00ad' || (r >= '\u200b' && r <= '\u200d') || r == '\u2060' || r == '\ufeff' {
				t.Fatalf("Normalise(%q) = %q keeps %U", s, n, r)
			}
		}
	})
}
