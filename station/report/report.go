// Package report draws the console's daily report as a PDF: prints by
// document type and outcome, failures and in-doubt jobs with their
// resolution, the blank-card ledger, the latest checkpoint of both audit
// logs, and a bar chart of prints per hour. Data in, PDF bytes out: the
// same Day always gives the same bytes. The report holds no personal
// data (printerd holds none: a job is a document type, an id and a hash),
// so every console role may have it.
package report

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/templates"
)

// ErrReport is a report that could not be drawn.
var ErrReport = fault.New("report_failed",
	"Laporan harian tidak dapat dibuat.",
	"The daily report could not be made.")

// Day is everything one daily report shows.
type Day struct {
	Station   string    // the station's name (its checkpoint origin), or ""
	Date      time.Time // the day, midnight in the station's time zone
	Generated time.Time // when the data was taken; printed on the report
	Lang      string    // "id" or "en"
	// Partial says the day's job list came capped at printerd's
	// MaxListLimit: the counts may be low, and the report says so.
	// Summarize sets it.
	Partial bool

	Prints   []DocumentCount // by document type, sorted
	Hourly   [24]int         // printed jobs by hour of the day
	Problems []Problem       // failed and in-doubt jobs of the day, and resolved ones
	Cards    []Cards         // one per card printer
	Logs     []Log           // station and printerd
}

// DocumentCount is one document type's jobs of the day by outcome.
type DocumentCount struct {
	Title                                   string
	Printed, Failed, InDoubt, Held, Pending int
}

// Total is every job of the type.
func (c DocumentCount) Total() int { return c.Printed + c.Failed + c.InDoubt + c.Held + c.Pending }

// Problem is a job that did not simply print: failed, in doubt, or
// resolved by a supervisor.
type Problem struct {
	Job        string
	Title      string
	State      string
	Reason     string // the IPP keyword, or the resolution (confirmed, reprinted, voided)
	Printer    string
	CardSerial string
	Time       time.Time
}

// Cards is one printer's blank-card ledger: printerd's running totals at
// Generated.
type Cards struct {
	Printer                                string
	Loaded, Printed, Spoiled, Voided, Left int
}

// Used is every card that left the hopper.
func (c Cards) Used() int { return c.Printed + c.Spoiled + c.Voided }

// Log is the latest checkpoint of one audit log.
type Log struct {
	Name   string // "station", "printerd"
	Origin string
	Size   int64
	Hash   string // base64 tree hash, as in the checkpoint
	Err    string // why there is none: "no_checkpoint", "unreadable" or "unreachable"
}

// DayFilter is what to ask printerd for the jobs of the day of date (any
// time in it; its location is the station's): those that last changed in
// it, whatever their state and whenever they were created, as many as
// printerd lists at once. The daily report and the console's counts of
// today both ask this and count with Summarize, so they always agree.
func DayFilter(date time.Time) printerd.JobFilter {
	start := dayStart(date)
	return printerd.JobFilter{UpdatedSince: start, UpdatedUntil: start.AddDate(0, 0, 1), Limit: printerd.MaxListLimit}
}

func dayStart(date time.Time) time.Time {
	y, m, dd := date.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, date.Location())
}

