package report_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/fleet/report"
)

// A regency with more printers than a page holds: every page that goes
// on with its rows starts under the table's header again, and every row
// is printed once (read back with poppler).
func TestPDFRepeatsTheHeaderOnEveryPage(t *testing.T) {
	g := fleet.ReportGroup{Code: "3273"}
	for i := 0; i < 90; i++ {
		k := fleet.Kiosk{ID: fmt.Sprintf("bdg-%03d", i), Name: fmt.Sprintf("MPP Bandung %d", i), Regency: "3273", Province: "32"}
		g.Rows = append(g.Rows, fleet.ReportRow{Kiosk: k, Printer: "card-1", Reported: true, Zone: fleet.ZoneWIB,
			Figures: fleet.Figures{Opening: 100, Loaded: 50, Printed: 30, Closing: 120}})
	}
	all, err := fleet.ParseScope("all")
	if err != nil {
		t.Fatal(err)
	}
	r := fleet.BlankReport{Query: fleet.ReportQuery{Year: 2026, Month: time.November, By: fleet.ByRegency, Format: "pdf"},
		Scope: all, Hub: "test hub", Generated: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		Zones: []fleet.Zone{fleet.ZoneWIB}, Complete: true, Groups: []fleet.ReportGroup{g}}
	b, err := report.PDF(r, "id")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	pages := 0
	for _, l := range strings.Split(run("pdfinfo", path), "\n") {
		if v, ok := strings.CutPrefix(l, "Pages:"); ok {
			pages, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if pages < 3 {
		t.Fatalf("%d pages; the test wants the rows to run over at least two page breaks", pages)
	}
	seen := map[string]int{}
	for p := 1; p <= pages; p++ {
		text := run("pdftotext", "-layout", "-f", strconv.Itoa(p), "-l", strconv.Itoa(p), path, "-")
		rows := 0
		for _, k := range g.Rows {
			if n := strings.Count(text, k.ID+" / card-1"); n > 0 {
				seen[k.ID] += n
				rows++
			}
		}
		if rows > 0 && !strings.Contains(text, "Saldo awal") {
			t.Errorf("page %d has %d rows and no table header", p, rows)
		}
		if p > 1 && rows > 0 && !strings.Contains(text, "Kabupaten/kota 3273 (lanjutan)") {
			t.Errorf("page %d goes on with the regency without saying so", p)
		}
	}
	for _, k := range g.Rows {
		if seen[k.ID] != 1 {
			t.Errorf("%s printed %d times", k.ID, seen[k.ID])
		}
	}
}
