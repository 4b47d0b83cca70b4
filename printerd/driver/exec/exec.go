// Package exec is the driver for printers a vendor supports with a
// program of its own, run once per job like a CUPS backend:
//
//	program JOB-ID USER TITLE COPIES OPTIONS FILE
//
// FILE is the job's PDF, mode 0600 in a folder of its own (0700) under
// printerd's private temp folder (DeviceConfig.TempDir, required);
// OPTIONS holds "media=<PWG name>". The environment carries DEVICE_URI
// (option "device-uri"), PRINTER (the printer's name), CONTENT_TYPE
// (application/pdf), ANJUNGAN_FAULT_FILE (option "fault-file", for
// simulators) and TMPDIR, set to that same folder: the program's own
// temporary files hold the document too, and the folder is removed when
// the run ends (and, after a crash, when printerd starts). Run with no arguments and ANJUNGAN_ACTION=status, the
// program only reports status; printerd does that when it opens the
// device and after ClearFaults.
//
// The program reports on stderr, one message a line, as CUPS backends do:
//
//	STATE: +media-jam-error       add reasons (comma-separated; suffix -error, -warning or -report; none means error)
//	STATE: -media-jam-error       remove reasons
//	STATE: media-empty-error      replace all reasons
//	ATTR: name=value name=value   marker-names, marker-levels, marker-high-levels, marker-types (comma lists),
//	                              card-serial, card-disposition (none, rejected, stuck, unknown), pages,
//	                              vendor-code, uncertain=true (the job may have printed)
//	INFO: text / ERROR: text      for the log and the error's cause
//
// and exits like a CUPS backend: 0 ok, 1 failed, 2 authentication needed
// (failed), 3 hold, 4 stop, 5 cancel, 6 retry, 7 retry-current. Any other
// end (a crash, a signal) is a stop whose result is uncertain. A card
// printer's program that fails without saying where the card went
// (card-disposition) leaves it unknown, and the failure uncertain. A canceled
// context sends the program SIGTERM, then SIGKILL after the grace period.
//
// Options: media (required), resolution (dpi, default 300), device-uri,
// fault-file, grace (Go duration, default 5s).
package exec

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/anjungan/anjungan/internal/privtmp"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver"
)

// Name is the name the driver registers under.
const Name = "exec"

func init() { driver.Register(Name, Driver{}) }

var (
	_ printerd.Driver        = Driver{}
	_ printerd.Device        = (*Device)(nil)
	_ printerd.FaultInjector = (*Device)(nil)
)

// Driver opens printers driven by a vendor program.
type Driver struct{}

// Open implements printerd.Driver.
func (Driver) Open(ctx context.Context, cfg printerd.DeviceConfig) (printerd.Device, error) {
	return Open(ctx, cfg)
}

// Exit codes of a CUPS backend.
var exitOutcomes = map[int]printerd.Outcome{
	0: printerd.OutcomeOK,
	1: printerd.OutcomeFailed,
	2: printerd.OutcomeFailed, // authentication required: nothing printerd can supply
	3: printerd.OutcomeHold,
	4: printerd.OutcomeStop,
	5: printerd.OutcomeCancel,
	6: printerd.OutcomeRetry,
	7: printerd.OutcomeRetryCurrent,
}

// Device is one printer behind a vendor program.
type Device struct {
	name       string
	program    string
	media      printerd.Media
	resolution int
	deviceURI  string
	faultFile  string
	grace      time.Duration
	tmp        string // private folder: a folder of it per run

	printMu sync.Mutex // the program runs once at a time

	mu       sync.Mutex // guards the fields below
	status   Report     // what the program last said
	printing bool
	closed   bool
}

