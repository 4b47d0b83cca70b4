package simcard_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/simcard"
	"github.com/anjungan/anjungan/printerd/drivertest"
	"github.com/anjungan/anjungan/printerd/internal/outlog"
)

func job(id string) printerd.PrintJob {
	return printerd.PrintJob{ID: printerd.JobID(id), Media: printerd.MediaCard, Document: drivertest.Document(printerd.MediaCard)}
}

func TestOpenRejects(t *testing.T) {
	for _, opts := range []map[string]string{
		{"media": "iso_a4_210x297mm"}, {"blanks": "-1"}, {"ribbon": "x"}, {"reject": "-2"}, {"duplex": "maybe"},
		{"timing": "slow"}, {"side-time": "soon"}, {"raster": "sometimes"}, {"hopper": "3"},
	} {
		if _, err := simcard.Open(printerd.DeviceConfig{URI: t.TempDir(), Options: opts, TempDir: drivertest.TempDir(t)}); err == nil {
			t.Errorf("Open accepted %v", opts)
		}
	}
	// Rasters hold the document: no private folder, no rasters.
	if _, err := simcard.Open(printerd.DeviceConfig{URI: t.TempDir(), Options: map[string]string{"raster": "on"}}); err == nil {
		t.Error("Open accepted raster on without a private temp folder")
	}
}

