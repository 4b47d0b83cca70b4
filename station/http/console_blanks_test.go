package http

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/simcard"
	"github.com/anjungan/anjungan/printerd/journal"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/account"
)

var pictures = flag.String("pictures", "", "write PNG pictures of the berita acara and the monthly report into this folder (../../docs/console)")

// custodyRig is a console whose custody pages talk to a real printerd
// dispatcher: a journal in a temporary folder and a simulated card
// printer, on the rig's clock.
type custodyRig struct {
	*consoleRig
	d *printerd.Dispatcher
}

var testHall = station.Hall{Name: "MPP Kota Bandung", KioskID: "ADM-3273-01", Zone: station.WIB}

func mustCustodyConsole(t *testing.T) custodyRig { return mustCustodyConsoleOn(t, nil) }

// mustCustodyConsoleOn is mustCustodyConsole writing to log (nil: the
// rig's fake).
func mustCustodyConsoleOn(t *testing.T, log station.AuditLog) custodyRig {
	t.Helper()
	r := MustConsole(t)
	h, err := account.Hash(testPassword, rand.Reader, cheapHash)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.accounts.AddAccount(context.Background(), account.Account{Name: "budi", Role: account.Supervisor, Hash: h, Created: r.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	dev, err := simcard.Open(printerd.DeviceConfig{URI: t.TempDir(), Options: map[string]string{"raster": "off"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	j, err := journal.Open(t.TempDir(), r.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	d, err := printerd.NewDispatcher(printerd.DispatcherConfig{Journal: j, Poll: 5 * time.Millisecond, DestructionWindow: 10 * time.Minute,
		Printers: []printerd.Printer{{Name: "card-1", Driver: simcard.Name, Media: printerd.MediaCard, Device: dev}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	deps := r.deps(r.audit)
	if log != nil {
		deps = r.deps(log)
	}
	deps.Custody, deps.Hall = d, testHall
	r.s = NewConsole(deps, zerolog.Nop())
	return custodyRig{consoleRig: r, d: d}
}

func (r custodyRig) post(ss session, path string, form url.Values) *http.Response {
	r.tb.Helper()
	form.Set(csrfField, ss.csrf)
	return r.do(request{method: "POST", path: path, header: sameOrigin, cookies: ss.cookies(), form: form})
}

// pdfText is pdftotext's reading of b (and, with -pictures, its first
// page as name.png).
func pdfText(t *testing.T, b []byte, name string) string {
	t.Helper()
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			t.Fatal("pdftotext not on PATH and ANJUNGAN_REQUIRE_PEERS=1 (apt-get install poppler-utils)")
		}
		t.Skip("pdftotext not on PATH (apt-get install poppler-utils)")
	}
	path := filepath.Join(t.TempDir(), name+".pdf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	if *pictures != "" {
		if out, err := exec.Command("pdftoppm", "-png", "-r", "60", "-singlefile", path, filepath.Join(*pictures, name)).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
	}
	return string(out)
}

// TestConsoleDestruction: spoiled cards are listed awaiting destruction;
// a technician cannot sign; one supervisor proposes and cannot confirm
// her own proposal (refused, in both audit logs); a second confirms; the
// berita acara names the hall, the kiosk, the date in WIB, the cards by
// cause and both supervisors, checked with pdftotext; a second
// confirmation is refused; the month's report has the figures.
func TestConsoleDestruction(t *testing.T) {
	ctx := context.Background()
	r := mustCustodyConsole(t)
	if _, err := r.d.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 5, FirstSerial: "KTP0001", LastSerial: "KTP0005", Actor: "siti"}); err != nil {
		t.Fatal(err)
	}
	// The printer rejects a card it could not encode; the retry prints.
	if err := r.d.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultEncodeFailure, At: printerd.FaultDuringPrint}); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../printerd/testdata/card.pdf")
	if err != nil {
		t.Fatal(err)
	}
	job, _, err := r.d.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaCard, Title: "KTP-el", Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if j, _ := r.d.Job(ctx, job.ID); j.State == printerd.JobPrinted {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("job %+v never printed", j)
		}
	}

	siti, budi, tono := r.MustLogin("siti"), r.MustLogin("budi"), r.MustLogin("tono")
	if res := r.post(tono, "/blanks/spoils", url.Values{"printer": {"card-1"}, "cause": {"rusak"}, "card_serial": {"KTP0004"}}); res.StatusCode != redirect {
		t.Fatalf("spoil: %d %s", res.StatusCode, body(t, res))
	}
	page := body(t, r.do(request{method: "GET", path: "/blanks", cookies: siti.cookies()}))
	for _, want := range []string{"gagal-encode", "SIM-000001", "rusak", "KTP0004", `action="/blanks/destructions"`} {
		if !strings.Contains(page, want) {
			t.Errorf("/blanks lacks %q:\n%s", want, page)
		}
	}
	if res := r.post(tono, "/blanks/destructions", url.Values{"printer": {"card-1"}}); res.StatusCode != forbidden {
		t.Errorf("a technician proposes a destruction: %d, want 403", res.StatusCode)
	}
	if res := r.post(siti, "/blanks/destructions", url.Values{"printer": {"card-1"}}); res.StatusCode != redirect {
		t.Fatalf("propose: %d %s", res.StatusCode, body(t, res))
	}
	ds, err := r.d.Destructions(ctx, "card-1")
	if err != nil || len(ds) != 1 || len(ds[0].Cards) != 2 {
		t.Fatalf("destructions = %+v, %v", ds, err)
	}
	id := ds[0].ID
	res := r.post(siti, "/blanks/destructions/"+id+"/confirm", url.Values{})
	if b := body(t, res); res.StatusCode != http.StatusConflict || !strings.Contains(b, "pengawas kedua yang berbeda") {
		t.Errorf("the proposer confirms: %d\n%s", res.StatusCode, b)
	}
	if e := r.audit.last(); e.Kind != "console.custody" || e.Actor != "siti" || e.Fields["step"] != "confirm" ||
		e.Fields["outcome"] != "failed" || e.Fields["error"] != "destruction_same_supervisor" {
		t.Errorf("refusal audited as %+v", e)
	}
	if res := r.do(request{method: "GET", path: "/blanks/destructions/" + id + "/berita-acara.pdf", cookies: siti.cookies()}); res.StatusCode != http.StatusConflict {
		t.Errorf("a record before the second signature: %d, want 409", res.StatusCode)
	}
	r.clock.Add(5 * time.Minute)
	if res := r.post(budi, "/blanks/destructions/"+id+"/confirm", url.Values{}); res.StatusCode != redirect {
		t.Fatalf("confirm: %d %s", res.StatusCode, body(t, res))
	}
	if res := r.post(budi, "/blanks/destructions/"+id+"/confirm", url.Values{}); res.StatusCode != http.StatusConflict {
		t.Errorf("confirm twice: %d, want 409", res.StatusCode)
	}
	if e, _ := r.d.Ledger(ctx); len(e) != 1 || e[0].Loaded != e[0].Remaining+e[0].Printed+e[0].Awaiting()+e[0].Destroyed || e[0].Destroyed != 2 {
		t.Errorf("ledger after the destruction: %+v", e)
	}

	res = r.do(request{method: "GET", path: "/blanks/destructions/" + id + "/berita-acara.pdf", cookies: tono.cookies()})
	pdf := body(t, res)
	if res.StatusCode != ok || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("berita acara: %d %v", res.StatusCode, res.Header)
	}
	sum := sha256.Sum256([]byte(pdf))
	if e := r.audit.last(); e.Kind != "console.export" || e.Fields["format"] != "berita-acara" || e.Fields["destruction"] != id ||
		e.Fields["sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("berita acara audited as %+v", e)
	}
	text := pdfText(t, []byte(pdf), "berita-acara")
	for _, re := range []string{`BERITA ACARA PEMUSNAHAN`, id, `MPP Kota Bandung`, `ADM-3273-01`, `Tanggal / Date\s+01-03-2025`,
		`16:05 WIB`, `Gagal encode / Encoding failed\s+1\s+SIM-000001`, `Rusak / Damaged\s+1\s+KTP0004`, `Jumlah / Total\s+2`,
		`Account: siti`, `Account: budi`} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("berita acara lacks %s:\n%s", re, text)
		}
	}

	if _, err := r.d.Reconcile(ctx, "card-1", "siti"); err != nil {
		t.Fatal(err)
	}
	res = r.do(request{method: "GET", path: "/blanks/month.pdf?month=2025-03", cookies: tono.cookies()})
	if res.StatusCode != ok {
		t.Fatalf("month: %d", res.StatusCode)
	}
	text = pdfText(t, []byte(body(t, res)), "month")
	for _, re := range []string{`MPP Kota Bandung · ADM-3273-01`, `Month: 03-2025`, `Loaded \(net\)\s+5`, `Printed: KTP-el\s+1`,
		`Encoding failed\s+1`, `Damaged\s+1`, `Destroyed\s+2`, `In stock\s+2`, `counter recorded as the baseline`} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("monthly report lacks %s:\n%s", re, text)
		}
	}
	res = r.do(request{method: "GET", path: "/blanks/month.csv?month=2025-03", cookies: tono.cookies()})
	if csv := body(t, res); res.StatusCode != ok || !strings.Contains(csv, "ADM-3273-01,MPP Kota Bandung,2025-03,card-1,destroyed,,2\n") {
		t.Errorf("month CSV: %d\n%s", res.StatusCode, csv)
	}
	if e := r.audit.last(); e.Kind != "console.export" || e.Fields["format"] != "month-csv" || e.Fields["month"] != "2025-03" {
		t.Errorf("month CSV audited as %+v", e)
	}
	if res := r.do(request{method: "GET", path: "/blanks/month.pdf?month=03-2025", cookies: tono.cookies()}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a month that is not YYYY-MM: %d, want 400", res.StatusCode)
	}
}