// Open checks cfg, finds the program and asks it for its status.
func Open(ctx context.Context, cfg printerd.DeviceConfig) (*Device, error) {
	d := &Device{name: cfg.Name, program: cfg.URI, resolution: 300, grace: 5 * time.Second, tmp: cfg.TempDir}
	if d.program == "" {
		return nil, errors.New("exec: no program (uri)")
	}
	if err := privtmp.Check(d.tmp); err != nil {
		return nil, fmt.Errorf("exec: the job's file needs printerd's private temp folder: %w", err)
	}
	path, err := osexec.LookPath(d.program)
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	if d.program, err = filepath.Abs(path); err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	for k, v := range cfg.Options {
		switch k {
		case "media":
			d.media = printerd.Media(v)
		case "resolution":
			if d.resolution, err = strconv.Atoi(v); err != nil || d.resolution <= 0 {
				return nil, fmt.Errorf("exec: option resolution %q is not dpi", v)
			}
		case "device-uri":
			d.deviceURI = v
		case "fault-file":
			d.faultFile = v
		case "grace":
			if d.grace, err = time.ParseDuration(v); err != nil || d.grace < 0 {
				return nil, fmt.Errorf("exec: option grace %q is not a duration", v)
			}
		default:
			return nil, fmt.Errorf("exec: unknown option %q", k)
		}
	}
	if !d.media.Valid() {
		return nil, fmt.Errorf("exec: option media %q is not %s or %s", d.media, printerd.MediaCard, printerd.MediaA4)
	}
	if err := d.probe(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// Capabilities implements printerd.Device.
func (d *Device) Capabilities(context.Context) (printerd.Capabilities, error) {
	caps := printerd.Capabilities{Media: []printerd.Media{d.media}, Resolutions: []int{d.resolution}}
	if d.media == printerd.MediaCard {
		caps.Card = &printerd.CardFeatures{Feeders: 1}
	}
	return caps, nil
}

// Status implements printerd.Device from what the program last reported.
func (d *Device) Status(context.Context) (printerd.Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := printerd.Status{State: printerd.PrinterIdle, Reasons: slices.Clone(d.status.Reasons),
		Supplies: slices.Clone(d.status.Supplies), VendorCode: d.status.Attrs["vendor-code"]}
	if d.closed {
		st.Reasons = append(st.Reasons, printerd.Reason{Keyword: "offline", Severity: printerd.SeverityError})
	}
	for _, r := range st.Reasons {
		if r.Severity == printerd.SeverityError {
			st.State = printerd.PrinterStopped
		}
	}
	if d.printing {
		st.State = printerd.PrinterProcessing
	}
	return st, nil
}

// Print implements printerd.Device.
func (d *Device) Print(ctx context.Context, job printerd.PrintJob) (printerd.Printed, error) {
	none := &printerd.CardError{Disposition: printerd.DispositionNone}
	if job.Media != d.media {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "media-mismatch", Err: none}
	}
	d.printMu.Lock()
	defer d.printMu.Unlock()
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: "offline", Err: none}
	}
	if err := ctx.Err(); err != nil {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "canceled", Err: errors.Join(none, err)}
	}
	work, err := privtmp.MkdirTemp(d.tmp, "job-")
	if err != nil {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "spool-area-full", Err: errors.Join(none, err)}
	}
	// The folder goes with whatever the program left in it.
	defer os.RemoveAll(work)
	doc := filepath.Join(work, "job.pdf")
	if err := privtmp.WriteFile(work, "job.pdf", job.Document); err != nil {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "spool-area-full", Err: errors.Join(none, err)}
	}

	d.setPrinting(true)
	defer d.setPrinting(false)
	rep, code, runErr := d.run(ctx, work, nil, string(job.ID), "printerd", job.Title, "1", "media="+string(d.media), doc)
	var notRun *startError
	if errors.As(runErr, &notRun) {
		// The program never ran: nothing reached the printer.
		outcome, reason := printerd.OutcomeStop, "other"
		if ctx.Err() != nil {
			outcome, reason = printerd.OutcomeRetry, "canceled"
		}
		return printerd.Printed{}, &printerd.DriverError{Outcome: outcome, Reason: reason, Err: errors.Join(none, runErr)}
	}
	return d.result(ctx, rep, code, runErr)
}

func (d *Device) setPrinting(on bool) {
	d.mu.Lock()
	d.printing = on
	d.mu.Unlock()
}

// result classifies a run of the program.
func (d *Device) result(ctx context.Context, rep Report, code int, runErr error) (printerd.Printed, error) {
	outcome, known := exitOutcomes[code]
	if runErr == nil && known && outcome == printerd.OutcomeOK {
		p := printerd.Printed{CardSerial: rep.Attrs["card-serial"], Pages: 1}
		if n, err := strconv.Atoi(rep.Attrs["pages"]); err == nil && n > 0 {
			p.Pages = n
		}
		return p, nil
	}
	de := &printerd.DriverError{Outcome: outcome, Reason: rep.Failure(), Uncertain: rep.Attrs["uncertain"] == "true"}
	cause := runErr
	if cause == nil {
		cause = fmt.Errorf("exit status %d", code)
	}
	if rep.Error != "" {
		cause = fmt.Errorf("%w: %s", cause, rep.Error)
	}
	switch {
	case ctx.Err() != nil:
		// Stopped by us: the program may have sent data already, unless
		// it said what became of the card.
		de.Outcome, de.Reason = printerd.OutcomeRetry, "canceled"
		de.Uncertain = de.Uncertain || rep.Attrs["card-disposition"] == "" || rep.Attrs["card-disposition"] == string(printerd.DispositionUnknown)
		cause = errors.Join(cause, ctx.Err())
	case runErr != nil || !known:
		// A crash or a code no backend uses: nobody knows what printed.
		de.Outcome, de.Uncertain = printerd.OutcomeStop, true
	}
	if de.Reason == "" {
		de.Reason = "other"
	}
	if d.media == printerd.MediaCard {
		disp := printerd.Disposition(rep.Attrs["card-disposition"])
		switch disp {
		case printerd.DispositionNone, printerd.DispositionRejected, printerd.DispositionStuck, printerd.DispositionUnknown:
		default:
			disp = printerd.DispositionUnknown // a program that does not say may have used a card
		}
		// A card whose fate is unknown may have printed: whatever the exit
		// code says (6 would requeue it), the job must go in doubt.
		de.Uncertain = de.Uncertain || disp == printerd.DispositionUnknown
		cause = &printerd.CardError{Disposition: disp, CardSerial: rep.Attrs["card-serial"], Err: cause}
	}
	de.Err = cause
	return printerd.Printed{}, de
}

