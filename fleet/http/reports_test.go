package http_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/fleet/report"
)

// move is one blank-card movement a test kiosk reports, at a given time.
type move struct {
	kiosk, printer string
	at             time.Time
	kind           string
	count, balance int
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

// reportMoves straddle November 2026's boundaries: in Bandung and Bekasi
// (WIB, UTC+7) the month runs from 2026-10-31 17:00 to 2026-11-30 17:00
// UTC, in Makassar (WITA, UTC+8) from 16:00 to 16:00. Bekasi's card-2
// loses three cards the ledger does not account for; Jakarta sends
// nothing in November.
var reportMoves = []move{
	{"bdg-01", "card-1", utc("2026-10-20 03:00:00"), "load", 50, 50},
	{"bdg-01", "card-1", utc("2026-10-31 16:59:59"), "print", 1, 49},
	{"bdg-01", "card-1", utc("2026-10-31 17:00:00"), "load", 100, 149},
	{"bdg-01", "card-1", utc("2026-11-10 02:00:00"), "print", 1, 148},
	{"bdg-01", "card-1", utc("2026-11-10 02:10:00"), "print", 1, 147},
	{"bdg-01", "card-1", utc("2026-11-10 02:20:00"), "print", 1, 146},
	{"bdg-01", "card-1", utc("2026-11-10 02:30:00"), "print", 1, 145},
	{"bdg-01", "card-1", utc("2026-11-10 02:40:00"), "print", 1, 144},
	{"bdg-01", "card-1", utc("2026-11-12 04:00:00"), "spoil", 1, 143},
	{"bdg-01", "card-1", utc("2026-11-12 04:05:00"), "spoil", 1, 142},
	{"bdg-01", "card-1", utc("2026-11-15 01:00:00"), "load", 20, 162},
	{"bdg-01", "card-1", utc("2026-11-15 01:30:00"), "reversal", 20, 142},
	{"bdg-01", "card-1", utc("2026-11-20 06:00:00"), "destroy", 2, 142},
	{"bdg-01", "card-1", utc("2026-11-30 16:59:59"), "print", 1, 141},
	{"bdg-01", "card-1", utc("2026-11-30 17:00:00"), "print", 1, 140},
	{"bks-01", "card-1", utc("2026-11-05 03:00:00"), "load", 30, 30},
	{"bks-01", "card-1", utc("2026-11-06 03:00:00"), "print", 1, 29},
	{"bks-01", "card-1", utc("2026-11-06 04:00:00"), "print", 1, 28},
	{"bks-01", "card-2", utc("2026-11-07 03:00:00"), "load", 10, 10},
	{"bks-01", "card-2", utc("2026-11-08 03:00:00"), "print", 1, 9},
	{"bks-01", "card-2", utc("2026-11-09 03:00:00"), "print", 1, 5},
	{"bks-01", "card-2", utc("2026-11-09 05:00:00"), "reconcile", 3, 5},
	{"jkt-01", "card-1", utc("2026-10-15 03:00:00"), "load", 40, 40},
	{"mks-01", "card-1", utc("2026-10-31 16:00:00"), "load", 10, 10},
	{"mks-01", "card-1", utc("2026-11-30 15:59:59"), "print", 1, 9},
	{"mks-01", "card-1", utc("2026-11-30 16:00:00"), "print", 1, 8},
}

// offsets are the test's own idea of each kiosk's time zone.
var offsets = map[string]int{"bdg-01": 7, "bks-01": 7, "jkt-01": 7, "mks-01": 8}

// wantNovember computes each (kiosk, printer)'s November figures from
// reportMoves alone: the report must agree.
func wantNovember() map[string]fleet.Figures {
	out := map[string]fleet.Figures{}
	for _, m := range reportMoves {
		from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(-time.Duration(offsets[m.kiosk]) * time.Hour)
		until := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(-time.Duration(offsets[m.kiosk]) * time.Hour)
		k := m.kiosk + "/" + m.printer
		f := out[k]
		switch {
		case m.at.Before(from):
			f.Opening, f.Closing = m.balance, m.balance
		case m.at.Before(until):
			f.Closing = m.balance
			switch m.kind {
			case "load":
				f.Loaded += m.count
			case "print":
				f.Printed += m.count
			case "spoil":
				f.Spoiled += m.count
			case "reversal":
				f.Reversed += m.count
			case "destroy":
				f.Destroyed += m.count
			case "reconcile":
				f.CounterDiff += m.count
			}
		}
		out[k] = f
	}
	return out
}

// mustReportRig is the console rig with a kiosk in Makassar and
// reportMoves ingested through the hub's ingest.
func mustReportRig(t *testing.T) *consoleRig {
	t.Helper()
	r := mustConsole(t)
	if err := r.store.Enrol(context.Background(), fleet.Kiosk{ID: "mks-01", Name: "MPP Makassar", Regency: "7371", Province: "73", EnrolledAt: t0.Add(-90 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, m := range reportMoves {
		d, _ := json.Marshal(fleet.BlankMovement{Printer: m.printer, Kind: m.kind, Count: m.count, Balance: m.balance})
		r.seq[m.kiosk]++
		b := fleet.Batch{Stream: fleet.StreamPrinterd, Events: []fleet.Event{{Seq: r.seq[m.kiosk], At: m.at, Kind: fleet.KindBlankMovement, Data: d}}}
		if _, err := r.store.Ingest(context.Background(), m.kiosk, b); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

// The CSV's figures are the movements' sums, per printer, regency,
// province and in total, and a user gets no row outside its scope.
func TestBlankReportCSV(t *testing.T) {
	r := mustReportRig(t)
	want := wantNovember()
	sees := map[string][]string{"menteri": {"bdg-01", "bks-01", "jkt-01", "mks-01"}, "jabar": {"bdg-01", "bks-01"},
		"bandung": {"bdg-01"}, "jakarta": {"jkt-01"}}
	for user, kiosks := range sees {
		c := r.mustLogin(t, user)
		for _, by := range []string{"regency", "province"} {
			t.Run(user+"/"+by, func(t *testing.T) {
				resp, body := r.get(t, "/reports/blanks?month=2026-11&format=csv&by="+by, c)
				if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
					t.Fatalf("%s %s", resp.Status, body)
				}
				recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				col := map[string]int{}
				for i, h := range recs[0] {
					col[h] = i
				}
				figs := func(rec []string) fleet.Figures {
					return fleet.Figures{Opening: atoiT(t, rec[col["opening"]]), Loaded: atoiT(t, rec[col["loaded"]]),
						Printed: atoiT(t, rec[col["printed"]]), Spoiled: atoiT(t, rec[col["spoiled"]]),
						Reversed: atoiT(t, rec[col["reversed"]]), Destroyed: atoiT(t, rec[col["destroyed"]]),
						CounterDiff: atoiT(t, rec[col["counter_difference"]]), Closing: atoiT(t, rec[col["closing"]])}
				}
				got := map[string]bool{}
				var total fleet.Figures
				sub := map[string]fleet.Figures{} // "regency:3273", "province:32"
				for _, rec := range recs[1:] {
					f := figs(rec)
					if rec[col["month"]] != "2026-11" || rec[col["scope"]] == "" || rec[col["hub"]] != "test hub" {
						t.Errorf("row %v: month, scope or hub", rec)
					}
					// The reconciliation, written out here rather than taken from fleet.Figures.
					expected := f.Opening + f.Loaded - f.Printed - f.Spoiled - f.Reversed
					if e, d := atoiT(t, rec[col["expected"]]), atoiT(t, rec[col["difference"]]); e != expected || d != f.Closing-expected || (d == 0) != (rec[col["reconciled"]] == "yes") {
						t.Errorf("row %v: expected %d difference %d, want %d and %d", rec, e, d, expected, f.Closing-expected)
					}
					switch rec[col["record"]] {
					case report.RecordPrinter:
						k := rec[col["kiosk"]] + "/" + rec[col["printer"]]
						if !strings.Contains(strings.Join(kiosks, " "), rec[col["kiosk"]]) {
							t.Errorf("%s sees %s", user, k)
						}
						if f != want[k] {
							t.Errorf("%s: %+v, want %+v", k, f, want[k])
						}
						if rep := rec[col["reported"]] == "yes"; rep == (rec[col["kiosk"]] == "jkt-01") {
							t.Errorf("%s reported %v", k, rep)
						}
						got[k] = true
						total = add(total, f)
						for _, s := range []string{"regency:" + rec[col["regency"]], "province:" + rec[col["province"]]} {
							sub[s] = add(sub[s], f)
						}
					case report.RecordRegency:
						if s := "regency:" + rec[col["regency"]]; f != sub[s] {
							t.Errorf("%s: %+v, want %+v", s, f, sub[s])
						}
					case report.RecordProvince:
						if by != "province" {
							t.Errorf("a province subtotal in a report by regency: %v", rec)
						}
						if s := "province:" + rec[col["province"]]; f != sub[s] {
							t.Errorf("%s: %+v, want %+v", s, f, sub[s])
						}
					case report.RecordTotal:
						if f != total {
							t.Errorf("total %+v, want %+v", f, total)
						}
					default:
						t.Errorf("record %q", rec[0])
					}
				}
				var wantKeys, gotKeys []string
				for k := range want {
					if strings.Contains(strings.Join(kiosks, " "), strings.Split(k, "/")[0]) {
						wantKeys = append(wantKeys, k)
					}
				}
				for k := range got {
					gotKeys = append(gotKeys, k)
				}
				sort.Strings(wantKeys)
				sort.Strings(gotKeys)
				if strings.Join(gotKeys, " ") != strings.Join(wantKeys, " ") {
					t.Errorf("rows %v, want %v", gotKeys, wantKeys)
				}
				for _, other := range []string{"bdg-01", "bks-01", "jkt-01", "mks-01", "3273", "3275", "3171", "7371"} {
					mine := false
					for _, k := range kiosks {
						mine = mine || k == other || map[string]string{"bdg-01": "3273", "bks-01": "3275", "jkt-01": "3171", "mks-01": "7371"}[k] == other
					}
					if !mine && strings.Contains(body, other) {
						t.Errorf("%s's report mentions %s", user, other)
					}
				}
			})
		}
	}
	if b, k := want["bks-01/card-2"], want["bdg-01/card-1"]; b.Closing-(b.Opening+b.Loaded-b.Printed) != -3 || k.Closing != k.Opening+k.Loaded-k.Printed-k.Spoiled-k.Reversed {
		t.Fatal("the fixture should have one printer that does not reconcile")
	}
}

func add(a, b fleet.Figures) fleet.Figures {
	return fleet.Figures{Opening: a.Opening + b.Opening, Loaded: a.Loaded + b.Loaded, Printed: a.Printed + b.Printed,
		Spoiled: a.Spoiled + b.Spoiled, Reversed: a.Reversed + b.Reversed, Destroyed: a.Destroyed + b.Destroyed,
		CounterDiff: a.CounterDiff + b.CounterDiff, Closing: a.Closing + b.Closing}
}

var updateShot = os.Getenv("ANJUNGAN_UPDATE_SCREENSHOT") != ""

// The PDF, read back by poppler, holds the month, scope, hub and the
// figures; its fonts are embedded; a regency's user's PDF names no other
// regency's kiosk.
func TestBlankReportPDF(t *testing.T) {
	r := mustReportRig(t)
	dir := t.TempDir()
	fetch := func(user, by, lang string) string {
		c := r.mustLogin(t, user)
		resp, body := r.get(t, "/reports/blanks?month=2026-11&format=pdf&by="+by+"&lang="+lang, c)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("%s: %s", user, resp.Status)
		}
		p := filepath.Join(dir, user+"-"+by+"-"+lang+".pdf")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	all := fetch("menteri", "province", "en")
	text := run("pdftotext", "-layout", all, "-")
	want := wantNovember()
	for _, s := range []string{"Monthly blank-card report 2026-11", "Scope: all", "test hub", "2026-12-01 08:00:00 UTC",
		"WIB (UTC+7) 2026-11-01 00:00", "WITA (UTC+8) 2026-11-01 00:00", "Province 32", "Province 73", "Regency/city 3273",
		"sent nothing this month"} {
		if !strings.Contains(text, s) {
			t.Errorf("the PDF lacks %q:\n%s", s, text)
		}
	}
	// Each printer's row: its figures in the columns' order.
	for k, f := range want {
		line := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(strings.Replace(k, "/", " / ", 1)) + `\s+(.*)$`).FindStringSubmatch(text)
		if line == nil {
			t.Errorf("no row for %s", k)
			continue
		}
		expected := f.Opening + f.Loaded - f.Printed - f.Spoiled - f.Reversed
		diff := strconv.Itoa(f.Closing - expected)
		if f.Closing != expected {
			diff = "! " + diff
		}
		wantCells := fmt.Sprintf("%d %d %d %d %d %d %d %s %d %d", f.Opening, f.Loaded, f.Printed, f.Spoiled, f.Reversed,
			f.Closing, expected, diff, f.Destroyed, f.CounterDiff)
		if got := strings.Join(strings.Fields(line[1]), " "); got != wantCells {
			t.Errorf("%s: %q, want %q", k, got, wantCells)
		}
	}
	if info := run("pdfinfo", all); !regexp.MustCompile(`(?m)^Pages:\s+[1-9]`).MatchString(info) {
		t.Errorf("pdfinfo: %s", info)
	}
	fonts := run("pdffonts", all)
	for _, l := range strings.Split(fonts, "\n")[2:] {
		if l != "" && !strings.Contains(l, " yes ") {
			t.Errorf("a font not embedded: %s", l)
		}
	}
	if !strings.Contains(fonts, "DejaVu") {
		t.Errorf("pdffonts: %s", fonts)
	}
	bdg := run("pdftotext", "-layout", fetch("bandung", "regency", "id"), "-")
	if !strings.Contains(bdg, "Laporan bulanan blanko kartu 2026-11") || !strings.Contains(bdg, "bdg-01") {
		t.Errorf("Bandung's report:\n%s", bdg)
	}
	for _, other := range []string{"bks-01", "jkt-01", "mks-01", "3275", "3171", "7371"} {
		if strings.Contains(bdg, other) {
			t.Errorf("Bandung's report names %s", other)
		}
	}
	if updateShot {
		run("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", all, "../../docs/fleet/blank-report")
	}
}

// A bad query is 400 with its code; signed out is a redirect to the login.
func TestBlankReportRefusals(t *testing.T) {
	r := mustConsole(t)
	c := r.mustLogin(t, "menteri")
	for q, code := range map[string]string{
		"month=2026-13":              "report_month_invalid",
		"month=november":             "report_month_invalid",
		"month=2027-01":              "report_month_future",
		"month=2026-11&by=kecamatan": "report_by_invalid",
		"month=2026-11&format=xlsx":  "report_format_invalid",
	} {
		resp, body := r.get(t, "/reports/blanks?lang=en&"+q, c)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Error-Code") != code || !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: %s %s, want 400 %s", q, resp.Status, resp.Header.Get("X-Error-Code"), code)
		}
	}
	resp, _ := r.get(t, "/reports/blanks?month=2026-11", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("signed out: %s", resp.Status)
	}
	resp, body := r.get(t, "/reports?lang=id", c)
	if resp.StatusCode != 200 || !strings.Contains(body, "month=2026-11&amp;by=province&amp;format=csv") || !strings.Contains(body, "Laporan bulanan blanko kartu") {
		t.Errorf("reports page: %s\n%s", resp.Status, body)
	}
	if _, body := r.get(t, "/reports?lang=en", c); !strings.Contains(body, "Monthly blank-card reports") {
		t.Errorf("reports page in English:\n%s", body)
	}
}
