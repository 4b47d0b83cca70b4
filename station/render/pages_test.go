package render

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/station"
)

// kkOf is the sample KK with n members: its rows repeated, each with its
// own NIK so that a row can be found on its page.
func kkOf(tb testing.TB, n int) station.Document {
	tb.Helper()
	d := MustLoadSample(tb, "kk")
	rows := d.Rows
	d.Rows = nil
	for i := range n {
		row := map[string]string{}
		for k, v := range rows[i%len(rows)] {
			row[k] = v
		}
		if i > 0 {
			row["nik"] = fmt.Sprintf("33741212036%05d", 90000+i)
		}
		d.Rows = append(d.Rows, row)
	}
	return d
}

// TestRenderKKContinues: a family longer than one page continues on
// pages that repeat the KK number and the table headers and say
// "Halaman x dari y"; each member is on the page of its row number; the
// footer (issue date, official, QR) is on the last page only.
func TestRenderKKContinues(t *testing.T) {
	pdftotext := peer(t, "pdftotext", "poppler-utils")
	r := MustNewRenderer(t)
	for _, tc := range []struct{ members, pages int }{{1, 1}, {10, 1}, {11, 2}, {30, 3}, {50, 5}} {
		t.Run(strconv.Itoa(tc.members), func(t *testing.T) {
			d := kkOf(t, tc.members)
			out := MustRender(t, r, d)
			if out.Pages != tc.pages {
				t.Fatalf("Pages = %d, want %d", out.Pages, tc.pages)
			}
			file := filepath.Join(t.TempDir(), "kk.pdf")
			if err := os.WriteFile(file, out.PDF, 0o600); err != nil {
				t.Fatal(err)
			}
			checkPages(t, file, tc.pages, 841.89, 595.28)
			for p := 1; p <= tc.pages; p++ {
				n := strconv.Itoa(p)
				text := collapse(run(t, pdftotext, "-raw", "-f", n, "-l", n, file, "-"))
				want := []string{"KARTU KELUARGA", "No. " + d.Fields["no_kk"], fmt.Sprintf("Halaman %d dari %d", p, tc.pages),
					"Nama Lengkap", "Golongan Darah", "Tanggal Perkawinan", "Dokumen Imigrasi", "Nama Orang Tua"}
				for _, w := range want {
					if !strings.Contains(text, w) {
						t.Errorf("page %d lacks %q", p, w)
					}
				}
				for i, row := range d.Rows {
					if on := strings.Contains(text, row["nik"]); on != (i/10 == p-1) {
						t.Errorf("member %d on page %d: %v", i+1, p, on)
					}
				}
				if last := strings.Contains(text, "Dikeluarkan Tanggal"); last != (p == tc.pages) {
					t.Errorf("footer on page %d of %d: %v", p, tc.pages, last)
				}
			}
			if tc.pages == 2 { // one QR, on the last page; rasterising more pages at 300 dpi is slow
				checkQR(t, out.PDF, out.Pages, d)
			}
		})
	}
	_, err := r.Render(context.Background(), kkOf(t, 51))
	if !errors.Is(err, station.ErrRenderFailed) || !strings.Contains(err.Error(), "51 rows, the template holds at most 50") {
		t.Errorf("51 members: err = %v", err)
	}
}