// Summarize builds the Day of date (any time in it; its location is the
// station's) from printerd's jobs (as DayFilter lists them) and ledger.
// A job belongs to the day when it last changed in it: a print at 23:59
// resolved the next morning is in the next day's report. Its outcome is
// its state: printed; failed or canceled (nothing came out, whoever ended
// it); in doubt; held; queued or printing.
func Summarize(date, generated time.Time, jobs []printerd.Job, ledger []printerd.LedgerEntry) Day {
	start := dayStart(date)
	end := start.AddDate(0, 0, 1)
	d := Day{Date: start, Generated: generated, Partial: len(jobs) >= printerd.MaxListLimit}
	byTitle := map[string]*DocumentCount{}
	for _, j := range jobs {
		t := j.Updated.In(start.Location())
		if t.Before(start) || !t.Before(end) {
			continue
		}
		c := byTitle[j.Title]
		if c == nil {
			c = &DocumentCount{Title: j.Title}
			byTitle[j.Title] = c
		}
		switch j.State {
		case printerd.JobPrinted:
			c.Printed++
			d.Hourly[t.Hour()]++
		case printerd.JobFailed, printerd.JobCanceled:
			c.Failed++
		case printerd.JobInDoubt:
			c.InDoubt++
		case printerd.JobHeld:
			c.Held++
		default:
			c.Pending++
		}
		if j.State == printerd.JobFailed || j.State == printerd.JobInDoubt || j.State == printerd.JobCanceled ||
			(j.State == printerd.JobPrinted && j.Reason == printerd.ReasonConfirmed) {
			d.Problems = append(d.Problems, Problem{Job: string(j.ID), Title: j.Title, State: string(j.State), Reason: j.Reason,
				Printer: j.Printer, CardSerial: j.CardSerial, Time: t})
		}
	}
	for _, c := range byTitle {
		d.Prints = append(d.Prints, *c)
	}
	sort.Slice(d.Prints, func(a, b int) bool { return d.Prints[a].Title < d.Prints[b].Title })
	sort.Slice(d.Problems, func(a, b int) bool {
		if !d.Problems[a].Time.Equal(d.Problems[b].Time) {
			return d.Problems[a].Time.Before(d.Problems[b].Time)
		}
		return d.Problems[a].Job < d.Problems[b].Job
	})
	for _, l := range ledger {
		d.Cards = append(d.Cards, Cards{Printer: l.Printer, Loaded: l.Loaded, Printed: l.Printed, Spoiled: l.Rejected,
			Voided: l.Voided, Left: l.Remaining})
	}
	sort.Slice(d.Cards, func(a, b int) bool { return d.Cards[a].Printer < d.Cards[b].Printer })
	return d
}

// LogOf reads a signed checkpoint note (its signature is the verifier's
// business, not the report's) into a Log named name. A nil note is a log
// with no checkpoint yet.
func LogOf(name string, note []byte) Log {
	if len(note) == 0 {
		return Log{Name: name, Err: "no_checkpoint"}
	}
	body, _, ok := strings.Cut(string(note), "\n\n")
	if !ok {
		return Log{Name: name, Err: "unreadable"}
	}
	c, err := audit.ParseCheckpoint(body + "\n\n")
	if err != nil {
		return Log{Name: name, Err: "unreadable"}
	}
	return Log{Name: name, Origin: c.Origin, Size: c.Size, Hash: strings.TrimSpace(strings.Split(body, "\n")[2])}
}

// Page layout, in millimetres (A4 portrait).
const (
	margin   = 15.0
	pageW    = 210.0
	contentW = pageW - 2*margin
	lineH    = 5.5
)

// PDF draws the report. Fonts are the DejaVu Sans the documents use
// (templates.FS), embedded; text is Windows-1252, which every value of a
// report (codes, ids, document type names, the words below) fits in.
func PDF(d Day) ([]byte, error) {
	w := words(d.Lang)
	r, err := newDoc(w["title"]+" "+d.Date.Format("02-01-2006"), d.Generated)
	if err != nil {
		return nil, err
	}
	pdf := r.pdf

	r.text("B", 16, w["title"]+" "+d.Date.Format("02-01-2006"))
	sub := w["generated"] + " " + d.Generated.Format("02-01-2006 15:04:05 MST")
	if d.Station != "" {
		sub = d.Station + " · " + sub
	}
	r.text("", 9, sub)
	if d.Partial {
		r.text("B", 9, w["partial"])
	}
	pdf.Ln(3)

	r.heading(w["prints"])
	// Widths of the table of counts: "Failed/canceled" needs the most.
	countCols := []float64{36, 26, 34, 26, 30, 28}
	r.row(true, true, countCols, w["document"], w["printed"], w["failed"], w["in_doubt"], w["held"], w["total"])
	var tot DocumentCount
	for _, c := range d.Prints {
		r.row(false, true, countCols, c.Title, itoa(c.Printed), itoa(c.Failed), itoa(c.InDoubt), itoa(c.Held+c.Pending), itoa(c.Total()))
		tot.Printed, tot.Failed, tot.InDoubt, tot.Held = tot.Printed+c.Printed, tot.Failed+c.Failed, tot.InDoubt+c.InDoubt, tot.Held+c.Held+c.Pending
	}
	r.row(true, true, countCols, w["total"], itoa(tot.Printed), itoa(tot.Failed), itoa(tot.InDoubt), itoa(tot.Held), itoa(tot.Total()))
	pdf.Ln(3)

	r.heading(w["per_hour"])
	chart(r, d.Hourly)
	pdf.Ln(3)

	r.heading(w["problems"])
	cols := []float64{30, 22, 22, 40, 26, 40}
	r.row(true, false, cols, w["job"], w["document"], w["state"], w["reason"], w["printer"], w["card_serial"])
	if len(d.Problems) == 0 {
		r.text("", 9, w["none"])
	}
	for _, p := range d.Problems {
		r.row(false, false, cols, p.Job, p.Title, p.State, p.Reason, p.Printer, p.CardSerial)
	}
	pdf.Ln(3)

	r.heading(w["cards"])
	cards := []float64{40, 25, 25, 25, 25, 40}
	r.row(true, true, cards, w["printer"], w["loaded"], w["used"], w["spoiled"], w["voided"], w["balance"])
	if len(d.Cards) == 0 {
		r.text("", 9, w["none"])
	}
	for _, c := range d.Cards {
		r.row(false, true, cards, c.Printer, itoa(c.Loaded), itoa(c.Used()), itoa(c.Spoiled), itoa(c.Voided), itoa(c.Left))
	}
	r.text("", 8, w["cards_note"])
	pdf.Ln(3)

	r.heading(w["logs"])
	for _, l := range d.Logs {
		if l.Err != "" {
			r.text("", 9, l.Name+": "+w["log_"+l.Err])
			continue
		}
		r.text("B", 9, l.Name+" ("+l.Origin+")")
		r.text("", 9, w["size"]+" "+strconv.FormatInt(l.Size, 10)+"   "+w["root"]+" "+l.Hash)
	}
	return r.output()
}

