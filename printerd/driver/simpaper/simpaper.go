// Package simpaper is a simulated A4 printer for development and tests.
// It "prints" a job as one page: a line in <outdir>/output.log
// (printerd/internal/outlog: sequence number, job, the document's
// SHA-256, page 1), synced, then the job's PDF in <outdir>/<job id>.pdf
// written atomically (temp file, fsync, rename, fsync directory). Faults of the
// kinds a paper printer has (feeder empty, jam, cover open, offline,
// timeout) can be injected at run time (printerd.FaultInjector).
//
// Configuration: DeviceConfig.URI is the output directory; the one option
// "media" may only say iso_a4_210x297mm.
package simpaper

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver"
	"github.com/anjungan/anjungan/printerd/internal/durable"
	"github.com/anjungan/anjungan/printerd/internal/outlog"
)

// Name is the name the driver registers under.
const Name = "simpaper"

func init() { driver.Register(Name, Driver{}) }

var (
	_ printerd.Driver        = Driver{}
	_ printerd.Device        = (*Device)(nil)
	_ printerd.FaultInjector = (*Device)(nil)
)

// Driver opens simulated paper printers.
type Driver struct{}

// Open implements printerd.Driver.
func (Driver) Open(_ context.Context, cfg printerd.DeviceConfig) (printerd.Device, error) {
	return Open(cfg)
}

// supported are the fault kinds a paper printer has.
var supported = []string{printerd.FaultFeederEmpty, printerd.FaultMediaJam, printerd.FaultCoverOpen,
	printerd.FaultOffline, printerd.FaultTimeout}

// Device is one simulated paper printer.
type Device struct {
	dir     string
	out     *outlog.Log
	printMu sync.Mutex // one job at a time, as on a real printer

	mu       sync.Mutex // guards the fields below; held briefly, so Status answers during Print
	printing bool
	faults   printerd.FaultPlan
	closed   bool
}

// Open checks cfg and opens a simulated paper printer.
func Open(cfg printerd.DeviceConfig) (*Device, error) {
	d := &Device{dir: cfg.URI}
	if d.dir == "" {
		return nil, errors.New("simpaper: no output directory (uri)")
	}
	for k, v := range cfg.Options {
		if k != "media" {
			return nil, fmt.Errorf("simpaper: unknown option %q", k)
		}
		if printerd.Media(v) != printerd.MediaA4 {
			return nil, fmt.Errorf("simpaper: option media %q: only %s", v, printerd.MediaA4)
		}
	}
	if err := os.MkdirAll(d.dir, 0o750); err != nil {
		return nil, fmt.Errorf("simpaper: %w", err)
	}
	if err := durable.Sweep(d.dir); err != nil {
		return nil, fmt.Errorf("simpaper: %w", err)
	}
	var err error
	if d.out, err = outlog.Open(d.dir); err != nil {
		return nil, fmt.Errorf("simpaper: %w", err)
	}
	return d, nil
}

// Capabilities implements printerd.Device.
func (d *Device) Capabilities(context.Context) (printerd.Capabilities, error) {
	return printerd.Capabilities{Media: []printerd.Media{printerd.MediaA4}, Resolutions: []int{300}, Duplex: false}, nil
}

// Status implements printerd.Device.
func (d *Device) Status(context.Context) (printerd.Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := printerd.Status{State: printerd.PrinterIdle, VendorCode: "OK"}
	if d.closed {
		st.Reasons = append(st.Reasons, printerd.Reason{Keyword: printerd.ReasonOffline, Severity: printerd.SeverityError})
	}
	for _, e := range d.faults.Conditions() {
		if !(d.closed && e.Reason == printerd.ReasonOffline) {
			st.Reasons = append(st.Reasons, printerd.Reason{Keyword: e.Reason, Severity: printerd.SeverityError})
		}
	}
	if len(st.Reasons) > 0 {
		st.State = printerd.PrinterStopped
		st.VendorCode = "ERR " + st.Reasons[0].Keyword
	}
	if d.printing {
		st.State = printerd.PrinterProcessing
	}
	return st, nil
}

// Print implements printerd.Device.
func (d *Device) Print(ctx context.Context, job printerd.PrintJob) (printerd.Printed, error) {
	if job.Media != printerd.MediaA4 {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "media-mismatch",
			Err: fmt.Errorf("job media %s, printer holds %s", job.Media, printerd.MediaA4)}
	}
	if !durable.SafeName(string(job.ID)) {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "job-id-invalid"}
	}
	d.printMu.Lock()
	defer d.printMu.Unlock()
	if err := ctx.Err(); err != nil {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "canceled", Err: err}
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: printerd.ReasonOffline}
	}
	if e, ok := d.faults.Refusal(); ok {
		d.mu.Unlock()
		return printerd.Printed{}, effectError(e)
	}
	d.printing = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.printing = false
		d.mu.Unlock()
	}()

	if e, ok := d.fire(printerd.FaultBeforePrint); ok {
		return printerd.Printed{}, effectError(e)
	}
	if e, ok := d.fire(printerd.FaultDuringPrint); ok {
		return printerd.Printed{}, effectError(e)
	}
	// The last point where giving up leaves no paper printed.
	if err := ctx.Err(); err != nil {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "canceled", Err: err}
	}
	// The line is the page coming out; a failed write may still have
	// left it, so from here on a failure is uncertain.
	_, err := d.out.Append(outlog.Record{Job: string(job.ID), SHA256: outlog.Sum(job.Document), Page: 1})
	if err == nil {
		err = durable.WriteFile(d.dir, string(job.ID)+".pdf", job.Document, 0o640)
	}
	if err != nil {
		reason := "other"
		if errors.Is(err, syscall.ENOSPC) {
			reason = printerd.ReasonOutputAreaFull
		}
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: reason, Uncertain: true, Err: err}
	}
	if e, ok := d.fire(printerd.FaultAfterPrint); ok {
		return printerd.Printed{}, effectError(e)
	}
	return printerd.Printed{Pages: 1}, nil
}

// effectError is a fault's error; paper is not counted, so no disposition.
func effectError(e printerd.FaultEffect) error {
	return &printerd.DriverError{Outcome: e.Outcome, Reason: e.Reason, Uncertain: e.Uncertain}
}

func (d *Device) fire(at string) (printerd.FaultEffect, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults.Fire(at)
}

// InjectFault implements printerd.FaultInjector.
func (d *Device) InjectFault(_ context.Context, f printerd.Fault) error {
	if _, err := f.Effect(); err != nil {
		return err
	}
	if !slices.Contains(supported, f.Kind) {
		return printerd.ErrFaultUnsupported.Withf("a paper printer has no %s", f.Kind)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults.Arm(f)
}

// ClearFaults implements printerd.FaultInjector.
func (d *Device) ClearFaults(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.Clear()
	return nil
}

// Close implements printerd.Device. Later prints fail with stop/offline.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	return nil
}
