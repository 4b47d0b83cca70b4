package ipp_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/OpenPrinting/goipp"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/ipp"
	"github.com/anjungan/anjungan/printerd/drivertest"
	"github.com/anjungan/anjungan/printerd/internal/pwgraster"
)

// MustOpen opens the driver on rig's printer.
func MustOpen(tb testing.TB, r *Rig) *ipp.Device {
	tb.Helper()
	media := printerd.MediaA4
	if r.Card {
		media = printerd.MediaCard
	}
	// A short job-timeout so the timeout fault (a job the rig makes
	// hang until it is cleared) ends the driver's wait in seconds; a
	// healthy rig job ends in well under a second.
	dev, err := ipp.Open(printerd.DeviceConfig{URI: r.URI, Options: map[string]string{"media": string(media),
		"status-timeout": "2s", "job-timeout": "2s"}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = dev.Close() })
	return dev
}

func TestConformance(t *testing.T) {
	bus := MustBus(t)
	for _, tc := range []struct {
		name string
		card bool
	}{{"a4", false}, {"card", true}} {
		t.Run(tc.name, func(t *testing.T) {
			drivertest.RunRig(t, func(t *testing.T) (printerd.Device, printerd.FaultInjector) {
				r := MustRig(t, bus, tc.card)
				return MustOpen(t, r), r
			})
		})
	}
}

func printed(tb testing.TB, r *Rig) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(r.Out, "*"))
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

func TestJamLeavesReason(t *testing.T) {
	r := MustRig(t, MustBus(t), false)
	dev := MustOpen(t, r)
	ctx := context.Background()
	if _, err := dev.Print(ctx, drivertest.Job(t, dev)); err != nil {
		t.Fatalf("Print: %v", err)
	}
	if err := r.InjectFault(ctx, printerd.Fault{Kind: printerd.FaultMediaJam, At: printerd.FaultDuringPrint}); err != nil {
		t.Fatal(err)
	}
	_, err := dev.Print(ctx, drivertest.Job(t, dev))
	var de *printerd.DriverError
	if !errors.As(err, &de) || de.Reason != printerd.ReasonMediaJam || de.Outcome != printerd.OutcomeStop || de.Uncertain {
		t.Errorf("Print with a jam = %v, want a certain stop media-jam", err)
	}
	if n := len(printed(t, r)); n != 1 {
		t.Errorf("the printer received %d documents, want the first only", n)
	}
}

// A job that hangs at the printer outlives job-timeout: the driver
// cancels it at the printer (Cancel-Job), sends it only once, and says it
// may have printed. After the rig releases the hang the printer ends the
// job as canceled, not completed or printed again.
func TestTimeoutCancelsAtPrinter(t *testing.T) {
	bus := MustBus(t)
	for _, tc := range []struct {
		at      string
		printed int // documents the printer received: the page came out at after-print
	}{{printerd.FaultDuringPrint, 0}, {printerd.FaultAfterPrint, 1}} {
		t.Run(tc.at, func(t *testing.T) {
			r := MustRig(t, bus, false)
			dev := MustOpen(t, r)
			ctx := context.Background()
			if err := r.InjectFault(ctx, printerd.Fault{Kind: printerd.FaultTimeout, At: tc.at}); err != nil {
				t.Fatal(err)
			}
			job := drivertest.Job(t, dev)
			_, err := dev.Print(ctx, job)
			var de *printerd.DriverError
			if !errors.As(err, &de) || de.Reason != printerd.ReasonTimedOut || de.Outcome != printerd.OutcomeRetry || !de.Uncertain {
				t.Fatalf("Print of a hung job = %v, want an uncertain retry timed-out", err)
			}
			// The hang is still on: the cancel request is what the
			// printer shows for the job.
			mine := MustJobs(t, r, string(job.ID))
			if len(mine) != 1 {
				t.Fatalf("the printer has %d jobs named %s, want 1: %+v", len(mine), job.ID, mine)
			}
			if !slices.Contains(mine[0].Reasons, "processing-to-stop-point") {
				t.Errorf("hung job at the printer: %+v, want processing-to-stop-point (Cancel-Job received)", mine[0])
			}
			if err := r.ClearFaults(ctx); err != nil {
				t.Fatal(err)
			}
			mine = MustJobs(t, r, string(job.ID))
			if len(mine) != 1 || mine[0].State != 7 {
				t.Errorf("after the hang: %+v, want the one job canceled (7)", mine)
			}
			if n := len(printed(t, r)); n != tc.printed {
				t.Errorf("the printer received %d documents, want %d", n, tc.printed)
			}
		})
	}
}

