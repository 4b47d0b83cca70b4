package exec_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver"
	"github.com/anjungan/anjungan/printerd/driver/exec"
	"github.com/anjungan/anjungan/printerd/drivertest"
)

// MustOpen opens an exec printer on a script in testdata.
func MustOpen(tb testing.TB, script string, opts map[string]string) printerd.Device {
	tb.Helper()
	drv, ok := driver.Lookup(exec.Name)
	if !ok {
		tb.Fatal("driver exec is not registered")
	}
	abs, err := filepath.Abs(filepath.Join("testdata", script))
	if err != nil {
		tb.Fatal(err)
	}
	dev, err := drv.Open(context.Background(), printerd.DeviceConfig{Name: "vendor", URI: abs, Options: opts, TempDir: drivertest.TempDir(tb)})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = dev.Close() })
	return dev
}

// MustSimcard opens the script simulator with its own state directory.
func MustSimcard(tb testing.TB) printerd.Device {
	tb.Helper()
	dir := tb.(interface{ TempDir() string }).TempDir()
	return MustOpen(tb, "simcard.sh", map[string]string{"media": string(printerd.MediaCard),
		"device-uri": "file://" + dir, "fault-file": filepath.Join(dir, "faults")})
}

func TestConformance(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) printerd.Device { return MustSimcard(t) })
}

// A program that never says a fate it does not know passes too: the
// driver takes its silence as unknown, and so uncertain, never as a card
// that can be printed again.
func TestConformanceFateUnreported(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) printerd.Device {
		dir := t.TempDir()
		return MustOpen(t, "fate-unreported-sim.sh", map[string]string{"media": string(printerd.MediaCard),
			"device-uri": "file://" + dir, "fault-file": filepath.Join(dir, "faults")})
	})
}