// newDoc starts an A4 document of the console with its fonts and first
// page. Fixed dates (at) keep the bytes a function of the data alone.
func newDoc(title string, at time.Time) (*page, error) {
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", SizeStr: "A4"})
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetProducer("Anjungan", false)
	pdf.SetCreator("Anjungan console", false)
	pdf.SetTitle(title, false)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin)
	for _, f := range []struct{ style, base string }{{"", "DejaVuSans"}, {"B", "DejaVuSans-Bold"}} {
		j, err := templates.FS.ReadFile("fonts/" + f.base + ".json")
		if err != nil {
			return nil, ErrReport.With(err)
		}
		z, err := templates.FS.ReadFile("fonts/" + f.base + ".z")
		if err != nil {
			return nil, ErrReport.With(err)
		}
		pdf.AddFontFromBytes("sans", f.style, j, z)
	}
	r := &page{pdf: pdf, tr: pdf.UnicodeTranslatorFromDescriptor("cp1252")}
	pdf.AddPage()
	return r, nil
}

// output returns the document's bytes, or the first error drawing it.
func (r *page) output() ([]byte, error) {
	if r.err == nil {
		r.err = r.pdf.Error()
	}
	if r.err != nil {
		return nil, ErrReport.With(r.err)
	}
	var b bytes.Buffer
	if err := r.pdf.Output(&b); err != nil {
		return nil, ErrReport.With(err)
	}
	return b.Bytes(), nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// page writes text lines and table rows, keeping the first error.
type page struct {
	pdf *fpdf.Fpdf
	tr  func(string) string
	err error
}

func (r *page) text(style string, size float64, s string) {
	r.pdf.SetFont("sans", style, size)
	r.pdf.CellFormat(contentW, size*0.5, r.tr(s), "", 1, "L", false, 0, "")
}

func (r *page) heading(s string) {
	r.pdf.Ln(1)
	r.text("B", 12, s)
	r.pdf.Ln(1)
}

// row writes a table row; in a numeric table every column but the first
// is right-aligned, heading included.
func (r *page) row(head, numeric bool, widths []float64, cells ...string) {
	style := ""
	if head {
		style = "B"
	}
	r.pdf.SetFont("sans", style, 9)
	for i, c := range cells {
		align := "L"
		if numeric && i > 0 {
			align = "R"
		}
		border := ""
		if head {
			border = "B"
		}
		r.pdf.CellFormat(widths[i], lineH, r.tr(c), border, 0, align, false, 0, "")
	}
	r.pdf.Ln(lineH)
	if r.err == nil {
		r.err = r.pdf.Error()
	}
}

// chart draws prints per hour as vector bars, 00 to 23, with the highest
// count written on the axis so the bars can be read.
func chart(r *page, hourly [24]int) {
	pdf := r.pdf
	const h = 50.0
	x0, y0 := margin+10, pdf.GetY()
	barW := (contentW - 10) / 24
	top := 0
	for _, n := range hourly {
		top = max(top, n)
	}
	scale := 0.0
	if top > 0 {
		scale = (h - 6) / float64(top)
	}
	base := y0 + h
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.2)
	pdf.Line(x0, y0, x0, base)
	pdf.Line(x0, base, x0+24*barW, base)
	pdf.SetFont("sans", "", 7)
	pdf.SetXY(margin, y0)
	pdf.CellFormat(9, 3, itoa(top), "", 0, "R", false, 0, "")
	pdf.SetXY(margin, base-3)
	pdf.CellFormat(9, 3, "0", "", 0, "R", false, 0, "")
	pdf.SetFillColor(40, 90, 160)
	for i, n := range hourly {
		x := x0 + float64(i)*barW
		if n > 0 {
			bh := float64(n) * scale
			pdf.Rect(x+0.6, base-bh, barW-1.2, bh, "F")
			pdf.SetXY(x, base-bh-3.2)
			pdf.CellFormat(barW, 3, itoa(n), "", 0, "C", false, 0, "")
		}
		pdf.SetXY(x, base+0.5)
		pdf.CellFormat(barW, 3, fmt.Sprintf("%02d", i), "", 0, "C", false, 0, "")
	}
	pdf.SetXY(margin, base+4)
	pdf.Ln(1)
}