// TestRastersStayPrivate: while a card prints, its rasters and the
// document's copy are 0600 files in a 0700 folder of the private temp
// folder, TMPDIR (pointing nowhere) is not used, and once the card is
// out the private folder is empty.
func TestRastersStayPrivate(t *testing.T) {
	if _, err := os.Stat("/usr/bin/pdftoppm"); err != nil && os.Getenv("ANJUNGAN_REQUIRE_PEERS") != "1" {
		t.Skip("pdftoppm (poppler-utils) is not installed")
	}
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "no-such-folder"))
	private := drivertest.TempDir(t)
	dev, err := simcard.Open(printerd.DeviceConfig{URI: t.TempDir(), TempDir: private,
		Options: map[string]string{"raster": "on", "pick-time": "300ms"}})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	done := make(chan error, 1)
	go func() {
		_, err := dev.Print(context.Background(), job("J1"))
		done <- err
	}()
	// The card is picked after rastering: the rasters exist then.
	for {
		if st, _ := dev.Status(context.Background()); st.State == printerd.PrinterProcessing {
			break
		}
	}
	var files []string
	err = filepath.WalkDir(private, func(path string, d os.DirEntry, err error) error {
		if err != nil || path == private {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		files = append(files, d.Name())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(files, "doc.pdf") || !slices.Contains(files, "side-1.png") {
		t.Errorf("while printing, the private folder holds %v; want the document and its raster", files)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(private); len(left) != 0 {
		t.Errorf("left in the private folder: %v", left)
	}
}

func TestPrintWritesSidesAndSerials(t *testing.T) {
	if _, err := os.Stat("/usr/bin/pdftoppm"); err != nil && os.Getenv("ANJUNGAN_REQUIRE_PEERS") != "1" {
		t.Skip("pdftoppm (poppler-utils) is not installed")
	}
	ctx := context.Background()
	dir := t.TempDir()
	dev := MustOpen(t, dir, map[string]string{"raster": "on"})
	p, err := dev.PrintEncoded(ctx, job("J1"), printerd.Encoding{Tracks: []string{"%ANJUNGAN?", ";1234=5678?"}})
	if err != nil || p.CardSerial != "SIM-000001" || p.Pages != 1 {
		t.Fatalf("Print = %+v, %v", p, err)
	}
	for _, name := range []string{"J1.pdf", "J1-side1.png", "J1.mag"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("output %s: %v", name, err)
		}
	}
	png, _ := os.ReadFile(filepath.Join(dir, "J1-side1.png"))
	if !strings.HasPrefix(string(png), "\x89PNG") {
		t.Error("side 1 is not a PNG")
	}
	_ = dev.Close()
	dev = MustOpen(t, dir, map[string]string{"raster": "off"})
	if p, err := dev.TestPrint(ctx); err != nil || p.CardSerial != "SIM-000002" {
		t.Errorf("after reopening, TestPrint = %+v, %v; want SIM-000002", p, err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "cards.log"))
	if string(log) != "SIM-000001 J1 printed\nSIM-000002 test-000002 printed\n" {
		t.Errorf("cards.log = %q", log)
	}
}

func TestRejectBox(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		reject    string
		want      printerd.Disposition
		wantState printerd.PrinterState
	}{
		{"2", printerd.DispositionRejected, printerd.PrinterStopped}, // stopped by the open cover
		{"0", printerd.DispositionStuck, printerd.PrinterStopped},    // no box: the card stays in the path
	}
	for _, tt := range tests {
		t.Run("reject="+tt.reject, func(t *testing.T) {
			dev := MustOpen(t, t.TempDir(), map[string]string{"reject": tt.reject, "raster": "off"})
			// A cover opening mid-print rejects the card.
			if err := dev.InjectFault(ctx, printerd.Fault{Kind: printerd.FaultCoverOpen, At: printerd.FaultDuringPrint}); err != nil {
				t.Fatal(err)
			}
			_, err := dev.Print(ctx, job("J1"))
			if d, serial := printerd.DispositionOf(err); d != tt.want || serial != "SIM-000001" {
				t.Errorf("disposition %s %q (%v), want %s", d, serial, err, tt.want)
			}
			if st, _ := dev.Status(ctx); st.State != tt.wantState || st.VendorCode != "E4001" {
				t.Errorf("status %+v, want %s with the cover's code", st, tt.wantState)
			}
			err = dev.MoveCard(ctx, printerd.CardEject)
			if (err == nil) != (tt.want == printerd.DispositionStuck) {
				t.Errorf("MoveCard eject = %v with a card %s", err, tt.want)
			}
			if err := dev.MoveCard(ctx, printerd.CardEject); !errors.Is(err, printerd.ErrNoCardInside) {
				t.Errorf("MoveCard with an empty path = %v", err)
			}
		})
	}
}

// With a pick that never ends, a cancel lands while the card is inside:
// it goes to the reject box and the error says so.
func TestCancelWhilePrinting(t *testing.T) {
	dev := MustOpen(t, t.TempDir(), map[string]string{"pick-time": "1h", "raster": "off"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := dev.Print(ctx, job("J1"))
		done <- err
	}()
	for {
		if st, _ := dev.Status(ctx); st.State == printerd.PrinterProcessing {
			break
		}
	}
	cancel()
	err := <-done
	var de *printerd.DriverError
	if d, serial := printerd.DispositionOf(err); !errors.As(err, &de) || de.Reason != "canceled" || d != printerd.DispositionRejected || serial != "SIM-000001" {
		t.Errorf("Print = %v, want canceled with SIM-000001 rejected", err)
	}
}

func TestEncodingRejected(t *testing.T) {
	dev := MustOpen(t, t.TempDir(), map[string]string{"raster": "off"})
	for _, tracks := range [][]string{{"a", "b", "c", "d"}, {"", strings.Repeat("1", 41)}, {"", "12A4"}} {
		_, err := dev.PrintEncoded(context.Background(), job("J1"), printerd.Encoding{Tracks: tracks})
		var de *printerd.DriverError
		if !errors.As(err, &de) || de.Reason != "encoding-invalid" {
			t.Errorf("PrintEncoded(%q) = %v", tracks, err)
		}
	}
}

// TestOutputRecord: output.log has one line per card that came out, none
// for a card rejected or a print refused, and its seq goes on after the
// device reopens; a job printed twice shows twice, whatever its PDF file
// says.
func TestOutputRecord(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dev := MustOpen(t, dir, map[string]string{"raster": "off"})
	if _, err := dev.Print(ctx, job("J1")); err != nil {
		t.Fatal(err)
	}
	if err := dev.InjectFault(ctx, printerd.Fault{Kind: printerd.FaultCoverOpen, At: printerd.FaultDuringPrint}); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Print(ctx, job("J2")); err == nil {
		t.Fatal("Print with the cover opening succeeded")
	}
	_ = dev.ClearFaults(ctx)
	_ = dev.Close()
	dev = MustOpen(t, dir, map[string]string{"raster": "off"})
	for _, id := range []string{"J2", "J2"} {
		if _, err := dev.Print(ctx, job(id)); err != nil {
			t.Fatal(err)
		}
	}
	recs, torn, err := outlog.Read(dir)
	if err != nil || torn != 0 {
		t.Fatalf("Read = %d torn, %v", torn, err)
	}
	sum := outlog.Sum(drivertest.Document(printerd.MediaCard))
	want := []outlog.Record{{Seq: 1, Job: "J1", Card: "SIM-000001"}, {Seq: 2, Job: "J2", Card: "SIM-000003"}, {Seq: 3, Job: "J2", Card: "SIM-000004"}}
	if len(recs) != len(want) {
		t.Fatalf("records = %+v, want %d", recs, len(want))
	}
	for i, w := range want {
		if g := recs[i]; g.Seq != w.Seq || g.Job != w.Job || g.Card != w.Card || g.Page != 0 || g.SHA256 != sum {
			t.Errorf("record %d = %+v, want %+v", i, g, w)
		}
	}
}
