package report

import (
	"bytes"
	"encoding/csv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// ErrNotDestroyed is a berita acara asked of a destruction that no second
// supervisor confirmed: there is nothing to sign yet.
var ErrNotDestroyed = fault.New("destruction_unconfirmed",
	"Berita acara hanya dapat dibuat setelah pengawas kedua mengonfirmasi pemusnahan.",
	"The record can only be made once a second supervisor has confirmed the destruction.")

// causeName is a spoil cause as the circulars write it.
func causeName(c printerd.SpoilCause) string {
	for _, i := range printerd.SpoilCauses() {
		if i.Cause == c {
			return i.ID + " / " + i.EN
		}
	}
	return string(c)
}

// BeritaAcara draws the record of destruction (berita acara pemusnahan)
// of a confirmed destruction: the hall, the kiosk, the date in the hall's
// time zone (DD-MM-YYYY), the cards by cause with their serials (a count
// where a card has none), both supervisors, and a block where they and a
// witness sign by hand. The same destruction always gives the same bytes.
func BeritaAcara(hall station.Hall, d printerd.Destruction) ([]byte, error) {
	if d.State != printerd.DestructionConfirmed {
		return nil, ErrNotDestroyed.Withf("destruction %s is %s", d.ID, d.State)
	}
	r, err := newDoc("Berita acara pemusnahan "+d.ID, d.Confirmed)
	if err != nil {
		return nil, err
	}
	pdf := r.pdf
	center := func(style string, size float64, s string) {
		pdf.SetFont("sans", style, size)
		pdf.CellFormat(contentW, size*0.5, r.tr(s), "", 1, "C", false, 0, "")
	}
	center("B", 14, "BERITA ACARA PEMUSNAHAN BLANKO KTP-EL RUSAK")
	center("", 9, "Record of destruction of spoiled blank identity cards")
	center("", 10, "Nomor / No.: "+d.ID)
	pdf.Ln(4)
	cols := []float64{55, contentW - 55}
	for _, kv := range [][2]string{
		{"Tempat / Place", hall.Name},
		{"Anjungan / Kiosk", hall.KioskID},
		{"Printer", d.Printer},
		{"Tanggal / Date", hall.Date(d.Confirmed)},
		{"Pukul / Time", hall.Time(d.Confirmed)[11:]},
	} {
		r.row(false, false, cols, kv[0], kv[1])
	}
	pdf.Ln(3)
	pdf.SetFont("sans", "", 10)
	pdf.MultiCell(contentW, 5, r.tr("Pada hari ini, "+hall.Date(d.Confirmed)+", kami yang bertanda tangan di bawah ini telah "+
		"memusnahkan dengan cara dibakar blanko KTP-el rusak yang disimpan dalam kotak penolakan terkunci, "+
		"sebagaimana tercatat di bawah ini."), "", "L", false)
	pdf.SetFont("sans", "", 8)
	pdf.MultiCell(contentW, 4, r.tr("Today the undersigned destroyed by burning the spoiled blank cards kept in the locked "+
		"reject box, as recorded below."), "", "L", false)
	pdf.Ln(3)

	r.heading("Kartu yang dimusnahkan / Cards destroyed")
	table := []float64{55, 20, contentW - 75}
	r.row(true, false, table, "Penyebab / Cause", "Jumlah", "Nomor seri / Serials")
	by := map[printerd.SpoilCause][]string{}
	counts := map[printerd.SpoilCause]int{}
	for _, c := range d.Cards {
		counts[c.Cause]++
		if c.CardSerial != "" {
			by[c.Cause] = append(by[c.Cause], c.CardSerial)
		}
	}
	for _, i := range printerd.SpoilCauses() {
		n := counts[i.Cause]
		if n == 0 {
			continue
		}
		serials := by[i.Cause]
		sort.Strings(serials)
		list := strings.Join(serials, ", ")
		if k := n - len(serials); k > 0 {
			if list != "" {
				list += "; "
			}
			list += strconv.Itoa(k) + " tanpa nomor seri / without serial"
		}
		pdf.SetFont("sans", "", 9)
		x, y := pdf.GetXY()
		pdf.SetX(x + table[0] + table[1])
		pdf.MultiCell(table[2], lineH, r.tr(list), "", "L", false)
		end := pdf.GetY()
		pdf.SetXY(x, y)
		pdf.CellFormat(table[0], lineH, r.tr(causeName(i.Cause)), "", 0, "L", false, 0, "")
		pdf.CellFormat(table[1], lineH, itoa(n), "", 0, "R", false, 0, "")
		pdf.SetY(end)
	}
	r.row(true, false, table, "Jumlah / Total", itoa(len(d.Cards)), "")
	pdf.Ln(6)

	r.heading("Tanda tangan / Signatures")
	half := contentW / 2
	sign := [][3]string{
		{"Pengawas I (mengajukan) / Supervisor I (proposed)", d.ProposedBy, hall.Time(d.Proposed)},
		{"Pengawas II (mengonfirmasi) / Supervisor II (confirmed)", d.ConfirmedBy, hall.Time(d.Confirmed)},
	}
	y := pdf.GetY()
	for i, s := range sign {
		x := margin + float64(i)*half
		pdf.SetXY(x, y)
		pdf.SetFont("sans", "B", 9)
		pdf.MultiCell(half-4, 4.5, r.tr(s[0]), "", "L", false)
		pdf.SetX(x)
		pdf.SetFont("sans", "", 9)
		pdf.CellFormat(half-4, 5, r.tr("Akun / Account: "+s[1]), "", 2, "L", false, 0, "")
		pdf.CellFormat(half-4, 5, r.tr(s[2]), "", 2, "L", false, 0, "")
		pdf.Ln(16)
		pdf.SetX(x)
		pdf.CellFormat(half-10, 5, r.tr("Nama terang / Name: ______________"), "T", 2, "L", false, 0, "")
		pdf.CellFormat(half-10, 5, r.tr("NIP: ______________"), "", 2, "L", false, 0, "")
	}
	pdf.Ln(8)
	pdf.SetX(margin)
	pdf.SetFont("sans", "B", 9)
	pdf.CellFormat(contentW, 5, r.tr("Saksi / Witness"), "", 1, "L", false, 0, "")
	pdf.Ln(14)
	pdf.CellFormat(half-10, 5, r.tr("Nama terang / Name: ______________"), "T", 1, "L", false, 0, "")
	return r.output()
}

// Month is one kiosk's blank cards over a month, one MonthReport per card
// printer: the monthly report to the bupati / wali kota, and the rows the
// fleet hub rolls up.
type Month struct {
	Hall      station.Hall
	Start     time.Time // the first day, midnight in the hall's zone
	Generated time.Time
	Printers  []printerd.MonthReport
}

// MonthCSVHeader is the monthly CSV's header. One row per figure (long
// form), so a new document type or cause adds rows, never columns:
// measure is loaded, reversed, printed (key: document type), spoiled
// (key: cause), destroyed, in_stock, awaiting, or reconciliation (key:
// status, value balanced, difference, baseline or none; key difference,
// value the cards).
var MonthCSVHeader = []string{"kiosk_id", "hall", "month", "printer", "measure", "key", "value"}

// MonthCSV writes the month in long form.
func MonthCSV(m Month) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	month := m.Start.Format("2006-01")
	put := func(p, measure, key, value string) {
		_ = w.Write([]string{m.Hall.KioskID, m.Hall.Name, month, p, measure, key, value})
	}
	_ = w.Write(MonthCSVHeader)
	for _, p := range m.Printers {
		put(p.Printer, "loaded", "", itoa(p.Loaded))
		put(p.Printer, "reversed", "", itoa(p.Reversed))
		for _, t := range sortedKeys(p.Printed) {
			put(p.Printer, "printed", t, itoa(p.Printed[t]))
		}
		for _, i := range printerd.SpoilCauses() {
			put(p.Printer, "spoiled", string(i.Cause), itoa(p.Spoiled[i.Cause]))
		}
		put(p.Printer, "destroyed", "", itoa(p.Destroyed))
		put(p.Printer, "in_stock", "", itoa(p.InStock))
		put(p.Printer, "awaiting", "", itoa(p.Awaiting))
		status, diff := reconciled(p.Reconciliation)
		put(p.Printer, "reconciliation", "status", status)
		put(p.Printer, "reconciliation", "difference", diff)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, ErrReport.With(err)
	}
	return b.Bytes(), nil
}

