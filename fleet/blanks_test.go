package fleet_test

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/fleet"
)

var now = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func TestParseReportQuery(t *testing.T) {
	for _, c := range []struct {
		month, by, format string
		want              fleet.ReportQuery
		err               error
	}{
		{"2026-11", "", "", fleet.ReportQuery{Year: 2026, Month: 11, By: fleet.ByRegency, Format: fleet.FormatPDF}, nil},
		{"2026-12", "province", "csv", fleet.ReportQuery{Year: 2026, Month: 12, By: fleet.ByProvince, Format: fleet.FormatCSV}, nil},
		{"2000-01", "regency", "pdf", fleet.ReportQuery{Year: 2000, Month: 1, By: fleet.ByRegency, Format: fleet.FormatPDF}, nil},
		{"2026-1", "", "", fleet.ReportQuery{}, fleet.ErrReportMonth},
		{"2026-11-01", "", "", fleet.ReportQuery{}, fleet.ErrReportMonth},
		{"2027-01", "", "", fleet.ReportQuery{}, fleet.ErrReportFuture},
		{"2026-11", "Regency", "", fleet.ReportQuery{}, fleet.ErrReportBy},
		{"2026-11", "", "PDF", fleet.ReportQuery{}, fleet.ErrReportFormat},
	} {
		q, err := fleet.ParseReportQuery(c.month, c.by, c.format, now)
		if !errors.Is(err, c.err) || (err == nil && q != c.want) {
			t.Errorf("%q %q %q: %+v %v, want %+v %v", c.month, c.by, c.format, q, err, c.want, c.err)
		}
	}
	// December begins in WIT (UTC+9) at 15:00 UTC on 30 November: from then on it may be asked for.
	if _, err := fleet.ParseReportQuery("2026-12", "", "", time.Date(2026, 11, 30, 14, 59, 59, 0, time.UTC)); !errors.Is(err, fleet.ErrReportFuture) {
		t.Errorf("December before it began anywhere: %v", err)
	}
	if _, err := fleet.ParseReportQuery("2026-12", "", "", time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("December once it began in WIT: %v", err)
	}
}

// Each corrupt query of testdata/report-query is refused with the error its name says.
func TestReportQueryFixtures(t *testing.T) {
	want := map[string]error{"month": fleet.ErrReportMonth, "by": fleet.ErrReportBy, "format": fleet.ErrReportFormat}
	files, _ := filepath.Glob("testdata/report-query/*.query")
	if len(files) < 5 {
		t.Fatalf("%d fixtures", len(files))
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := url.ParseQuery(strings.TrimSpace(string(b)))
		name := strings.TrimSuffix(filepath.Base(p), ".query")
		w := want[strings.SplitN(name, "-", 2)[0]]
		if name == "month-future" {
			w = fleet.ErrReportFuture
		}
		_, err = fleet.ParseReportQuery(v.Get("month"), v.Get("by"), v.Get("format"), now)
		if !errors.Is(err, w) {
			t.Errorf("%s: %v, want %v", name, err, w)
		}
	}
}

func FuzzParseReportQuery(f *testing.F) {
	f.Add("2026-11", "regency", "csv")
	f.Fuzz(func(t *testing.T, month, by, format string) {
		q, err := fleet.ParseReportQuery(month, by, format, now)
		if err != nil {
			var fe *fleet.Error
			if !errors.As(err, &fe) || fe.Code == "" {
				t.Fatalf("untyped error %v", err)
			}
			if len(err.Error()) > 300 {
				t.Fatalf("error message grows with the input: %d bytes", len(err.Error()))
			}
			return
		}
		if q.MonthString() != month || q.Month < 1 || q.Month > 12 {
			t.Fatalf("%q read as %+v", month, q)
		}
		if from, _ := q.MonthWindow(fleet.ZoneWIT); from.After(now) {
			t.Fatalf("future month %q accepted", month)
		}
	})
}

func TestZoneOf(t *testing.T) {
	for p, z := range map[string]fleet.Zone{"11": fleet.ZoneWIB, "31": fleet.ZoneWIB, "32": fleet.ZoneWIB, "61": fleet.ZoneWIB,
		"62": fleet.ZoneWIB, "51": fleet.ZoneWITA, "64": fleet.ZoneWITA, "73": fleet.ZoneWITA, "81": fleet.ZoneWIT, "91": fleet.ZoneWIT, "96": fleet.ZoneWIT} {
		if got := fleet.ZoneOf(p); got != z {
			t.Errorf("province %s: %v, want %v", p, got, z)
		}
	}
}