// MustJobs returns the printer's jobs named name.
func MustJobs(tb testing.TB, r *Rig, name string) []printerJob {
	tb.Helper()
	all, err := r.jobs(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var mine []printerJob
	for _, j := range all {
		if j.Name == name {
			mine = append(mine, j)
		}
	}
	return mine
}

// The reject-full fault stays skipped because ippeveprinter drops an
// output-area-full keyword from its command's STATE: lines while it keeps
// one it knows. If this fails, ippeveprinter learnt the keyword: let
// Rig.Supports allow reject-full.
func TestRigDropsOutputAreaFull(t *testing.T) {
	r := MustRig(t, MustBus(t), false)
	dev := MustOpen(t, r)
	ctx := context.Background()
	if err := r.arm("set " + printerd.ReasonOutputAreaFull + "-error,spool-area-full"); err != nil {
		t.Fatal(err)
	}
	if err := r.job(ctx); err != nil {
		t.Fatal(err)
	}
	st := drivertest.MustStatus(t, dev)
	var got []string
	for _, reason := range st.Reasons {
		got = append(got, reason.Keyword)
	}
	if !slices.Contains(got, "spool-area-full") {
		t.Fatalf("reasons %v: the script's STATE: line did not reach the printer", got)
	}
	if slices.Contains(got, printerd.ReasonOutputAreaFull) {
		t.Errorf("reasons %v: ippeveprinter now reports output-area-full; enable reject-full in Rig.Supports", got)
	}
}

// An empty tray (the /media form): the printer reports media-empty, the
// driver shows it as an error and holds the job without sending it; after
// a refill the same job prints once.
func TestMediaEmpty(t *testing.T) {
	r := MustRig(t, MustBus(t), false)
	dev := MustOpen(t, r)
	ctx := context.Background()
	if err := r.media(0); err != nil {
		t.Fatal(err)
	}
	st := drivertest.MustStatus(t, dev)
	found := false
	for _, reason := range st.Reasons {
		found = found || reason.Keyword == printerd.ReasonMediaEmpty && reason.Severity == printerd.SeverityError
	}
	if !found || st.State != printerd.PrinterStopped {
		t.Errorf("empty tray: %s %v, want stopped with media-empty error", st.State, st.Reasons)
	}
	job := drivertest.Job(t, dev)
	_, err := dev.Print(ctx, job)
	var de *printerd.DriverError
	if !errors.As(err, &de) || de.Outcome != printerd.OutcomeHold || de.Reason != printerd.ReasonMediaEmpty || de.Uncertain {
		t.Errorf("Print on an empty tray = %v, want a certain hold media-empty", err)
	}
	if files := printed(t, r); len(files) != 0 {
		t.Errorf("the printer received %v while its tray was empty", files)
	}
	if err := r.media(250); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Print(ctx, job); err != nil {
		t.Fatalf("Print after a refill: %v", err)
	}
	files := printed(t, r)
	if len(files) != 1 {
		t.Fatalf("the printer received %v, want the held job once", files)
	}
	if b, _ := os.ReadFile(files[0]); !bytes.Equal(b, job.Document) {
		t.Error("the printer received another document than the job's")
	}
}

// The card printer takes PWG raster only: the driver renders the PDF and
// the bytes the printer received decode to a 300 dpi ID-1 page.
func TestCardPrintsPWGRaster(t *testing.T) {
	r := MustRig(t, MustBus(t), true)
	dev := MustOpen(t, r)
	p, err := dev.Print(context.Background(), drivertest.Job(t, dev))
	if err != nil {
		t.Fatalf("Print: %v", err)
	}
	if p.CardSerial == "" {
		t.Error("no card serial (the job-uuid)")
	}
	files := printed(t, r)
	if len(files) != 1 {
		t.Fatalf("the printer received %v, want one document", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pages, err := pwgraster.Decode(f)
	if err != nil {
		t.Fatalf("what the printer received: %v", err)
	}
	if len(pages) != 1 {
		t.Fatalf("%d pages, want 1", len(pages))
	}
	pg := pages[0]
	if pg.DPI != 300 || pg.MediaName != string(printerd.MediaCard) || pg.Width+pg.Height < 1640 || pg.Width+pg.Height > 1660 {
		t.Errorf("page %dx%d at %d dpi, media %q; want ID-1 at 300 dpi", pg.Width, pg.Height, pg.DPI, pg.MediaName)
	}
	ink := 0
	for _, b := range pg.Pix {
		if b < 128 {
			ink++
		}
	}
	if ink == 0 {
		t.Error("the received page is blank")
	}
}

// busyPrinter answers Print-Job with server-error-busy busy times, then
// accepts; its jobs complete at once.
type busyPrinter struct {
	busy    int
	calls   atomic.Int32
	printed atomic.Int32
}

func (b *busyPrinter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req goipp.Message
	if err := req.Decode(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp := goipp.NewResponse(goipp.DefaultVersion, goipp.StatusOk, req.RequestID)
	resp.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	resp.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	switch goipp.Op(req.Code) {
	case goipp.OpGetPrinterAttributes:
		resp.Printer.Add(goipp.MakeAttribute("printer-state", goipp.TagEnum, goipp.Integer(3)))
		resp.Printer.Add(goipp.MakeAttribute("printer-state-reasons", goipp.TagKeyword, goipp.String("none")))
		resp.Printer.Add(goipp.MakeAttribute("document-format-supported", goipp.TagMimeType, goipp.String("application/pdf")))
	case goipp.OpPrintJob:
		if int(b.calls.Add(1)) <= b.busy {
			resp.Code = goipp.Code(goipp.StatusErrorBusy)
			break
		}
		b.printed.Add(1)
		resp.Job.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(7)))
		resp.Job.Add(goipp.MakeAttribute("job-uuid", goipp.TagURI, goipp.String("urn:uuid:busy-7")))
	case goipp.OpGetJobAttributes:
		resp.Job.Add(goipp.MakeAttribute("job-state", goipp.TagEnum, goipp.Integer(9)))
		resp.Job.Add(goipp.MakeAttribute("job-impressions-completed", goipp.TagInteger, goipp.Integer(1)))
	default:
		resp.Code = goipp.Code(goipp.StatusErrorOperationNotSupported)
	}
	w.Header().Set("Content-Type", goipp.ContentType)
	_ = resp.Encode(w)
}

func TestBusyRetry(t *testing.T) {
	for _, busy := range []int{0, 1, 4} {
		t.Run("", func(t *testing.T) {
			bp := &busyPrinter{busy: busy}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: bp}
			go func() { _ = srv.Serve(ln) }()
			t.Cleanup(func() { _ = srv.Close() })
			dev, err := ipp.Open(printerd.DeviceConfig{URI: "ipp://" + ln.Addr().String() + "/ipp/print",
				Options: map[string]string{"media": string(printerd.MediaA4)}})
			if err != nil {
				t.Fatal(err)
			}
			defer dev.Close()
			if _, err := dev.Print(context.Background(), drivertest.Job(t, dev)); err != nil {
				t.Fatalf("Print after %d busy answers: %v", busy, err)
			}
			if got := bp.calls.Load(); got != int32(busy+1) {
				t.Errorf("%d Print-Job requests, want %d", got, busy+1)
			}
			if got := bp.printed.Load(); got != 1 {
				t.Errorf("%d jobs accepted, want exactly 1", got)
			}
		})
	}
}

func TestOpenOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  printerd.DeviceConfig
		ok   bool
	}{
		{"a4", printerd.DeviceConfig{URI: "ipp://localhost:631/ipp/print", Options: map[string]string{"media": "iso_a4_210x297mm"}}, true},
		{"card with timeouts", printerd.DeviceConfig{URI: "http://localhost:631/ipp/print", Options: map[string]string{"media": "om_card_54x86mm", "job-timeout": "1m", "status-timeout": "1s"}}, true},
		{"no media", printerd.DeviceConfig{URI: "ipp://localhost:631/ipp/print"}, false},
		{"unknown option", printerd.DeviceConfig{URI: "ipp://localhost:631/ipp/print", Options: map[string]string{"media": "iso_a4_210x297mm", "colour": "yes"}}, false},
		{"bad timeout", printerd.DeviceConfig{URI: "ipp://localhost:631/ipp/print", Options: map[string]string{"media": "iso_a4_210x297mm", "job-timeout": "-1s"}}, false},
		{"other scheme", printerd.DeviceConfig{URI: "usb://acme", Options: map[string]string{"media": "iso_a4_210x297mm"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ipp.Open(tc.cfg); (err == nil) != tc.ok {
				t.Errorf("Open = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
