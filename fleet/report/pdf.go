package report

import (
	"fmt"
	"strings"

	"github.com/anjungan/anjungan/fleet"
	stationreport "github.com/anjungan/anjungan/station/report"
)

// Widths of the table's columns, in millimetres (180 inside the margins).
var colW = []float64{30, 15, 15, 14, 14, 15, 14, 16, 16, 16, 15}

// PDF draws r in lang ("id" or "en"): the header (month and its time
// zones, scope, hub, generation time), then per regency (and province)
// the printer rows and their subtotals, then the total and a legend. A
// row whose figures do not add up shows its difference marked "!"; a
// kiosk that sent nothing in the month is marked as such.
func PDF(r fleet.BlankReport, lang string) ([]byte, error) {
	w := words(lang)
	title := w["title"] + " " + r.Query.MonthString()
	s, err := stationreport.NewSheet(title, r.Generated)
	if err != nil {
		return nil, err
	}
	pdf := s.PDF()
	s.Text("B", 14, title)
	var zones []string
	for _, z := range r.Zones {
		from, until := r.Query.MonthWindow(z)
		zones = append(zones, fmt.Sprintf("%s %s – %s", z, from.Format("2006-01-02 15:04"), until.Format("2006-01-02 15:04")))
	}
	if len(zones) == 0 {
		zones = []string{w["no_kiosks"]}
	}
	s.Text("", 8.5, w["period"]+": "+strings.Join(zones, "; "))
	s.Text("", 8.5, w["scope"]+": "+r.Scope.String()+"    "+w["by"]+": "+w["by_"+string(r.Query.By)])
	s.Text("", 8.5, w["hub"]+": "+r.Hub)
	s.Text("", 8.5, w["generated"]+": "+r.Generated.UTC().Format("2006-01-02 15:04:05 UTC"))
	if !r.Complete {
		s.Text("B", 8.5, w["incomplete"])
	}
	pdf.Ln(2)

	// line draws a line of the table: the name left, the figures right.
	line := func(style string, size float64, border string, advance float64, cells []string) {
		pdf.SetFont("sans", style, size)
		for i, c := range cells {
			align := "R"
			if i == 0 {
				align = "L"
			}
			pdf.CellFormat(colW[i], 4.2, s.Tr(c), border, 0, align, false, 0, "")
		}
		pdf.Ln(advance)
	}
	row := func(style string, cells ...string) {
		border := ""
		if style == "B" {
			border = "T" // a subtotal or the total, ruled off from the rows above
		}
		line(style, 7.5, border, 4.2, cells)
	}
	header := func() {
		var names []string
		for _, k := range []string{"kiosk_printer", "opening", "loaded", "printed", "spoiled", "reversed", "closing", "expected", "difference", "destroyed", "counter"} {
			names = append(names, w[k])
		}
		line("B", 7, "B", 4.5, names)
	}
	figs := func(f fleet.Figures) []string {
		diff := itoa(f.Difference())
		if !f.Reconciled() {
			diff = "! " + diff
		}
		return []string{itoa(f.Opening), itoa(f.Loaded), itoa(f.Printed), itoa(f.Spoiled), itoa(f.Reversed),
			itoa(f.Closing), itoa(f.Expected()), diff, itoa(f.Destroyed), itoa(f.CounterDiff)}
	}
	// fits says whether h more millimetres fit above the page's bottom margin.
	fits := func(h float64) bool {
		_, pageH := pdf.GetPageSize()
		_, bottom := pdf.GetAutoPageBreak()
		return pdf.GetY()+h <= pageH-bottom
	}
	regency := func(g fleet.ReportGroup) {
		s.Text("B", 9, w["regency"]+" "+g.Code)
		header()
		for _, k := range g.Rows {
			if !fits(4.2 + 3.6) { // a row and its name line: on a new page, under the header again
				pdf.AddPage()
				s.Text("B", 9, w["regency"]+" "+g.Code+" "+w["continued"])
				header()
			}
			name := k.ID
			if k.Printer != "" {
				name += " / " + k.Printer
			}
			row("", append([]string{name}, figs(k.Figures)...)...)
			if !k.Reported {
				pdf.SetFont("sans", "", 7)
				pdf.CellFormat(colW[0]+100, 3.6, s.Tr("   "+k.Name+" — "+w["silent"]), "", 1, "L", false, 0, "")
			} else {
				pdf.SetFont("sans", "", 7)
				pdf.CellFormat(colW[0]+100, 3.6, s.Tr("   "+k.Name), "", 1, "L", false, 0, "")
			}
		}
		row("B", append([]string{w["subtotal"] + " " + g.Code}, figs(g.Total)...)...)
		pdf.Ln(2)
	}
	for _, g := range r.Groups {
		if r.Query.By == fleet.ByProvince {
			s.Heading(w["province"] + " " + g.Code + " (" + fleet.ZoneOf(g.Code).Name + ")")
			for _, h := range g.Groups {
				regency(h)
			}
			row("B", append([]string{w["subtotal"] + " " + w["province"] + " " + g.Code}, figs(g.Total)...)...)
			pdf.Ln(3)
			continue
		}
		regency(g)
	}
	pdf.Ln(1)
	header()
	row("B", append([]string{w["total"]}, figs(r.Total)...)...)
	pdf.Ln(2)
	s.Text("B", 8.5, fmt.Sprintf(w["summary"], len(r.Rows()), r.Flagged, r.Silent))
	pdf.Ln(1)
	pdf.SetFont("sans", "", 7.5)
	pdf.MultiCell(s.Width(), 3.8, s.Tr(w["legend"]), "", "L", false)
	return s.Output()
}