// probe runs the program for its status only.
func (d *Device) probe(ctx context.Context) error {
	d.printMu.Lock()
	defer d.printMu.Unlock()
	work, err := privtmp.MkdirTemp(d.tmp, "status-")
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	defer os.RemoveAll(work)
	_, code, err := d.run(ctx, work, []string{"ANJUNGAN_ACTION=status"})
	if err == nil && code != 0 {
		err = fmt.Errorf("exit status %d", code)
	}
	if err != nil {
		return fmt.Errorf("exec: status of %s: %w", d.program, err)
	}
	return nil
}

// run runs the program with TMPDIR work, folds its report into the
// device's status and returns the report of this run and the exit code.
// err is set when the program could not run or did not exit normally.
func (d *Device) run(ctx context.Context, work string, env []string, args ...string) (Report, int, error) {
	cmd := osexec.CommandContext(ctx, d.program, args...)
	cmd.Env = append(privtmp.Env(os.Environ(), work), "DEVICE_URI="+d.deviceURI, "PRINTER="+d.name, "CONTENT_TYPE=application/pdf",
		"ANJUNGAN_FAULT_FILE="+d.faultFile)
	cmd.Env = append(cmd.Env, env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = d.grace
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return Report{}, -1, err
	}
	if err := cmd.Start(); err != nil {
		return Report{}, -1, &startError{err}
	}
	d.mu.Lock()
	prev := d.status
	d.mu.Unlock()
	rep := Report{Reasons: prev.Reasons, Supplies: prev.Supplies, Attrs: map[string]string{}}
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for sc.Scan() {
		rep.Line(sc.Text())
		d.mu.Lock()
		d.status.Reasons, d.status.Supplies = rep.Reasons, rep.Supplies
		d.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, stderr) // a line too long ends the scan; drain so the program never blocks
	err = cmd.Wait()
	d.mu.Lock()
	d.status = rep
	d.status.Attrs = mergeAttrs(prev.Attrs, rep.Attrs)
	d.mu.Unlock()
	var exit *osexec.ExitError
	if errors.As(err, &exit) && exit.Exited() {
		return rep, exit.ExitCode(), nil
	}
	if err != nil {
		return rep, -1, err
	}
	return rep, 0, nil
}

// startError is a program that could not be started.
type startError struct{ err error }

func (e *startError) Error() string { return "start: " + e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// mergeAttrs keeps the printer-wide attributes (vendor code) across runs;
// per-job ones come only from the run.
func mergeAttrs(prev, cur map[string]string) map[string]string {
	out := map[string]string{}
	if v, ok := prev["vendor-code"]; ok {
		out["vendor-code"] = v
	}
	for k, v := range cur {
		out[k] = v
	}
	return out
}

// InjectFault implements printerd.FaultInjector for programs that
// simulate faults: it appends "KIND AT COUNT" to the fault file, which
// the program reads. Without a fault-file option it is unsupported.
func (d *Device) InjectFault(_ context.Context, f printerd.Fault) error {
	if _, err := f.Effect(); err != nil {
		return err
	}
	if d.faultFile == "" {
		return printerd.ErrFaultUnsupported.Withf("exec printer %s has no fault-file option", d.name)
	}
	file, err := os.OpenFile(d.faultFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(file, "%s %s %d\n", f.Kind, f.At, max(f.Count, 1))
	return errors.Join(err, file.Close())
}

// ClearFaults implements printerd.FaultInjector: it writes "clear" to
// the fault file and asks the program for its status again.
func (d *Device) ClearFaults(ctx context.Context) error {
	if d.faultFile == "" {
		return printerd.ErrFaultUnsupported.Withf("exec printer %s has no fault-file option", d.name)
	}
	if err := os.WriteFile(d.faultFile, []byte("clear\n"), 0o600); err != nil {
		return err
	}
	return d.probe(ctx)
}

// Close implements printerd.Device.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	return nil
}