// The reconciliation: opening + received − printed − spoiled − reversed
// = closing; destructions and counter reconciliations move no card.
func TestFiguresReconcile(t *testing.T) {
	mv := func(kind string, count, balance int) fleet.LedgerMovement {
		return fleet.LedgerMovement{Kind: kind, Count: count, Balance: balance}
	}
	for _, c := range []struct {
		name    string
		opening int
		moves   []fleet.LedgerMovement
		diff    int
	}{
		{"nothing", 7, nil, 0},
		{"load and prints", 0, []fleet.LedgerMovement{mv("load", 50, 50), mv("print", 1, 49), mv("print", 1, 48)}, 0},
		{"spoil and reversal", 10, []fleet.LedgerMovement{mv("spoil", 1, 9), mv("load", 5, 14), mv("reversal", 5, 9)}, 0},
		{"destroy and reconcile move nothing", 9, []fleet.LedgerMovement{mv("destroy", 3, 9), mv("reconcile", 2, 9)}, 0},
		{"cards missing", 10, []fleet.LedgerMovement{mv("print", 1, 6)}, -3},
		{"cards appearing", 10, []fleet.LedgerMovement{mv("print", 1, 11)}, 2},
	} {
		f := fleet.Figures{Opening: c.opening, Closing: c.opening}
		for _, m := range c.moves {
			f.ApplyMovement(m)
		}
		if f.Difference() != c.diff || f.Reconciled() != (c.diff == 0) {
			t.Errorf("%s: %+v difference %d, want %d", c.name, f, f.Difference(), c.diff)
		}
	}
}

// Rows group by regency (and province), with subtotals that are the
// sums of their rows; a user's report holds only its scope's kiosks.
func TestBuildBlankReport(t *testing.T) {
	q := fleet.ReportQuery{Year: 2026, Month: 11, By: fleet.ByProvince, Format: fleet.FormatCSV}
	k := func(id, reg string) fleet.Kiosk { return fleet.Kiosk{ID: id, Regency: reg, Province: reg[:2]} }
	kiosks := map[fleet.Zone][]fleet.Kiosk{fleet.ZoneWIB: {k("a", "3273"), k("b", "3273"), k("c", "3275"), k("d", "3171")}}
	lm := fleet.LedgerMonth{
		Openings: []fleet.LedgerOpening{{Kiosk: "a", Printer: "p", Balance: 10}, {Kiosk: "c", Printer: "p", Balance: 5}},
		Movements: []fleet.LedgerMovement{{Kiosk: "a", Printer: "p", Seq: 2, Kind: "print", Count: 1, Balance: 9},
			{Kiosk: "b", Printer: "p", Seq: 1, Kind: "load", Count: 4, Balance: 4},
			{Kiosk: "c", Printer: "p", Seq: 9, Kind: "print", Count: 1, Balance: 3}},
		Reported: map[string]bool{"a": true, "b": true, "c": true},
	}
	r := fleet.BuildBlankReport(q, fleet.Scope{Kind: fleet.ScopeAll}, "hub", now, kiosks, map[fleet.Zone]fleet.LedgerMonth{fleet.ZoneWIB: lm})
	if len(r.Groups) != 2 || r.Groups[0].Code != "31" || r.Groups[1].Code != "32" || len(r.Groups[1].Groups) != 2 {
		t.Fatalf("groups %+v", r.Groups)
	}
	if g := r.Groups[1].Groups[0]; g.Code != "3273" || g.Total.Opening != 10 || g.Total.Closing != 13 || g.Total.Loaded != 4 || g.Total.Printed != 1 {
		t.Errorf("3273: %+v", g)
	}
	if r.Total.Closing != 16 || r.Total.Difference() != -1 || r.Flagged != 1 || r.Silent != 1 {
		t.Errorf("total %+v flagged %d silent %d", r.Total, r.Flagged, r.Silent)
	}
	if rows := r.Rows(); len(rows) != 4 || rows[0].ID != "d" || rows[0].Printer != "" || rows[0].Reported {
		t.Errorf("rows %+v", rows)
	}
}