// writeCustodyEntries runs every custody action of the console once,
// writing to log: a spoil, a reconciliation, a proposal, a refused and an
// accepted confirmation, the berita acara and the month's CSV.
func writeCustodyEntries(t *testing.T, log station.AuditLog) {
	t.Helper()
	r := mustCustodyConsoleOn(t, log)
	if _, err := r.d.LoadCards(context.Background(), printerd.Load{Printer: "card-1", Count: 2, Actor: "siti"}); err != nil {
		t.Fatal(err)
	}
	siti, budi := r.MustLogin("siti"), r.MustLogin("budi")
	r.post(siti, "/blanks/spoils", url.Values{"printer": {"card-1"}, "cause": {"rusak"}, "card_serial": {"KTP0001"}})
	r.post(siti, "/blanks/reconcile", url.Values{"printer": {"card-1"}})
	r.post(siti, "/blanks/destructions", url.Values{"printer": {"card-1"}})
	ds, err := r.d.Destructions(context.Background(), "card-1")
	if err != nil || len(ds) != 1 {
		t.Fatalf("destructions = %+v, %v", ds, err)
	}
	r.post(siti, "/blanks/destructions/"+ds[0].ID+"/confirm", url.Values{})
	r.post(budi, "/blanks/destructions/"+ds[0].ID+"/confirm", url.Values{})
	r.do(request{method: "GET", path: "/blanks/destructions/" + ds[0].ID + "/berita-acara.pdf", cookies: siti.cookies()})
	r.do(request{method: "GET", path: "/blanks/month.csv?month=2025-03", cookies: siti.cookies()})
}
