package fleet

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// The monthly blank-card report (docs/fleet.md, Blank-card reports): per
// kiosk and card printer, the month's opening balance, what came in and
// went out by ledger movement kind, the closing balance and the check that
// they add up, with subtotals per regency and province.

// Errors of a report request. The console answers them with 400.
var (
	ErrReportMonth = fault.New("report_month_invalid",
		"Bulan laporan tidak sah; tulis seperti 2026-11.",
		"The report's month is not valid; write it like 2026-11.")
	ErrReportFuture = fault.New("report_month_future",
		"Bulan laporan belum dimulai.",
		"The report's month has not begun yet.")
	ErrReportBy = fault.New("report_by_invalid",
		"Pengelompokan laporan harus regency atau province.",
		"The report's grouping must be regency or province.")
	ErrReportFormat = fault.New("report_format_invalid",
		"Format laporan harus pdf atau csv.",
		"The report's format must be pdf or csv.")
)

// ReportErrors lists the errors of ParseReportQuery, for the doc test.
var ReportErrors = []*Error{ErrReportMonth, ErrReportFuture, ErrReportBy, ErrReportFormat}

// ReportBy is how a report groups its kiosks.
type ReportBy string

// Groupings.
const (
	ByRegency  ReportBy = "regency"  // regency subtotals
	ByProvince ReportBy = "province" // regency and province subtotals
)

// Report formats.
const (
	FormatPDF = "pdf"
	FormatCSV = "csv"
)

// ReportQuery is a parsed request for a monthly report.
type ReportQuery struct {
	Year   int
	Month  time.Month
	By     ReportBy
	Format string
}

// MonthString is the query's month as "2006-01".
func (q ReportQuery) MonthString() string { return fmt.Sprintf("%04d-%02d", q.Year, int(q.Month)) }

