// Package sim is a simulated printer for development and tests. It
// "prints" by writing each job's PDF to <outdir>/<job id>.pdf (atomically:
// temp file, fsync, rename, fsync directory). A card printer also counts
// blank cards and gives each printed card a serial SIM-000001, SIM-000002,
// … that survives restarts (kept in <outdir>/.sim-serial).
//
// Configuration: DeviceConfig.URI is the output directory; options
// "media" (om_card_54x86mm or iso_a4_210x297mm, required) and "blanks"
// (blank cards loaded at start, card media only, default 100).
//
// Print runs in stages; a fault hook consulted at each stage lets tests
// (and later a fault-injection option) fail a job at a precise point.
package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver"
	"github.com/anjungan/anjungan/printerd/internal/durable"
)

// Name is the name the driver registers under.
const Name = "sim"

func init() { driver.Register(Name, Driver{}) }

// DefaultBlanks is the number of blank cards loaded when "blanks" is not
// given.
const DefaultBlanks = 100

const serialFile = ".sim-serial"

var (
	_ printerd.Driver = Driver{}
	_ printerd.Device = (*Device)(nil)
)

// Driver opens simulated printers.
type Driver struct{}

// Open implements printerd.Driver.
func (Driver) Open(_ context.Context, cfg printerd.DeviceConfig) (printerd.Device, error) {
	return Open(cfg)
}

// stage is a point in Print where a fault may be injected.
type stage string

const (
	stageAccept stage = "accept" // job received, nothing done yet
	stageSerial stage = "serial" // card serial assigned and recorded
	stageOutput stage = "output" // output file in place
)

// Device is one simulated printer.
type Device struct {
	name      string
	dir       string
	media     printerd.Media
	maxBlanks int
	// fault, when set, may fail Print at a stage. Nil in normal use.
	fault func(stage) *printerd.DriverError

	printMu sync.Mutex // one job at a time, as on a real printer

	mu     sync.Mutex // guards the fields below; held briefly, so Status answers during Print
	state  printerd.PrinterState
	blanks int
	serial int // last serial given
	closed bool
}

// Open checks cfg and opens a simulated printer.
func Open(cfg printerd.DeviceConfig) (*Device, error) {
	d := &Device{name: cfg.Name, dir: cfg.URI, state: printerd.PrinterIdle}
	if d.dir == "" {
		return nil, errors.New("sim: no output directory (uri)")
	}
	for k := range cfg.Options {
		if k != "media" && k != "blanks" {
			return nil, fmt.Errorf("sim: unknown option %q", k)
		}
	}
	d.media = printerd.Media(cfg.Options["media"])
	if !d.media.Valid() {
		return nil, fmt.Errorf("sim: option media %q is not %s or %s", d.media, printerd.MediaCard, printerd.MediaA4)
	}
	if s, ok := cfg.Options["blanks"]; ok {
		if d.media != printerd.MediaCard {
			return nil, errors.New("sim: option blanks applies to card media only")
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("sim: option blanks %q is not a count", s)
		}
		d.blanks = n
	} else if d.media == printerd.MediaCard {
		d.blanks = DefaultBlanks
	}
	d.maxBlanks = d.blanks
	if err := os.MkdirAll(d.dir, 0o750); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	if err := durable.Sweep(d.dir); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	if d.media == printerd.MediaCard {
		b, err := os.ReadFile(filepath.Join(d.dir, serialFile))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("sim: %w", err)
		default:
			if d.serial, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil || d.serial < 0 {
				return nil, fmt.Errorf("sim: %s holds no serial", serialFile)
			}
		}
	}
	return d, nil
}

// Capabilities implements printerd.Device.
func (d *Device) Capabilities(context.Context) (printerd.Capabilities, error) {
	return printerd.Capabilities{
		Media:       []printerd.Media{d.media},
		Resolutions: []int{300},
		Duplex:      d.media == printerd.MediaCard,
	}, nil
}

// Status implements printerd.Device.
func (d *Device) Status(context.Context) (printerd.Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := printerd.Status{State: d.state}
	if d.closed {
		st.State = printerd.PrinterStopped
		st.Reasons = append(st.Reasons, printerd.Reason{Keyword: "offline", Severity: printerd.SeverityError})
	}
	if d.media != printerd.MediaCard {
		return st, nil
	}
	switch {
	case d.blanks == 0:
		st.Reasons = append(st.Reasons, printerd.Reason{Keyword: "media-empty", Severity: printerd.SeverityError})
	case d.blanks*10 <= d.maxBlanks:
		st.Reasons = append(st.Reasons, printerd.Reason{Keyword: "media-low", Severity: printerd.SeverityWarning})
	}
	st.Supplies = []printerd.Supply{{Name: "blank cards", Kind: "other", Level: d.blanks, Max: d.maxBlanks, Unit: "cards"}}
	return st, nil
}

// Print implements printerd.Device.
func (d *Device) Print(ctx context.Context, job printerd.PrintJob) (printerd.Printed, error) {
	if job.Media != d.media {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "media-mismatch",
			Err: fmt.Errorf("job media %s, printer holds %s", job.Media, d.media)}
	}
	if !validFileName(string(job.ID)) {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "job-id-invalid"}
	}
	d.printMu.Lock()
	defer d.printMu.Unlock()
	if err := ctx.Err(); err != nil {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "canceled", Err: err}
	}

	d.mu.Lock()
	switch {
	case d.closed:
		d.mu.Unlock()
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: "offline"}
	case d.media == printerd.MediaCard && d.blanks == 0:
		d.mu.Unlock()
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeHold, Reason: "media-empty"}
	}
	d.state = printerd.PrinterProcessing
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.state = printerd.PrinterIdle
		d.mu.Unlock()
	}()

	if err := d.inject(stageAccept); err != nil {
		return printerd.Printed{}, err
	}
	var printed printerd.Printed
	if d.media == printerd.MediaCard {
		// The serial is recorded before the card is made: a crash in
		// between skips a serial (like a spoiled card) but never reuses one.
		next := d.serial + 1
		if err := durable.WriteFile(d.dir, serialFile, []byte(strconv.Itoa(next)+"\n"), 0o640); err != nil {
			return printerd.Printed{}, outputError(err, false)
		}
		d.serial = next
		printed.CardSerial = fmt.Sprintf("SIM-%06d", next)
		if err := d.inject(stageSerial); err != nil {
			return printerd.Printed{}, err
		}
	}
	if err := durable.WriteFile(d.dir, string(job.ID)+".pdf", job.Document, 0o640); err != nil {
		return printerd.Printed{}, outputError(err, durable.Renamed(err))
	}
	if d.media == printerd.MediaCard {
		d.mu.Lock()
		d.blanks--
		d.mu.Unlock()
	}
	if err := d.inject(stageOutput); err != nil {
		return printerd.Printed{}, err
	}
	printed.Pages = 1
	return printed, nil
}

func (d *Device) inject(s stage) error {
	if d.fault == nil {
		return nil
	}
	if de := d.fault(s); de != nil {
		return de
	}
	return nil
}

// outputError classifies a failure to write the output: the "printer" is
// out of order until someone looks. uncertain is set when the output may
// exist.
func outputError(err error, uncertain bool) error {
	reason := "other"
	if errors.Is(err, syscall.ENOSPC) {
		reason = "output-area-full"
	}
	return &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: reason, Uncertain: uncertain, Err: err}
}

// validFileName accepts the characters of journal job ids and little
// else, so an id can never name a path outside the output directory.
func validFileName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Close implements printerd.Device. Later prints fail with stop/offline.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	return nil
}