// words are the report's labels in lang.
func words(lang string) map[string]string {
	if lang == "en" {
		return map[string]string{
			"title": "Daily report", "generated": "generated", "prints": "Print jobs by document type and outcome",
			"document": "Document", "printed": "Printed", "failed": "Failed/canceled", "in_doubt": "In doubt", "held": "Held/queued",
			"total": "Total", "per_hour": "Prints per hour", "problems": "Failures, in-doubt jobs and resolutions",
			"job": "Job", "state": "State", "reason": "Reason / resolution", "printer": "Printer", "card_serial": "Card serial",
			"none": "None.", "cards": "Blank cards", "loaded": "Loaded", "used": "Used", "spoiled": "Spoiled", "voided": "Voided",
			"balance": "Balance", "cards_note": "Running totals of printerd's ledger when the report was generated.",
			"logs": "Audit logs (latest checkpoint)", "size": "size", "root": "root hash",
			"partial":           "Incomplete: printerd lists at most 1000 jobs at once and this day has more; counts may be low.",
			"log_no_checkpoint": "no checkpoint yet", "log_unreadable": "checkpoint unreadable", "log_unreachable": "printerd unreachable",
		}
	}
	return map[string]string{
		"title": "Laporan harian", "generated": "dibuat", "prints": "Pekerjaan cetak menurut jenis dokumen dan hasil",
		"document": "Dokumen", "printed": "Tercetak", "failed": "Gagal/batal", "in_doubt": "Tidak pasti", "held": "Ditahan/antre",
		"total": "Jumlah", "per_hour": "Cetakan per jam", "problems": "Kegagalan, pekerjaan tidak pasti dan keputusannya",
		"job": "Pekerjaan", "state": "Status", "reason": "Alasan / keputusan", "printer": "Printer", "card_serial": "Seri kartu",
		"none": "Tidak ada.", "cards": "Blanko kartu", "loaded": "Dimuat", "used": "Terpakai", "spoiled": "Rusak", "voided": "Dibatalkan",
		"balance": "Saldo", "cards_note": "Jumlah berjalan buku blanko printerd saat laporan dibuat.",
		"logs": "Log audit (checkpoint terakhir)", "size": "ukuran", "root": "hash akar",
		"partial":           "Tidak lengkap: printerd mencantumkan paling banyak 1000 pekerjaan sekaligus dan hari ini lebih banyak; jumlah mungkin kurang.",
		"log_no_checkpoint": "belum ada checkpoint", "log_unreadable": "checkpoint tidak terbaca", "log_unreachable": "printerd tidak terjangkau",
	}
}
