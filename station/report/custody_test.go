package report

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

var sampleHall = station.Hall{Name: "MPP Kota Makassar", KioskID: "ADM-7371-02", Zone: station.WITA}

// sampleDestruction was confirmed at 23:30 UTC on 30-11-2026, which is
// already 01-12-2026 in Makassar (WITA, UTC+8).
func sampleDestruction() printerd.Destruction {
	at := time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC)
	return printerd.Destruction{ID: "DABCDEFGHIJKL", Printer: "card-1", State: printerd.DestructionConfirmed,
		ProposedBy: "sari", Proposed: at.Add(-5 * time.Minute), ConfirmedBy: "budi", Confirmed: at,
		Cards: []printerd.SpoiledCard{
			{Seq: 1, Cause: printerd.CauseEncode, CardSerial: "SIM-000005"},
			{Seq: 2, Cause: printerd.CausePrint},
			{Seq: 3, Cause: printerd.CauseDamaged, CardSerial: "KTP0007"},
			{Seq: 4, Cause: printerd.CauseDamaged, CardSerial: "KTP0006"},
			{Seq: 5, Cause: printerd.CauseDataChange, CardSerial: "SIM-000002"},
		}}
}

func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	pdftotext := mustTool(t, "pdftotext")
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}

func mustMatch(t *testing.T, text string, res ...string) {
	t.Helper()
	for _, re := range res {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("text lacks %s:\n%s", re, text)
		}
	}
}

func TestBeritaAcara(t *testing.T) {
	d := sampleDestruction()
	b, err := BeritaAcara(sampleHall, d)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := BeritaAcara(sampleHall, d); !bytes.Equal(b, again) {
		t.Error("the same destruction gave different bytes")
	}
	text := pdfText(t, b)
	mustMatch(t, text, `BERITA ACARA PEMUSNAHAN`, `DABCDEFGHIJKL`, `MPP Kota Makassar`, `ADM-7371-02`,
		`Tanggal / Date\s+01-12-2026`, `07:30 WITA`, `Gagal encode / Encoding failed\s+1\s+SIM-000005`,
		`Gagal cetak / Printing failed\s+1\s+1 tanpa nomor seri`, `Rusak / Damaged\s+2\s+KTP0006, KTP0007`,
		`Perubahan elemen data / Data element changed\s+1\s+SIM-000002`, `Jumlah / Total\s+5`,
		`Account: sari`, `Account: budi`, `01-12-2026 07:25 WITA`, `Saksi / Witness`, `NIP`)
	if strings.Contains(text, "30-11-2026") {
		t.Error("the record is dated in UTC, not the hall's zone")
	}

	for _, st := range []printerd.DestructionState{printerd.DestructionProposed, printerd.DestructionExpired} {
		d.State = st
		if _, err := BeritaAcara(sampleHall, d); !errors.Is(err, ErrNotDestroyed) {
			t.Errorf("record of a %s destruction: %v, want destruction_unconfirmed", st, err)
		}
	}
}

func sampleMonth() Month {
	return Month{Hall: sampleHall, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, station.WITA.Location()),
		Generated: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC),
		Printers: []printerd.MonthReport{{Printer: "card-1", Loaded: 10, Reversed: 80,
			Printed:   map[string]int{"KTP-el": 3, "KIA": 1},
			Spoiled:   map[printerd.SpoilCause]int{printerd.CauseEncode: 1, printerd.CausePrint: 1, printerd.CauseDamaged: 2, printerd.CauseDataChange: 1},
			Destroyed: 4, InStock: 1, Awaiting: 1,
			Reconciliation: &printerd.Reconciliation{Difference: 1, Time: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)}}}}
}

func TestMonthReport(t *testing.T) {
	m := sampleMonth()
	b, err := MonthPDF(m)
	if err != nil {
		t.Fatal(err)
	}
	mustMatch(t, pdfText(t, b), `MPP Kota Makassar · ADM-7371-02`, `Month: 11-2026\s+\(01-11-2026 – 30-11-2026\)`,
		`Loaded \(net\)\s+10`, `Loads reversed\s+80`, `Printed: KIA\s+1`, `Printed: KTP-el\s+3`,
		`Gagal encode / Encoding failed\s+1`, `Rusak / Damaged\s+2`, `Destroyed\s+4`, `Awaiting destruction\s+1`,
		`In stock\s+1`, `SELISIH 1 kartu / DIFFERENCE of 1 cards \(20-11-2026 10:00 WITA\)`, `01-12-2026 09:00 WITA`)

	csv, err := MonthCSV(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"kiosk_id,hall,month,printer,measure,key,value\n",
		"ADM-7371-02,MPP Kota Makassar,2026-11,card-1,loaded,,10\n", ",printed,KIA,1\n", ",printed,KTP-el,3\n",
		",spoiled,gagal-encode,1\n", ",spoiled,perubahan-elemen-data,1\n", ",destroyed,,4\n", ",in_stock,,1\n",
		",reconciliation,status,difference\n", ",reconciliation,difference,1\n"} {
		if !strings.Contains(string(csv), row) {
			t.Errorf("CSV lacks %q:\n%s", row, csv)
		}
	}
	m.Printers[0].Reconciliation = nil
	if csv, _ := MonthCSV(m); !strings.Contains(string(csv), ",reconciliation,status,none\n") {
		t.Errorf("CSV without a reconciliation:\n%s", csv)
	}
}

// The custody documents against the daily report as the anchor, in the
// same run: go test ./station/report -run XXX -bench . -benchtime 200x
func BenchmarkDailyReportAnchor(b *testing.B) {
	d := sampleDay()
	for b.Loop() {
		if _, err := PDF(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBeritaAcara(b *testing.B) {
	d := sampleDestruction()
	for b.Loop() {
		if _, err := BeritaAcara(sampleHall, d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMonthPDF(b *testing.B) {
	m := sampleMonth()
	for b.Loop() {
		if _, err := MonthPDF(m); err != nil {
			b.Fatal(err)
		}
	}
}
