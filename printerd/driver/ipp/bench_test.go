package ipp_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/drivertest"
)

// printSamples is the jobs of each kind one run of BenchmarkPrint times.
const printSamples = 50

// BenchmarkPrint prints the same A4 PDF to the same ippeveprinter with
// the driver (status check, Print-Job, follow to the job's end) and with
// ipptool with testdata/print-and-wait.test (Print-Job, then Get-Job-Attributes every millisecond
// until the job ends), alternating job by job so both meet the same
// printer and the same load. Before each job the benchmark waits,
// untimed, for the printer to be idle: it takes one job at a time and
// refuses the next while busy. It reports each one's p50 and p90 and
// the driver's time as a multiple of ipptool's (docs/performance.md).
func BenchmarkPrint(b *testing.B) {
	r := MustRig(b, MustBus(b), false)
	dev := MustOpen(b, r)
	ctx := context.Background()
	ipptool := peer(b, "ipptool")
	doc := filepath.Join(b.TempDir(), "a4.pdf")
	if err := os.WriteFile(doc, drivertest.Document(printerd.MediaA4), 0o600); err != nil {
		b.Fatal(err)
	}
	job := drivertest.Job(b, dev)
	idle := func() {
		for drivertest.MustStatus(b, dev).State != printerd.PrinterIdle {
			time.Sleep(time.Millisecond)
		}
	}
	var driver, tool []time.Duration
	for b.Loop() {
		driver, tool = driver[:0], tool[:0]
		for range printSamples {
			idle()
			start := time.Now()
			if _, err := dev.Print(ctx, job); err != nil {
				b.Fatal(err)
			}
			driver = append(driver, time.Since(start))
			idle()
			start = time.Now()
			if out, err := exec.Command(ipptool, "-f", doc, r.URI, "testdata/print-and-wait.test").CombinedOutput(); err != nil {
				b.Fatalf("ipptool: %v: %s", err, out)
			}
			tool = append(tool, time.Since(start))
		}
	}
	slices.Sort(driver)
	slices.Sort(tool)
	p := func(d []time.Duration, q int) float64 { return float64(d[len(d)*q/100].Microseconds()) / 1000 }
	b.ReportMetric(p(driver, 50), "driver-p50-ms")
	b.ReportMetric(p(driver, 90), "driver-p90-ms")
	b.ReportMetric(p(tool, 50), "ipptool-p50-ms")
	b.ReportMetric(p(tool, 90), "ipptool-p90-ms")
	b.ReportMetric(p(driver, 50)/p(tool, 50), "p50-x-ipptool")
	b.ReportMetric(p(driver, 90)/p(tool, 90), "p90-x-ipptool")
}