// words are the report's labels in lang.
func words(lang string) map[string]string {
	if lang == "en" {
		return map[string]string{
			"title": "Monthly blank-card report", "period": "Month", "scope": "Scope", "by": "Grouped by",
			"by_regency": "regency", "by_province": "province and regency", "hub": "Fleet hub", "generated": "Generated",
			"incomplete": "The month is not over yet: the figures are up to the generation time.",
			"no_kiosks":  "no kiosks in scope", "kiosk_printer": "Kiosk / printer", "opening": "Opening", "loaded": "Received",
			"printed": "Printed", "spoiled": "Spoiled", "reversed": "Reversed", "closing": "Closing", "expected": "Expected",
			"difference": "Difference", "destroyed": "Destroyed", "counter": "Counter", "regency": "Regency/city",
			"province": "Province", "continued": "(continued)", "subtotal": "Subtotal", "total": "Total", "silent": "sent nothing this month",
			"summary": "%d printer rows; %d do not reconcile; %d kiosks sent nothing this month.",
			"legend": "Opening: the balance after the printer's last ledger movement before the month. Received: cards loaded. " +
				"Printed: cards used for printed documents. Spoiled: cards rejected by the printer, voided, or spoiled from stock. " +
				"Reversed: loads reversed as wrong. Closing: the balance after the month's last movement. " +
				"Expected = opening + received - printed - spoiled - reversed; Difference = closing - expected, " +
				"marked ! when not 0. Destroyed (spoiled cards destroyed) and Counter (the printer counter's difference " +
				"at reconciliations) move no cards and are shown for the record. Month boundaries are midnight in the " +
				"province's legal time zone.",
		}
	}
	return map[string]string{
		"title": "Laporan bulanan blanko kartu", "period": "Bulan", "scope": "Cakupan", "by": "Dikelompokkan per",
		"by_regency": "kabupaten/kota", "by_province": "provinsi dan kabupaten/kota", "hub": "Hub armada", "generated": "Dibuat",
		"incomplete": "Bulan ini belum berakhir: angka sampai saat laporan dibuat.",
		"no_kiosks":  "tidak ada anjungan dalam cakupan", "kiosk_printer": "Anjungan / printer", "opening": "Saldo awal", "loaded": "Diterima",
		"printed": "Tercetak", "spoiled": "Rusak", "reversed": "Dibatalkan", "closing": "Saldo akhir", "expected": "Seharusnya",
		"difference": "Selisih", "destroyed": "Dimusnahkan", "counter": "Pencacah", "regency": "Kabupaten/kota",
		"province": "Provinsi", "continued": "(lanjutan)", "subtotal": "Subtotal", "total": "Jumlah", "silent": "tidak melapor bulan ini",
		"summary": "%d baris printer; %d tidak sesuai; %d anjungan tidak melapor bulan ini.",
		"legend": "Saldo awal: saldo setelah mutasi buku blanko terakhir printer sebelum bulan ini. Diterima: kartu yang dimuat. " +
			"Tercetak: kartu terpakai untuk dokumen tercetak. Rusak: kartu ditolak printer, dibatalkan, atau rusak di stok. " +
			"Dibatalkan: pemuatan yang dibatalkan karena salah. Saldo akhir: saldo setelah mutasi terakhir bulan ini. " +
			"Seharusnya = saldo awal + diterima - tercetak - rusak - dibatalkan; Selisih = saldo akhir - seharusnya, " +
			"ditandai ! bila bukan 0. Dimusnahkan (kartu rusak yang dimusnahkan) dan Pencacah (selisih pencacah printer " +
			"saat rekonsiliasi) tidak memindahkan kartu dan dicantumkan sebagai catatan. Batas bulan adalah tengah malam " +
			"menurut zona waktu resmi provinsi.",
	}
}