// Without a fault file the fault part is skipped, and the rest still holds.
func TestConformanceWithoutFaults(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) printerd.Device {
		return MustOpen(t, "simcard.sh", map[string]string{"media": string(printerd.MediaCard), "device-uri": "file://" + t.TempDir()})
	})
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		script      string
		wantOutcome printerd.Outcome
		wantReason  string
		uncertain   bool
		disposition printerd.Disposition
	}{
		{"exit-1-failed.sh", printerd.OutcomeFailed, "other", false, printerd.DispositionNone},
		{"exit-2-auth.sh", printerd.OutcomeFailed, "other", false, printerd.DispositionNone},
		{"exit-3-hold.sh", printerd.OutcomeHold, "media-empty", false, printerd.DispositionNone},
		{"exit-4-stop.sh", printerd.OutcomeStop, "media-jam", false, printerd.DispositionStuck},
		{"exit-5-cancel.sh", printerd.OutcomeCancel, "other", false, printerd.DispositionNone},
		{"exit-6-retry.sh", printerd.OutcomeRetry, "offline", true, printerd.DispositionUnknown},
		{"exit-7-retry-current.sh", printerd.OutcomeRetryCurrent, "other", false, printerd.DispositionNone},
		{"exit-9-unknown.sh", printerd.OutcomeStop, "other", true, printerd.DispositionNone}, // as the program said
		{"killed.sh", printerd.OutcomeStop, "other", true, printerd.DispositionUnknown},
		// A card printer's program that does not say where the card went:
		// unknown, so uncertain whatever the exit code, or printerd would
		// print the document again on a retry.
		{"fate-unreported-retry.sh", printerd.OutcomeRetry, "timed-out", true, printerd.DispositionUnknown},
		{"fate-unreported-failed.sh", printerd.OutcomeFailed, "other", true, printerd.DispositionUnknown},
		{"fate-unreported-stop.sh", printerd.OutcomeStop, "offline", true, printerd.DispositionUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			dev := MustOpen(t, tt.script, map[string]string{"media": string(printerd.MediaCard)})
			_, err := dev.Print(context.Background(), drivertest.Job(t, dev))
			var de *printerd.DriverError
			if !errors.As(err, &de) || de.Outcome != tt.wantOutcome || de.Reason != tt.wantReason || de.Uncertain != tt.uncertain {
				t.Fatalf("Print = %v, want %s %s uncertain=%v", err, tt.wantOutcome, tt.wantReason, tt.uncertain)
			}
			if d, _ := printerd.DispositionOf(err); d != tt.disposition {
				t.Errorf("disposition %s, want %s", d, tt.disposition)
			}
			if err := drivertest.CheckAccounted(printerd.MediaCard, err); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestArgumentsAndStatus(t *testing.T) {
	out := filepath.Join(t.TempDir(), "args")
	dev := MustOpen(t, "args.sh", map[string]string{"media": string(printerd.MediaA4), "device-uri": "file://" + out})
	job := drivertest.Job(t, dev)
	p, err := dev.Print(context.Background(), job)
	if err != nil || p.Pages != 2 {
		t.Fatalf("Print = %+v, %v; want 2 pages", p, err)
	}
	got, _ := os.ReadFile(out)
	want := string(job.ID) + "|printerd|conformance|1|media=iso_a4_210x297mm|%PDF|vendor|application/pdf\n"
	if string(got) != want {
		t.Errorf("the program saw %q, want %q", got, want)
	}
	st, _ := dev.Status(context.Background())
	if st.State != printerd.PrinterIdle || len(st.Reasons) != 1 || st.Reasons[0] != (printerd.Reason{Keyword: "toner-low", Severity: printerd.SeverityWarning}) ||
		len(st.Supplies) != 2 || st.Supplies[0].Level != 40 || st.Supplies[1].Name != "Waste, toner" || st.VendorCode != "W-17" {
		t.Errorf("Status = %+v", st)
	}
}

// A canceled context stops a program that would run for an hour; the
// simulator says where the card went.
func TestCancelKillsProgram(t *testing.T) {
	t.Setenv("SIMCARD_PICK_TIME", "3600")
	dev := MustSimcard(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := dev.Print(ctx, drivertest.Job(t, dev))
		done <- err
	}()
	for {
		if st, _ := dev.Status(ctx); st.State == printerd.PrinterProcessing {
			break
		}
	}
	// Processing shows as soon as the program starts; its trap is set
	// once it has picked the card, which its INFO line tells. Cancel
	// either way: both answers are accounted for.
	cancel()
	err := <-done
	var de *printerd.DriverError
	if !errors.As(err, &de) || de.Reason != "canceled" {
		t.Fatalf("Print = %v, want canceled", err)
	}
	d, _ := printerd.DispositionOf(err)
	if d == printerd.DispositionUnknown && !de.Uncertain || d == printerd.DispositionStuck {
		t.Errorf("disposition %s uncertain=%v", d, de.Uncertain)
	}
}

func TestOpenRejects(t *testing.T) {
	drv := exec.Driver{}
	script, _ := filepath.Abs("testdata/simcard.sh")
	tmp := drivertest.TempDir(t)
	state := "file://" + t.TempDir()
	for name, cfg := range map[string]printerd.DeviceConfig{
		"no program":     {Options: map[string]string{"media": "om_card_54x86mm"}, TempDir: tmp},
		"missing":        {URI: "/nonexistent/vendor", Options: map[string]string{"media": "om_card_54x86mm"}, TempDir: tmp},
		"no media":       {URI: script, TempDir: tmp},
		"unknown option": {URI: script, Options: map[string]string{"media": "om_card_54x86mm", "speed": "fast"}, TempDir: tmp},
		"bad resolution": {URI: script, Options: map[string]string{"media": "om_card_54x86mm", "resolution": "high"}, TempDir: tmp},
		"status fails":   {URI: script, Options: map[string]string{"media": "om_card_54x86mm", "device-uri": "file:///nonexistent"}, TempDir: tmp},
		"no temp folder": {URI: script, Options: map[string]string{"media": "om_card_54x86mm", "device-uri": state}},
		"missing temp folder": {URI: script, Options: map[string]string{"media": "om_card_54x86mm", "device-uri": state},
			TempDir: filepath.Join(tmp, "missing")},
	} {
		if _, err := drv.Open(context.Background(), cfg); err == nil {
			t.Errorf("%s: Open accepted %+v", name, cfg)
		}
	}
}

// TestJobFilesStayPrivate: the job's file is 0600 in a 0700 folder of the
// private temp folder, the program's TMPDIR is that folder, TMPDIR of
// printerd (pointing nowhere) is never used, and the folder goes with
// what the program left in it when the run ends.
func TestJobFilesStayPrivate(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "no-such-folder"))
	drv, _ := driver.Lookup(exec.Name)
	script, _ := filepath.Abs("testdata/tempfiles.sh")
	private := drivertest.TempDir(t)
	record := filepath.Join(t.TempDir(), "record")
	dev, err := drv.Open(context.Background(), printerd.DeviceConfig{Name: "vendor", URI: script, TempDir: private,
		Options: map[string]string{"media": string(printerd.MediaCard), "device-uri": "file://" + record}})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if _, err := dev.Print(context.Background(), drivertest.Job(t, dev)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 {
		t.Fatalf("record:\n%s", b)
	}
	work, _ := strings.CutPrefix(lines[0], "TMPDIR ")
	if filepath.Dir(work) != private {
		t.Errorf("the program's TMPDIR %q is not a folder of the private folder %s", work, private)
	}
	if want := "mode 700 " + work; lines[1] != want {
		t.Errorf("job folder: %q, want %q", lines[1], want)
	}
	if want := "mode 600 " + filepath.Join(work, "job.pdf"); lines[2] != want {
		t.Errorf("job file: %q, want %q", lines[2], want)
	}
	if left, _ := os.ReadDir(private); len(left) != 0 {
		t.Errorf("left in the private folder: %v", left)
	}
}
