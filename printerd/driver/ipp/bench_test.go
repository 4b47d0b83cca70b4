package ipp_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/drivertest"
)

// BenchmarkPrint prints the same A4 PDF to the same ippeveprinter with
// the driver (status check, Print-Job, follow to completed) and with
// ipptool's print-job.test (Print-Job only; the benchmark then waits,
// untimed, for the printer to be idle so the next job is not refused).
func BenchmarkPrint(b *testing.B) {
	r := MustRig(b, MustBus(b), false)
	dev := MustOpen(b, r)
	ctx := context.Background()
	b.Run("driver", func(b *testing.B) {
		job := drivertest.Job(b, dev)
		for b.Loop() {
			if _, err := dev.Print(ctx, job); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ipptool", func(b *testing.B) {
		ipptool := peer(b, "ipptool")
		doc := filepath.Join(b.TempDir(), "a4.pdf")
		if err := os.WriteFile(doc, drivertest.Document(printerd.MediaA4), 0o600); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if out, err := exec.Command(ipptool, "-f", doc, r.URI, "print-job.test").CombinedOutput(); err != nil {
				b.Fatalf("ipptool: %v: %s", err, out)
			}
			b.StopTimer()
			for drivertest.MustStatus(b, dev).State != printerd.PrinterIdle {
			}
			b.StartTimer()
		}
	})
}
