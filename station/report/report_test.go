package report

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

var update = flag.Bool("update", false, "rewrite the golden PDFs testdata/<name>.pdf")

// mustTool finds a poppler program; without it the test is skipped, or
// fails under ANJUNGAN_REQUIRE_PEERS=1.
func mustTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			t.Fatalf("%s not on PATH and ANJUNGAN_REQUIRE_PEERS=1 (apt-get install poppler-utils)", name)
		}
		t.Skipf("%s not on PATH (apt-get install poppler-utils)", name)
	}
	return p
}

var jakarta = time.FixedZone("WIB", 7*3600)

// sampleDay is a day with prints in three hours, a failure, a job in
// doubt and a resolved one, plus jobs of the days before and after that
// must not count.
func sampleDay() Day {
	at := func(h, m int) time.Time { return time.Date(2025, 3, 1, h, m, 0, 0, jakarta) }
	jobs := []printerd.Job{
		{ID: "J01", Title: "KTP-el", State: printerd.JobPrinted, Printer: "card-1", CardSerial: "SIM-000001", Updated: at(8, 5)},
		{ID: "J02", Title: "KTP-el", State: printerd.JobPrinted, Printer: "card-1", CardSerial: "SIM-000002", Updated: at(8, 40)},
		{ID: "J03", Title: "KK", State: printerd.JobPrinted, Printer: "paper-1", Updated: at(8, 41)},
		{ID: "J04", Title: "KK", State: printerd.JobPrinted, Printer: "paper-1", Updated: at(13, 0)},
		{ID: "J05", Title: "KIA", State: printerd.JobPrinted, Printer: "card-1", Reason: printerd.ReasonConfirmed, CardSerial: "SIM-000004", Updated: at(23, 59)},
		{ID: "J06", Title: "KTP-el", State: printerd.JobFailed, Printer: "card-1", Reason: "media-jam", Updated: at(10, 0)},
		{ID: "J07", Title: "KTP-el", State: printerd.JobInDoubt, Printer: "card-1", Updated: at(11, 0)},
		{ID: "J08", Title: "KTP-el", State: printerd.JobFailed, Reason: printerd.ReasonVoided, CardSerial: "SIM-000003", Updated: at(11, 30)},
		{ID: "J09", Title: "KTP-el", State: printerd.JobPrinted, Updated: at(0, 0).Add(-time.Second)},              // the day before
		{ID: "J10", Title: "KTP-el", State: printerd.JobPrinted, Updated: at(24, 0)},                               // the day after
		{ID: "J11", Title: "KK", State: printerd.JobPrinted, Updated: time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)}, // 08:00 WIB
		{ID: "J12", Title: "KK", State: printerd.JobCanceled, Reason: "station", Updated: at(14, 0)},               // nothing came out: with the failures
	}
	ledger := []printerd.LedgerEntry{{Tally: printerd.Tally{Printer: "card-1", Loaded: 100, Printed: 3, Rejected: 1, Voided: 1}, Remaining: 95}}
	d := Summarize(at(12, 0), at(23, 59).Add(30*time.Second), jobs, ledger)
	d.Station = "anjungan.kiosk-01"
	d.Logs = []Log{
		LogOf("station", []byte("anjungan.kiosk-01/station/audit\n42\nAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n\n— anjungan.kiosk-01/station/audit sig\n")),
		LogOf("printerd", nil),
	}
	return d
}