func reconciled(r *printerd.Reconciliation) (status, diff string) {
	switch {
	case r == nil:
		return "none", ""
	case r.Baseline:
		return "baseline", "0"
	case r.Balanced():
		return "balanced", "0"
	}
	return "difference", itoa(r.Difference)
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MonthPDF draws the monthly report.
func MonthPDF(m Month) ([]byte, error) {
	r, err := newDoc("Laporan bulanan blanko KTP-el "+m.Start.Format("01-2006"), m.Generated)
	if err != nil {
		return nil, err
	}
	r.text("B", 14, "Laporan bulanan blanko KTP-el / Monthly blank-card report")
	r.text("", 10, m.Hall.Name+" · "+m.Hall.KioskID)
	r.text("", 10, "Bulan / Month: "+m.Start.Format("01-2006")+"   ("+m.Hall.Date(m.Start)+" – "+
		m.Hall.Date(m.Start.AddDate(0, 1, -1))+")")
	r.text("", 9, "Dibuat / Generated: "+m.Hall.Time(m.Generated))
	cols := []float64{110, contentW - 110}
	for _, p := range m.Printers {
		r.heading("Printer " + p.Printer)
		r.row(true, true, cols, "Uraian / Item", "Jumlah / Count")
		r.row(false, true, cols, "Blanko dimuat (bersih) / Loaded (net)", itoa(p.Loaded))
		r.row(false, true, cols, "Pemuatan dibalik / Loads reversed", itoa(p.Reversed))
		for _, t := range sortedKeys(p.Printed) {
			r.row(false, true, cols, "Tercetak / Printed: "+t, itoa(p.Printed[t]))
		}
		for _, i := range printerd.SpoilCauses() {
			r.row(false, true, cols, "Rusak / Spoiled: "+causeName(i.Cause), itoa(p.Spoiled[i.Cause]))
		}
		r.row(false, true, cols, "Dimusnahkan / Destroyed", itoa(p.Destroyed))
		r.row(false, true, cols, "Menunggu pemusnahan / Awaiting destruction", itoa(p.Awaiting))
		r.row(false, true, cols, "Sisa stok / In stock", itoa(p.InStock))
		status, diff := reconciled(p.Reconciliation)
		line := map[string]string{
			"none":       "Belum direkonsiliasi bulan ini / Not reconciled this month",
			"baseline":   "Titik awal penghitung printer dicatat / The printer's counter recorded as the baseline",
			"balanced":   "Sesuai penghitung printer / Agrees with the printer's counter",
			"difference": "SELISIH " + diff + " kartu / DIFFERENCE of " + diff + " cards",
		}[status]
		if rc := p.Reconciliation; rc != nil {
			line += " (" + m.Hall.Time(rc.Time) + ")"
		}
		// Full width: the sentence does not fit the count column.
		r.text("", 9, "Rekonsiliasi / Reconciliation: "+line)
	}
	if len(m.Printers) == 0 {
		r.text("", 9, "Tidak ada printer kartu / No card printer.")
	}
	r.pdf.Ln(12)
	r.text("", 9, "Mengetahui / Acknowledged,")
	r.pdf.Ln(16)
	r.text("", 9, "Nama terang / Name: ______________   NIP: ______________")
	return r.output()
}
