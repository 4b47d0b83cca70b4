// Package report writes the hub's monthly blank-card report
// (fleet.BlankReport) as CSV and PDF (docs/fleet.md, Blank-card reports).
package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/anjungan/anjungan/fleet"
)

// CSVColumns are the CSV's columns, in order: its header row. docs/fleet.md
// lists each (TestCSVColumnsDocumented).
var CSVColumns = []string{"record", "month", "zone", "province", "regency", "kiosk", "kiosk_name", "printer",
	"reported", "opening", "loaded", "printed", "spoiled", "reversed", "closing", "expected", "difference",
	"reconciled", "destroyed", "counter_difference", "scope", "hub", "generated_at"}

// Record types of the CSV's first column.
const (
	RecordPrinter  = "printer"  // one kiosk's card printer
	RecordRegency  = "regency"  // a regency's subtotal
	RecordProvince = "province" // a province's subtotal (by=province)
	RecordTotal    = "total"    // the report's total
)

// WriteCSV writes r: a header row, then each regency's printer rows and
// its subtotal (by province: each province's regencies, then the
// province's subtotal), then the total.
func WriteCSV(w io.Writer, r fleet.BlankReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(CSVColumns)
	month, scope, gen := r.Query.MonthString(), r.Scope.String(), r.Generated.UTC().Format(time.RFC3339)
	rec := func(kind, zone, province, regency, kiosk, name, printer, reported string, f fleet.Figures) {
		yes := "yes"
		if !f.Reconciled() {
			yes = "no"
		}
		_ = cw.Write([]string{kind, month, zone, province, regency, kiosk, name, printer, reported,
			itoa(f.Opening), itoa(f.Loaded), itoa(f.Printed), itoa(f.Spoiled), itoa(f.Reversed), itoa(f.Closing),
			itoa(f.Expected()), itoa(f.Difference()), yes, itoa(f.Destroyed), itoa(f.CounterDiff), scope, r.Hub, gen})
	}
	regency := func(g fleet.ReportGroup) {
		province := ""
		for _, row := range g.Rows {
			reported := "yes"
			if !row.Reported {
				reported = "no"
			}
			province = row.Province
			rec(RecordPrinter, row.Zone.Name, row.Province, row.Regency, row.ID, row.Name, row.Printer, reported, row.Figures)
		}
		rec(RecordRegency, fleet.ZoneOf(province).Name, province, g.Code, "", "", "", "", g.Total)
	}
	for _, g := range r.Groups {
		if r.Query.By == fleet.ByProvince {
			for _, h := range g.Groups {
				regency(h)
			}
			rec(RecordProvince, fleet.ZoneOf(g.Code).Name, g.Code, "", "", "", "", "", g.Total)
			continue
		}
		regency(g)
	}
	rec(RecordTotal, zoneNames(r.Zones), "", "", "", "", "", "", r.Total)
	cw.Flush()
	return cw.Error()
}

func zoneNames(zs []fleet.Zone) string {
	var names []string
	for _, z := range zs {
		names = append(names, z.Name)
	}
	return strings.Join(names, "+")
}

func itoa(n int) string { return strconv.Itoa(n) }