var monthPattern = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})$`)

// ParseReportQuery reads a report request's month ("2026-11"), by
// ("regency", the default, or "province") and format ("pdf", the
// default, or "csv"). A month that has not begun at now in the
// earliest of Indonesia's time zones (WIT) is ErrReportFuture.
func ParseReportQuery(month, by, format string, now time.Time) (ReportQuery, error) {
	var q ReportQuery
	m := monthPattern.FindStringSubmatch(month)
	if m == nil {
		return q, ErrReportMonth.Withf("month %.20q", month)
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	if y < 2000 || mo < 1 || mo > 12 {
		return q, ErrReportMonth.Withf("month %q", month)
	}
	q.Year, q.Month = y, time.Month(mo)
	if time.Date(y, q.Month, 1, 0, 0, 0, 0, ZoneWIT.Location()).After(now) {
		return q, ErrReportFuture.Withf("month %q", month)
	}
	switch ReportBy(by) {
	case "", ByRegency:
		q.By = ByRegency
	case ByProvince:
		q.By = ByProvince
	default:
		return q, ErrReportBy.Withf("by %.20q", by)
	}
	switch format {
	case "", FormatPDF:
		q.Format = FormatPDF
	case FormatCSV:
		q.Format = FormatCSV
	default:
		return q, ErrReportFormat.Withf("format %.20q", format)
	}
	return q, nil
}

// Zone is one of Indonesia's three legal time zones (no daylight saving).
type Zone struct {
	Name   string // "WIB", "WITA", "WIT"
	Offset int    // hours east of UTC
}

// The legal time zones.
var (
	ZoneWIB  = Zone{"WIB", 7}
	ZoneWITA = Zone{"WITA", 8}
	ZoneWIT  = Zone{"WIT", 9}
)

// Location is the zone as a fixed time.Location.
func (z Zone) Location() *time.Location { return time.FixedZone(z.Name, z.Offset*3600) }

// String is "WIB (UTC+7)".
func (z Zone) String() string { return fmt.Sprintf("%s (UTC+%d)", z.Name, z.Offset) }

// ZoneOf is the legal time zone of a province (its two-digit code): WITA
// for Bali, Nusa Tenggara, South, East and North Kalimantan and Sulawesi;
// WIT for Maluku and Papua; WIB for the rest (Sumatra, Java, West and
// Central Kalimantan, and any code not known here).
func ZoneOf(province string) Zone {
	switch province {
	case "51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76":
		return ZoneWITA
	case "81", "82", "91", "92", "93", "94", "95", "96", "97":
		return ZoneWIT
	}
	return ZoneWIB
}

// MonthWindow is the month of q in zone z: from its first midnight to the next month's.
func (q ReportQuery) MonthWindow(z Zone) (from, until time.Time) {
	from = time.Date(q.Year, q.Month, 1, 0, 0, 0, 0, z.Location())
	return from, from.AddDate(0, 1, 0)
}

// LedgerMovement is one stored blank_movement.
type LedgerMovement struct {
	Kiosk   string
	Printer string
	Seq     uint64 // the event's seq: the ledger's order
	At      time.Time
	Kind    string
	Count   int
	Balance int
}

// LedgerOpening is a printer's balance before a month: its latest
// movement's balance.
type LedgerOpening struct {
	Kiosk   string
	Printer string
	Balance int
}

// LedgerMonth is what the store holds of some kiosks' ledgers for one window.
type LedgerMonth struct {
	Openings  []LedgerOpening
	Movements []LedgerMovement // in the window, by kiosk, printer, seq
	Reported  map[string]bool  // kiosks with any event in the window
}

// BlankReportStore reads what a report needs; fleet/postgres implements it.
type BlankReportStore interface {
	// Kiosks returns every enrolled kiosk, revoked ones included.
	Kiosks(ctx context.Context) ([]Kiosk, error)
	// LedgerMonth returns, for the kiosks ids, the balances before from,
	// the movements in [from, until) and which kiosks sent any event in it
	// (by the events' time on the kiosk's clock).
	LedgerMonth(ctx context.Context, ids []string, from, until time.Time) (LedgerMonth, error)
}

// Figures are a ledger's month, or a sum of them. Loaded adds cards;
// Printed, Spoiled and Reversed take them out; Destroyed (spoiled cards
// destroyed) and CounterDiff (reconciliations with the printer's counter)
// move none and are shown as they are.
type Figures struct {
	Opening     int
	Loaded      int
	Printed     int
	Spoiled     int
	Reversed    int
	Destroyed   int
	CounterDiff int
	Closing     int
}

// Expected is the closing balance the movements give: opening + loaded −
// printed − spoiled − reversed.
func (f Figures) Expected() int { return f.Opening + f.Loaded - f.Printed - f.Spoiled - f.Reversed }

// Difference is the reported closing balance less the expected: anything
// but 0 is flagged.
func (f Figures) Difference() int { return f.Closing - f.Expected() }

// Reconciled reports whether the figures add up.
func (f Figures) Reconciled() bool { return f.Difference() == 0 }

func (f *Figures) add(g Figures) {
	f.Opening += g.Opening
	f.Loaded += g.Loaded
	f.Printed += g.Printed
	f.Spoiled += g.Spoiled
	f.Reversed += g.Reversed
	f.Destroyed += g.Destroyed
	f.CounterDiff += g.CounterDiff
	f.Closing += g.Closing
}

// ApplyMovement adds one movement to f and sets the closing balance to
// the balance after it.
func (f *Figures) ApplyMovement(m LedgerMovement) {
	switch m.Kind {
	case "load":
		f.Loaded += m.Count
	case "print":
		f.Printed += m.Count
	case "spoil":
		f.Spoiled += m.Count
	case "reversal":
		f.Reversed += m.Count
	case "destroy":
		f.Destroyed += m.Count
	case "reconcile":
		f.CounterDiff += m.Count
	}
	f.Closing = m.Balance
}

// ReportRow is one kiosk's card printer in the month. A kiosk with no
// card printer in its ledger has one row with Printer "".
type ReportRow struct {
	Kiosk
	Printer  string
	Reported bool // the kiosk sent any event in the month
	Zone     Zone
	Figures
}

// ReportGroup is a regency's or a province's rows and their subtotal.
type ReportGroup struct {
	Code   string // the regency's or province's code
	Rows   []ReportRow
	Total  Figures
	Groups []ReportGroup // a province's regencies
}

// BlankReport is a monthly blank-card report for one user.
type BlankReport struct {
	Query     ReportQuery
	Scope     Scope
	Hub       string // the hub's identity
	Generated time.Time
	Zones     []Zone        // the time zones of the months shown
	Complete  bool          // the month was over when generated
	Groups    []ReportGroup // by province (ByProvince) or by regency
	Total     Figures
	Flagged   int // rows whose figures do not add up
	Silent    int // kiosks that sent nothing in the month
}

// Rows is every row of the report, in order.
func (r BlankReport) Rows() []ReportRow {
	var out []ReportRow
	for _, g := range r.Groups {
		out = append(out, g.Rows...)
		for _, h := range g.Groups {
			out = append(out, h.Rows...)
		}
	}
	return out
}

// MonthlyBlanks builds the report of q for a user of scope sc: the kiosks
// sc sees that were enrolled before the month ended and not revoked
// before it began, each over its province's month.
func MonthlyBlanks(ctx context.Context, st BlankReportStore, q ReportQuery, sc Scope, hub string, now time.Time) (BlankReport, error) {
	kiosks, err := st.Kiosks(ctx)
	if err != nil {
		return BlankReport{}, err
	}
	byZone := map[Zone][]Kiosk{}
	for _, k := range kiosks {
		if !sc.Sees(k.ID, k.Regency, k.Province) {
			continue
		}
		z := ZoneOf(k.Province)
		from, until := q.MonthWindow(z)
		if !k.EnrolledAt.Before(until) || (k.RevokedAt != nil && k.RevokedAt.Before(from)) {
			continue
		}
		byZone[z] = append(byZone[z], k)
	}
	months := map[Zone]LedgerMonth{}
	for z, ks := range byZone {
		ids := make([]string, len(ks))
		for i, k := range ks {
			ids[i] = k.ID
		}
		from, until := q.MonthWindow(z)
		lm, err := st.LedgerMonth(ctx, ids, from, until)
		if err != nil {
			return BlankReport{}, err
		}
		months[z] = lm
	}
	return BuildBlankReport(q, sc, hub, now, byZone, months), nil
}

// BuildBlankReport computes the report from each zone's kiosks and ledger month.
func BuildBlankReport(q ReportQuery, sc Scope, hub string, now time.Time, kiosks map[Zone][]Kiosk, months map[Zone]LedgerMonth) BlankReport {
	r := BlankReport{Query: q, Scope: sc, Hub: hub, Generated: now, Complete: true}
	var rows []ReportRow
	for z, ks := range kiosks {
		r.Zones = append(r.Zones, z)
		if _, until := q.MonthWindow(z); until.After(now) {
			r.Complete = false
		}
		lm := months[z]
		type key struct{ kiosk, printer string }
		figs := map[key]*Figures{}
		printers := map[string][]string{}
		get := func(k key) *Figures {
			f := figs[k]
			if f == nil {
				f = &Figures{}
				figs[k] = f
				printers[k.kiosk] = append(printers[k.kiosk], k.printer)
			}
			return f
		}
		for _, o := range lm.Openings {
			f := get(key{o.Kiosk, o.Printer})
			f.Opening, f.Closing = o.Balance, o.Balance
		}
		mv := append([]LedgerMovement(nil), lm.Movements...)
		sort.SliceStable(mv, func(i, j int) bool { return mv[i].Seq < mv[j].Seq })
		for _, m := range mv {
			get(key{m.Kiosk, m.Printer}).ApplyMovement(m)
		}
		for _, k := range ks {
			ps := printers[k.ID]
			sort.Strings(ps)
			if len(ps) == 0 {
				ps = []string{""}
			}
			for _, p := range ps {
				row := ReportRow{Kiosk: k, Printer: p, Reported: lm.Reported[k.ID], Zone: z}
				if f := figs[key{k.ID, p}]; f != nil {
					row.Figures = *f
				}
				rows = append(rows, row)
			}
		}
	}
	sort.Slice(r.Zones, func(i, j int) bool { return r.Zones[i].Offset < r.Zones[j].Offset })
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Province != b.Province {
			return a.Province < b.Province
		}
		if a.Regency != b.Regency {
			return a.Regency < b.Regency
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Printer < b.Printer
	})
	silent := map[string]bool{}
	for _, row := range rows {
		r.Total.add(row.Figures)
		if !row.Reconciled() {
			r.Flagged++
		}
		if !row.Reported {
			silent[row.ID] = true
		}
	}
	r.Silent = len(silent)
	r.Groups = groupRows(rows, func(k ReportRow) string { return k.Regency })
	if q.By == ByProvince {
		r.Groups = groupRows(rows, func(k ReportRow) string { return k.Province })
		for i := range r.Groups {
			r.Groups[i].Groups = groupRows(r.Groups[i].Rows, func(k ReportRow) string { return k.Regency })
			r.Groups[i].Rows = nil
		}
	}
	return r
}

// groupRows splits sorted rows into runs of the same code, with their totals.
func groupRows(rows []ReportRow, code func(ReportRow) string) []ReportGroup {
	var out []ReportGroup
	for _, row := range rows {
		c := code(row)
		if len(out) == 0 || out[len(out)-1].Code != c {
			out = append(out, ReportGroup{Code: c})
		}
		g := &out[len(out)-1]
		g.Rows = append(g.Rows, row)
		g.Total.add(row.Figures)
	}
	return out
}
