package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"unicode/utf8"
)

// fieldBounds are the longest values, in runes, the upstream may send
// (docs/templates.md, "Bounds"); testdata/bounds-*.json hold documents
// with every field at its bound, free text in wide letters (W, M).
var fieldBounds = map[string]int{
	"nama": 60, "nama_kepala_keluarga": 60, "nama_ayah": 60, "nama_ibu": 60, "pejabat": 60,
	"alamat": 120, "tempat_lahir": 40, "tempat_terbit": 40, "kel_desa": 40, "kecamatan": 40,
	"kabupaten_kota": 40, "provinsi": 40, "pekerjaan": 50, "agama": 30, "pendidikan": 28,
	"status_perkawinan": 20, "hubungan": 16, "golongan_darah": 10, "no_paspor": 16, "no_kitap": 16,
}

// officialList are the fields whose values come from an official list;
// the corpus holds the longest entry.
var officialList = map[string]bool{
	"pekerjaan": true, "agama": true, "pendidikan": true, "status_perkawinan": true,
	"hubungan": true, "golongan_darah": true,
}

// boundsCases are the documents at the bounds: one per template variant.
var boundsCases = []struct {
	sample       string
	pages        int
	wantW, wantH float64 // pt
}{
	{"bounds-ktp-el", 2, 242.65, 153.01},
	{"bounds-kia", 2, 242.65, 153.01},
	{"bounds-kia-under-five", 2, 242.65, 153.01},
	{"bounds-kk", 5, 841.89, 595.28}, // 50 members, 10 a page, A4 landscape
}

// TestRenderBounds renders each document with every field at its bound:
// every value is in the text in full (never clipped), the pages have
// their size and orientation, the fonts are embedded and a second render
// is byte-identical.
func TestRenderBounds(t *testing.T) {
	r := MustNewRenderer(t)
	for _, tc := range boundsCases {
		t.Run(tc.sample, func(t *testing.T) {
			d := MustLoadSample(t, tc.sample)
			// The corpus must really be at the bounds, or the test proves
			// less than it says.
			// Free text is exactly at its bound; a value from an official
			// list is its longest entry, which may be shorter.
			at := func(where, k, v string) {
				b, ok := fieldBounds[k]
				n := utf8.RuneCountInString(v)
				if ok && (n > b || n < b && !officialList[k]) {
					t.Errorf("%s %s: %d runes, bound %d", where, k, n, b)
				}
			}
			for k, v := range d.Fields {
				at("field", k, v)
			}
			for i, row := range d.Rows {
				for k, v := range row {
					at("row "+strconv.Itoa(i+1), k, v)
				}
			}
			out := MustRender(t, r, d)
			if out.Pages != tc.pages {
				t.Errorf("Pages = %d, want %d", out.Pages, tc.pages)
			}
			if again := MustRender(t, r, d); !bytes.Equal(out.PDF, again.PDF) {
				t.Fatal("two renders differ")
			}
			file := filepath.Join(t.TempDir(), tc.sample+".pdf")
			if err := os.WriteFile(file, out.PDF, 0o600); err != nil {
				t.Fatal(err)
			}
			checkPages(t, file, tc.pages, tc.wantW, tc.wantH)
			checkFontsEmbedded(t, run(t, peer(t, "pdffonts", "poppler-utils"), file))
			checkText(t, file, d)
		})
	}
}