func TestSummarize(t *testing.T) {
	d := sampleDay()
	want := map[string]DocumentCount{
		"KTP-el": {Title: "KTP-el", Printed: 2, Failed: 2, InDoubt: 1},
		"KK":     {Title: "KK", Printed: 3, Failed: 1},
		"KIA":    {Title: "KIA", Printed: 1},
	}
	if len(d.Prints) != len(want) {
		t.Fatalf("prints %+v", d.Prints)
	}
	for _, c := range d.Prints {
		if c != want[c.Title] {
			t.Errorf("%s: %+v, want %+v", c.Title, c, want[c.Title])
		}
	}
	hours := map[int]int{8: 4, 13: 1, 23: 1}
	for h, n := range d.Hourly {
		if n != hours[h] {
			t.Errorf("hour %02d: %d prints, want %d", h, n, hours[h])
		}
	}
	var jobs []string
	for _, p := range d.Problems {
		jobs = append(jobs, p.Job)
	}
	if got := strings.Join(jobs, " "); got != "J06 J07 J08 J12 J05" {
		t.Errorf("problems %s, want J06 J07 J08 J12 J05", got)
	}
	if l := d.Logs[0]; l.Size != 42 || l.Origin != "anjungan.kiosk-01/station/audit" || l.Err != "" {
		t.Errorf("station log %+v", l)
	}
	if d.Logs[1].Err == "" {
		t.Error("printerd with no checkpoint has no explanation")
	}
	if l := LogOf("x", []byte("garbage")); l.Err == "" {
		t.Errorf("an unreadable checkpoint reads as %+v", l)
	}
}

func TestPDF(t *testing.T) {
	pdfinfo, pdftotext := mustTool(t, "pdfinfo"), mustTool(t, "pdftotext")
	for _, lang := range []string{"id", "en"} {
		t.Run(lang, func(t *testing.T) {
			d := sampleDay()
			d.Lang = lang
			b, err := PDF(d)
			if err != nil {
				t.Fatal(err)
			}
			again, err := PDF(d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, again) {
				t.Error("the same day gave different bytes")
			}
			golden := filepath.Join("testdata", "day-"+lang+".pdf")
			if *update {
				if err := os.WriteFile(golden, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./station/report -update)", err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("PDF differs from %s (run go test ./station/report -update after checking it)", golden)
			}
			path := filepath.Join(t.TempDir(), "day.pdf")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			info, err := exec.Command(pdfinfo, path).CombinedOutput()
			if err != nil {
				t.Fatalf("pdfinfo: %v\n%s", err, info)
			}
			if !regexp.MustCompile(`Page size:\s+595(\.\d+)? x 841(\.\d+)? pts \(A4\)`).Match(info) {
				t.Errorf("pdfinfo: not A4:\n%s", info)
			}
			out, err := exec.Command(pdftotext, "-layout", path, "-").CombinedOutput()
			if err != nil {
				t.Fatalf("pdftotext: %v\n%s", err, out)
			}
			text := string(out)
			for _, re := range []string{
				`KTP-el\s+2\s+2\s+1\s+0\s+5`, `KK\s+3\s+1\s+0\s+0\s+4`, `KIA\s+1\s+0\s+0\s+0\s+1`,
				`J06\s+KTP-el\s+failed\s+media-jam`, `J05\s+KIA\s+printed\s+confirmed`, `J08\s+KTP-el\s+failed\s+voided`,
				`card-1\s+100\s+5\s+1\s+1\s+95`, `42\s+.*AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=`,
				`01-03-2025`,
			} {
				if !regexp.MustCompile(re).MatchString(text) {
					t.Errorf("report text lacks %s:\n%s", re, text)
				}
			}
			for _, h := range []string{"00", "08", "12", "23"} {
				if !strings.Contains(text, h) {
					t.Errorf("hour axis lacks %s", h)
				}
			}
		})
	}
}

// TestChartIsVector checks that the bars are drawn, not pictured: the page
// has no image and one filled rectangle per hour with prints.
func TestChartIsVector(t *testing.T) {
	d := sampleDay()
	d.Lang = "en"
	d.Hourly = [24]int{}
	empty, err := PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	d.Hourly[3], d.Hourly[4] = 7, 1
	bars, err := PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bars, []byte("/Subtype /Image")) {
		t.Error("the report holds an image")
	}
	if bytes.Equal(empty, bars) {
		t.Error("two bars changed nothing")
	}
}

func TestWordsComplete(t *testing.T) {
	id, en := words("id"), words("en")
	for k := range id {
		if en[k] == "" {
			t.Errorf("English lacks %q", k)
		}
	}
	for k := range en {
		if id[k] == "" {
			t.Errorf("Bahasa Indonesia lacks %q", k)
		}
	}
}
