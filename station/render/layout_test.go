package render

import (
	"errors"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/station"
)

// monospace measures every byte as 0.1 mm per point of size, so cases
// can be worked out by hand: at 10 pt a character is 1 mm wide.
func monospace(size float64, s string) float64 { return float64(len(s)) * size * 0.1 }

func TestFit(t *testing.T) {
	font := Font{Family: "sans", Size: 10, MinSize: 8}
	oneLine := lineHeight(10) + 0.01 // room for one line at 10 pt
	twoLines := 2*lineHeight(10) + 0.01
	for _, tc := range []struct {
		name   string
		policy Overflow
		w, h   float64
		text   string
		size   float64
		lines  []string // nil: must fail
	}{
		{"fits at size", ShrinkWrap, 20, oneLine, "BUDI SANTOSO", 10, []string{"BUDI SANTOSO"}},
		{"empty", ShrinkWrap, 20, oneLine, "", 10, []string{""}},
		{"fits only after shrinking", ShrinkWrap, 20, oneLine, "BUDI SANTOSO WIJAYANTO", 9, []string{"BUDI SANTOSO WIJAYANTO"}},
		{"shrinks to exactly min_size", ShrinkWrap, 20, oneLine, strings.Repeat("A", 25), 8, []string{strings.Repeat("A", 25)}},
		{"needs wrapping, at full size", ShrinkWrap, 20, twoLines, "BUDI SANTOSO WIJAYA KUSUMA", 10, []string{"BUDI SANTOSO WIJAYA", "KUSUMA"}},
		{"cannot fit", ShrinkWrap, 20, twoLines, strings.Repeat("BUDI SANTOSO ", 5), 0, nil},
		{"one word too long to wrap", ShrinkWrap, 20, twoLines, strings.Repeat("A", 30), 0, nil},
		{"box too low for the smallest line", ShrinkWrap, 20, lineHeight(8) - 0.01, "A", 0, nil},
		{"shrink does not wrap", Shrink, 20, twoLines, "BUDI SANTOSO WIJAYA KUSUMA", 0, nil},
		{"shrink shrinks", Shrink, 20, oneLine, "BUDI SANTOSO WIJAYANTO", 9, []string{"BUDI SANTOSO WIJAYANTO"}},
		{"fixed does not shrink", Fixed, 20, oneLine, "BUDI SANTOSO WIJAYANTO", 0, nil},
		{"fixed fits", Fixed, 20, oneLine, "BUDI", 10, []string{"BUDI"}},
		{"wrap collapses repeated spaces", ShrinkWrap, 20, twoLines, "BUDI  SANTOSO   WIJAYA  KUSUMA", 10, []string{"BUDI SANTOSO WIJAYA", "KUSUMA"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fit(monospace, font, tc.policy, tc.w, tc.h, tc.text)
			if tc.lines == nil {
				var fe *fitError
				if !errors.As(err, &fe) {
					t.Fatalf("fit = %v, %v; want a fit error", got, err)
				}
				if strings.Contains(err.Error(), tc.text) {
					t.Errorf("error holds the text: %v", err)
				}
				if fe.Policy != tc.policy {
					t.Errorf("error names policy %s, want %s", fe.Policy, tc.policy)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.size != tc.size || strings.Join(got.lines, "|") != strings.Join(tc.lines, "|") {
				t.Errorf("fit = %.1f pt %q, want %.1f pt %q", got.size, got.lines, tc.size, tc.lines)
			}
		})
	}
}

func TestShrinkSizes(t *testing.T) {
	for _, tc := range []struct {
		size, min float64
		want      []float64
	}{
		{10, 10, []float64{10}},
		{10, 9, []float64{10, 9.5, 9}},
		{6, 4.2, []float64{6, 5.5, 5, 4.5, 4.2}},
	} {
		got := shrinkSizes(tc.size, tc.min)
		if len(got) != len(tc.want) {
			t.Fatalf("shrinkSizes(%v, %v) = %v, want %v", tc.size, tc.min, got, tc.want)
		}
		for i := range got {
			if abs(got[i]-tc.want[i]) > 1e-9 {
				t.Fatalf("shrinkSizes(%v, %v) = %v, want %v", tc.size, tc.min, got, tc.want)
			}
		}
	}
}

// TestFitNameOnKTP runs the overflow policy of the real KTP-el template's
// name box with real font metrics.
func TestFitNameOnKTP(t *testing.T) {
	r := MustNewRenderer(t)
	var nama *text
	for _, el := range r.pages[station.KTPEl][0].elements {
		if tx, ok := el.(*text); ok && tx.Field == "nama" {
			nama = tx
		}
	}
	if nama == nil {
		t.Fatal("no nama field in the KTP-el template")
	}
	c, err := newCanvas(MustFonts(t), fixedDate())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		value  string
		lines  int // 0: must fail
		shrunk bool
	}{
		{"short", "BUDI SANTOSO", 1, false},
		{"fits only after shrinking", "MUHAMMAD RIZKY ALFARIZI PRATAMA PUTRA", 1, true},
		// Two lines at 6 pt are taller than the box: it wraps at 5.5 pt.
		{"60 characters wrap", "RADEN AJENG SITI NURHALIZAH KUSUMAWARDHANI PUTRI HADININGRAT", 2, true},
		{"cannot fit", strings.Repeat("RADEN AJENG SITI NURHALIZAH ", 5), 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.layout(nama.textStyle, nama.box, tc.value)
			if tc.lines == 0 {
				if err == nil {
					t.Fatalf("laid out in %d lines at %.1f pt, want an error", len(got.lines), got.size)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.lines) != tc.lines || (got.size < nama.Font.Size) != tc.shrunk {
				t.Errorf("%d lines at %.1f pt; want %d lines, shrunk %v", len(got.lines), got.size, tc.lines, tc.shrunk)
			}
		})
	}
}
