// Package simcard is a simulated ID-1 card printer for development, tests
// and the demo: a hopper of blank cards, a YMCKO ribbon counted in panels,
// a reject box, a magnetic stripe encoder, per-card serials that survive
// restarts, timings from instant to realistic, and faults injected at run
// time (printerd.FaultInjector), and card counters (printerd.CardCounter:
// a lifetime counter, the serial, and a locked reject box).
//
// It "prints" a card by writing, under the output directory (the URI):
// <job>.pdf (the document, byte for byte), <job>-side1.png and
// <job>-side2.png (each printed side rasterised with pdftoppm at 300 dpi,
// in a folder of DeviceConfig.TempDir removed once the card is out),
// <job>.mag (magnetic tracks, when encoded), a line per card picked in
// cards.log (serial, job, what became of it), and a line per card that
// leaves through the output tray in output.log (printerd/internal/outlog:
// sequence number, job, the document's SHA-256, serial), synced before the
// print is reported. Serials SIM-000001,
// SIM-000002, … are recorded in .sim-serial before a card is picked, so
// a crash skips a serial but never reuses one. Counts of blanks, ribbon
// and rejects start from the options each time the device opens (a fresh
// load).
//
// Options (all optional):
//
//	media       om_card_54x86mm (the only one)
//	blanks      blank cards in the hopper (default 100)
//	ribbon      ribbon panels remaining (default 1000; YMCKO: 5 a side)
//	reject      reject box capacity (default 20; 0: no box, a rejected card stays inside)
//	duplex      true or false (default true)
//	timing      fast (default: no delays) or realistic
//	pick-time, side-time, eject-time   Go durations overriding timing
//	raster      auto (default: when pdftoppm is on PATH), on, off
//
// Rastering needs DeviceConfig.TempDir, printerd's private folder.
package simcard

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/anjungan/anjungan/internal/privtmp"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver"
	"github.com/anjungan/anjungan/printerd/internal/durable"
	"github.com/anjungan/anjungan/printerd/internal/outlog"
)

// Name is the name the driver registers under.
const Name = "simcard"

func init() { driver.Register(Name, Driver{}) }

var (
	_ printerd.Driver        = Driver{}
	_ printerd.Device        = (*Device)(nil)
	_ printerd.FaultInjector = (*Device)(nil)
	_ printerd.Identifier    = (*Device)(nil)
	_ printerd.CardMover     = (*Device)(nil)
	_ printerd.Encoder       = (*Device)(nil)
	_ printerd.Cleaner       = (*Device)(nil)
	_ printerd.TestPrinter   = (*Device)(nil)
)

// Defaults.
const (
	DefaultBlanks = 100
	DefaultRibbon = 1000
	DefaultReject = 20
	ribbonPanels  = "YMCKO"
	serialFile    = ".sim-serial"
	cardsLog      = "cards.log"
)

// Timing is how long the simulated mechanics take.
type Timing struct {
	Pick, Side, Eject time.Duration
}

// Realistic is the pace of an entry-level dye-sublimation card printer:
// about 6 s for a YMCKO side.
var Realistic = Timing{Pick: 800 * time.Millisecond, Side: 6 * time.Second, Eject: 700 * time.Millisecond}

//go:embed testcard.pdf
var testCard []byte

// Driver opens simulated card printers.
type Driver struct{}

// Open implements printerd.Driver.
func (Driver) Open(_ context.Context, cfg printerd.DeviceConfig) (printerd.Device, error) {
	return Open(cfg)
}

// Device is one simulated card printer.
type Device struct {
	dir     string
	tmp     string // private folder of the rasters
	timing  Timing
	raster  bool
	duplex  bool
	panels  int // ribbon panels a side uses
	out     *outlog.Log
	printMu sync.Mutex

	mu                  sync.Mutex // guards the fields below; never held while sleeping
	printing            bool
	blanks, maxBlanks   int
	ribbon, maxRibbon   int
	rejects, rejectCap  int
	serial              int    // last serial given
	inside              string // serial of a card left inside, "" when the path is clear
	faults              printerd.FaultPlan
	identified, cleaned int
	closed              bool
}

var options = []string{"media", "blanks", "ribbon", "reject", "duplex", "timing", "pick-time", "side-time", "eject-time", "raster"}

// Open checks cfg and opens a simulated card printer.
func Open(cfg printerd.DeviceConfig) (*Device, error) {
	d := &Device{dir: cfg.URI, tmp: cfg.TempDir, duplex: true, panels: len(ribbonPanels),
		blanks: DefaultBlanks, ribbon: DefaultRibbon, rejectCap: DefaultReject}
	if d.dir == "" {
		return nil, errors.New("simcard: no output directory (uri)")
	}
	o := cfg.Options
	for k := range o {
		if !slices.Contains(options, k) {
			return nil, fmt.Errorf("simcard: unknown option %q", k)
		}
	}
	if m, ok := o["media"]; ok && printerd.Media(m) != printerd.MediaCard {
		return nil, fmt.Errorf("simcard: option media %q: only %s", m, printerd.MediaCard)
	}
	var err error
	for _, c := range []struct {
		key string
		n   *int
	}{{"blanks", &d.blanks}, {"ribbon", &d.ribbon}, {"reject", &d.rejectCap}} {
		if s, ok := o[c.key]; ok {
			if *c.n, err = strconv.Atoi(s); err != nil || *c.n < 0 {
				return nil, fmt.Errorf("simcard: option %s %q is not a count", c.key, s)
			}
		}
	}
	d.maxBlanks, d.maxRibbon = d.blanks, d.ribbon
	if s, ok := o["duplex"]; ok {
		if d.duplex, err = strconv.ParseBool(s); err != nil {
			return nil, fmt.Errorf("simcard: option duplex %q is not true or false", s)
		}
	}
	switch o["timing"] {
	case "", "fast":
	case "realistic":
		d.timing = Realistic
	default:
		return nil, fmt.Errorf("simcard: option timing %q is not fast or realistic", o["timing"])
	}
	for _, c := range []struct {
		key string
		d   *time.Duration
	}{{"pick-time", &d.timing.Pick}, {"side-time", &d.timing.Side}, {"eject-time", &d.timing.Eject}} {
		if s, ok := o[c.key]; ok {
			if *c.d, err = time.ParseDuration(s); err != nil || *c.d < 0 {
				return nil, fmt.Errorf("simcard: option %s %q is not a duration", c.key, s)
			}
		}
	}
	switch o["raster"] {
	case "", "auto":
		_, err := exec.LookPath("pdftoppm")
		d.raster = err == nil
	case "on":
		if _, err := exec.LookPath("pdftoppm"); err != nil {
			return nil, fmt.Errorf("simcard: option raster on: %w (install poppler-utils)", err)
		}
		d.raster = true
	case "off":
	default:
		return nil, fmt.Errorf("simcard: option raster %q is not auto, on or off", o["raster"])
	}
	if d.raster {
		// The rasters are the citizen's document.
		if err := privtmp.Check(d.tmp); err != nil {
			return nil, fmt.Errorf("simcard: rasters need printerd's private temp folder: %w", err)
		}
	}
	if err := os.MkdirAll(d.dir, 0o750); err != nil {
		return nil, fmt.Errorf("simcard: %w", err)
	}
	if err := durable.Sweep(d.dir); err != nil {
		return nil, fmt.Errorf("simcard: %w", err)
	}
	if d.out, err = outlog.Open(d.dir); err != nil {
		return nil, fmt.Errorf("simcard: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(d.dir, serialFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("simcard: %w", err)
	default:
		if d.serial, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil || d.serial < 0 {
			return nil, fmt.Errorf("simcard: %s holds no serial", serialFile)
		}
	}
	return d, nil
}

// Capabilities implements printerd.Device.
func (d *Device) Capabilities(context.Context) (printerd.Capabilities, error) {
	return printerd.Capabilities{
		Media:       []printerd.Media{printerd.MediaCard},
		Resolutions: []int{300},
		Duplex:      d.duplex,
		Card: &printerd.CardFeatures{RibbonPanels: ribbonPanels, Magstripe: true, RejectBox: d.rejectCap,
			Feeders: 1, HopperSensor: true},
	}, nil
}

// vendorCodes are the simulated firmware's error codes, kept raw in
// Status.VendorCode as a real driver keeps its printer's.
var vendorCodes = map[string]string{
	printerd.ReasonOffline:           "E6001",
	printerd.ReasonMediaJam:          "E2001",
	printerd.ReasonCoverOpen:         "E4001",
	printerd.ReasonOutputAreaFull:    "E5001",
	printerd.ReasonMediaEmpty:        "E1001",
	printerd.ReasonMarkerSupplyEmpty: "E3001",
}

// Status implements printerd.Device. It takes only the state lock, so it
// answers at once while a card prints.
func (d *Device) Status(context.Context) (printerd.Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var reasons []printerd.Reason
	add := func(keyword string, sev printerd.Severity) {
		for _, r := range reasons {
			if r.Keyword == keyword {
				return
			}
		}
		reasons = append(reasons, printerd.Reason{Keyword: keyword, Severity: sev})
	}
	if d.closed {
		add(printerd.ReasonOffline, printerd.SeverityError)
	}
	for _, e := range d.faults.Conditions() {
		add(e.Reason, printerd.SeverityError)
	}
	switch {
	case d.blanks == 0:
		add(printerd.ReasonMediaEmpty, printerd.SeverityError)
	case d.blanks*10 <= d.maxBlanks:
		add("media-low", printerd.SeverityWarning)
	}
	switch {
	case d.ribbon < d.panels:
		add(printerd.ReasonMarkerSupplyEmpty, printerd.SeverityError)
	case d.ribbon*10 <= d.maxRibbon:
		add("marker-supply-low", printerd.SeverityWarning)
	}
	switch {
	case d.rejectCap == 0: // no reject box
	case d.rejects >= d.rejectCap:
		add(printerd.ReasonOutputAreaFull, printerd.SeverityError)
	case d.rejects*10 >= d.rejectCap*8:
		add("output-area-almost-full", printerd.SeverityWarning)
	}
	st := printerd.Status{State: printerd.PrinterIdle, Reasons: reasons, VendorCode: "OK"}
	for _, r := range reasons {
		if r.Severity == printerd.SeverityError {
			st.State = printerd.PrinterStopped
			st.VendorCode = vendorCodes[r.Keyword]
			break
		}
	}
	if d.printing {
		st.State = printerd.PrinterProcessing
	}
	st.Supplies = []printerd.Supply{
		{Name: "blank cards", Kind: "other", Level: d.blanks, Max: d.maxBlanks, Unit: "cards"},
		{Name: ribbonPanels + " ribbon", Kind: "inkRibbon", Level: d.ribbon, Max: d.maxRibbon, Unit: "panels"},
	}
	return st, nil
}

// Print implements printerd.Device.
func (d *Device) Print(ctx context.Context, job printerd.PrintJob) (printerd.Printed, error) {
	return d.print(ctx, job, nil)
}

// PrintEncoded implements printerd.Encoder: the tracks land in <job>.mag.
func (d *Device) PrintEncoded(ctx context.Context, job printerd.PrintJob, enc printerd.Encoding) (printerd.Printed, error) {
	if err := checkTracks(enc.Tracks); err != nil {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "encoding-invalid", Err: err}
	}
	return d.print(ctx, job, &enc)
}

// checkTracks applies ISO/IEC 7811's capacities: track 1 holds 79
// alphanumeric characters, track 2 40 digits, track 3 107 digits.
func checkTracks(tracks []string) error {
	if len(tracks) > 3 {
		return fmt.Errorf("%d tracks; a stripe has 3", len(tracks))
	}
	limits := []int{79, 40, 107}
	for i, t := range tracks {
		if len(t) > limits[i] {
			return fmt.Errorf("track %d: %d characters, at most %d", i+1, len(t), limits[i])
		}
		for _, c := range t {
			if c < 0x20 || c > 0x5f || i > 0 && !(c >= '0' && c <= '9' || c == '=' || c == '?' || c == ';') {
				return fmt.Errorf("track %d: character %q cannot be encoded", i+1, c)
			}
		}
	}
	return nil
}

// TestPrint implements printerd.TestPrinter with the built-in test card.
func (d *Device) TestPrint(ctx context.Context) (printerd.Printed, error) {
	d.mu.Lock()
	id := printerd.JobID(fmt.Sprintf("test-%06d", d.serial+1))
	d.mu.Unlock()
	return d.print(ctx, printerd.PrintJob{ID: id, Media: printerd.MediaCard, Title: "test card", Document: testCard}, nil)
}

var canceled = printerd.FaultEffect{Reason: "canceled", Outcome: printerd.OutcomeRetry, Disposition: printerd.DispositionRejected}

func (d *Device) print(ctx context.Context, job printerd.PrintJob, enc *printerd.Encoding) (printerd.Printed, error) {
	if job.Media != printerd.MediaCard {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "media-mismatch",
			Err: fmt.Errorf("job media %s, printer holds %s", job.Media, printerd.MediaCard)}
	}
	if !durable.SafeName(string(job.ID)) {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "job-id-invalid"}
	}
	d.printMu.Lock()
	defer d.printMu.Unlock()
	if err := ctx.Err(); err != nil {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "canceled", Err: err}
	}
	// The document is rasterised before a card is picked: a document the
	// printer cannot take costs no card.
	sides, err := d.rasterise(ctx, job)
	if err != nil {
		if ctx.Err() != nil {
			return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "canceled", Err: err}
		}
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "document-format-error", Err: err}
	}
	defer removeSides(sides)
	n := max(len(sides), 1)
	if n > 2 || n == 2 && !d.duplex {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "document-format-error",
			Err: fmt.Errorf("%d pages for a card printer with duplex %v", n, d.duplex)}
	}

	d.mu.Lock()
	if err := d.refuseLocked(n); err != nil {
		d.mu.Unlock()
		return printerd.Printed{}, err
	}
	d.printing = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.printing = false
		d.mu.Unlock()
	}()

	if e, ok := d.fire(printerd.FaultBeforePrint); ok {
		return printerd.Printed{}, d.fail(e, "", job.ID, nil)
	}
	serial, err := d.pick()
	if err != nil {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: "other", Err: err}
	}
	if err := d.sleep(ctx, d.timing.Pick); err != nil {
		return printerd.Printed{}, d.fail(canceled, serial, job.ID, err)
	}
	if e, ok := d.fire(printerd.FaultDuringPrint); ok {
		return printerd.Printed{}, d.fail(e, serial, job.ID, nil)
	}
	for range n {
		if err := d.sleep(ctx, d.timing.Side); err != nil {
			return printerd.Printed{}, d.fail(canceled, serial, job.ID, err)
		}
		d.mu.Lock()
		d.ribbon -= d.panels
		d.mu.Unlock()
	}
	if err := d.output(job, sides, enc); err != nil {
		// The card is printed in the simulated world; only its record is
		// in question.
		return printerd.Printed{}, d.fail(printerd.FaultEffect{Reason: outputReason(err), Outcome: printerd.OutcomeStop,
			Uncertain: true, Disposition: printerd.DispositionUnknown}, serial, job.ID, err)
	}
	if e, ok := d.fire(printerd.FaultAfterPrint); ok {
		return printerd.Printed{}, d.fail(e, serial, job.ID, nil)
	}
	// A printed card leaves the printer even when the caller gave up.
	_ = d.sleep(context.WithoutCancel(ctx), d.timing.Eject)
	_, err = d.out.Append(outlog.Record{Job: string(job.ID), SHA256: outlog.Sum(job.Document), Card: serial})
	if err == nil {
		err = d.logCard(serial, job.ID, "printed")
	}
	if err != nil {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: outputReason(err), Uncertain: true,
			Err: &printerd.CardError{Disposition: printerd.DispositionUnknown, CardSerial: serial, Err: err}}
	}
	return printerd.Printed{CardSerial: serial, Pages: n}, nil
}

// refuseLocked returns why the printer cannot start a card now, before
// one is picked.
func (d *Device) refuseLocked(sides int) error {
	refuse := func(e printerd.FaultEffect) error {
		return &printerd.DriverError{Outcome: e.Outcome, Reason: e.Reason,
			Err: &printerd.CardError{Disposition: printerd.DispositionNone}}
	}
	if d.closed {
		return refuse(printerd.FaultEffect{Reason: printerd.ReasonOffline, Outcome: printerd.OutcomeStop})
	}
	if e, ok := d.faults.Refusal(); ok {
		return refuse(e)
	}
	switch {
	case d.blanks == 0:
		return refuse(printerd.FaultEffect{Reason: printerd.ReasonMediaEmpty, Outcome: printerd.OutcomeHold})
	case d.rejectCap > 0 && d.rejects >= d.rejectCap:
		return refuse(printerd.FaultEffect{Reason: printerd.ReasonOutputAreaFull, Outcome: printerd.OutcomeStop})
	case d.ribbon < d.panels*sides:
		return refuse(printerd.FaultEffect{Reason: printerd.ReasonMarkerSupplyEmpty, Outcome: printerd.OutcomeHold})
	}
	return nil
}

// pick takes a blank from the hopper. The serial is recorded first.
func (d *Device) pick() (string, error) {
	d.mu.Lock()
	next := d.serial + 1
	d.mu.Unlock()
	if err := durable.WriteFile(d.dir, serialFile, []byte(strconv.Itoa(next)+"\n"), 0o640); err != nil {
		return "", err
	}
	d.mu.Lock()
	d.serial = next
	d.blanks--
	d.mu.Unlock()
	return fmt.Sprintf("SIM-%06d", next), nil
}

// fire returns the effect of an armed fault at point at, if one fires.
func (d *Device) fire(at string) (printerd.FaultEffect, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults.Fire(at)
}

// fail accounts for the card of a failed print and returns the error.
func (d *Device) fail(e printerd.FaultEffect, serial string, job printerd.JobID, cause error) error {
	disp := e.Disposition
	if serial == "" {
		disp = printerd.DispositionNone
	}
	d.mu.Lock()
	switch disp {
	case printerd.DispositionRejected:
		if d.rejects < d.rejectCap {
			d.rejects++
		} else {
			// No box, or no room: the card stays in the path and the
			// printer waits for hands.
			disp = printerd.DispositionStuck
			e.Outcome = printerd.OutcomeStop
			d.inside = serial
		}
	case printerd.DispositionStuck:
		d.inside = serial
	}
	d.mu.Unlock()
	var logErr error
	if serial != "" {
		logErr = d.logCard(serial, job, string(disp))
	}
	return &printerd.DriverError{Outcome: e.Outcome, Reason: e.Reason, Uncertain: e.Uncertain,
		Err: &printerd.CardError{Disposition: disp, CardSerial: serial, Err: errors.Join(cause, logErr)}}
}

func (d *Device) sleep(ctx context.Context, t time.Duration) error {
	if t <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(t)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// rasterise renders each page of the job's PDF to a PNG in a folder of
// the private temp folder, as a card printer's driver rasterises before
// it prints. With raster off it returns no sides and the card counts one
// side.
func (d *Device) rasterise(ctx context.Context, job printerd.PrintJob) ([]string, error) {
	if !d.raster {
		return nil, nil
	}
	tmp, err := privtmp.MkdirTemp(d.tmp, "simcard-")
	if err != nil {
		return nil, err
	}
	pdf := filepath.Join(tmp, "doc.pdf")
	if err := privtmp.WriteFile(tmp, "doc.pdf", job.Document); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "pdftoppm", "-r", "300", "-png", pdf, filepath.Join(tmp, "side"))
	cmd.Env = privtmp.Env(os.Environ(), tmp)
	out, err := cmd.CombinedOutput()
	if err == nil {
		err = privtmp.Restrict(tmp)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return nil, fmt.Errorf("pdftoppm: %w: %s", err, strings.TrimSpace(string(out)))
	}
	sides, err := filepath.Glob(filepath.Join(tmp, "side-*.png"))
	if err != nil || len(sides) == 0 {
		_ = os.RemoveAll(tmp)
		return nil, fmt.Errorf("pdftoppm made no page: %v", err)
	}
	slices.Sort(sides) // fine up to 9 pages; a card has 2
	return sides, nil
}

func removeSides(sides []string) {
	if len(sides) > 0 {
		_ = os.RemoveAll(filepath.Dir(sides[0]))
	}
}

// output writes what the card carries: sides, stripe, and last the PDF,
// so a <job>.pdf on disk means the whole card was recorded.
func (d *Device) output(job printerd.PrintJob, sides []string, enc *printerd.Encoding) error {
	for i, s := range sides {
		b, err := os.ReadFile(s)
		if err != nil {
			return err
		}
		if err := durable.WriteFile(d.dir, fmt.Sprintf("%s-side%d.png", job.ID, i+1), b, 0o640); err != nil {
			return err
		}
	}
	if enc != nil {
		if err := durable.WriteFile(d.dir, string(job.ID)+".mag", []byte(strings.Join(enc.Tracks, "\n")+"\n"), 0o640); err != nil {
			return err
		}
	}
	return durable.WriteFile(d.dir, string(job.ID)+".pdf", job.Document, 0o640)
}

// logCard appends what became of a card to cards.log and syncs it, so the
// ledger can be reconciled with the simulated hardware after a crash.
func (d *Device) logCard(serial string, job printerd.JobID, what string) error {
	f, err := os.OpenFile(filepath.Join(d.dir, cardsLog), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s %s %s\n", serial, job, what)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

func outputReason(err error) string {
	if errors.Is(err, syscall.ENOSPC) {
		return printerd.ReasonOutputAreaFull
	}
	return "other"
}

// InjectFault implements printerd.FaultInjector; every defined fault is
// supported.
func (d *Device) InjectFault(_ context.Context, f printerd.Fault) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults.Arm(f)
}

// ClearFaults implements printerd.FaultInjector: what an officer does
// after fixing the printer. The reject box is emptied too; a card left
// inside stays until MoveCard.
func (d *Device) ClearFaults(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.Clear()
	d.rejects = 0
	return nil
}

// Identify implements printerd.Identifier (the simulator only counts).
func (d *Device) Identify(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.identified++
	return nil
}

// MoveCard implements printerd.CardMover for a card left inside by a jam.
func (d *Device) MoveCard(_ context.Context, to printerd.CardMove) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inside == "" {
		return printerd.ErrNoCardInside
	}
	switch to {
	case printerd.CardEject:
	case printerd.CardReject:
		if d.rejects >= d.rejectCap {
			return printerd.ErrAbilityUnavailable.Withf("reject box full")
		}
		d.rejects++
	default:
		return printerd.ErrAbilityUnavailable.Withf("unknown card move %q", to)
	}
	d.inside = ""
	return nil
}

// Clean implements printerd.Cleaner.
func (d *Device) Clean(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cleaned++
	return nil
}

// Reset implements printerd.Cleaner: the controller restarts; armed
// faults and conditions survive, as a jam survives a power cycle.
func (d *Device) Reset(context.Context) error { return nil }

// Close implements printerd.Device. Later prints fail with stop/offline.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	return nil
}

var _ printerd.TypicalTimer = (*Device)(nil)

// TypicalPrintTime is the configured time of one card, printerd's first
// estimate of the time left.
func (d *Device) TypicalPrintTime() time.Duration {
	sides := time.Duration(1)
	if d.duplex {
		sides = 2
	}
	return d.timing.Pick + sides*d.timing.Side + d.timing.Eject
}

var _ printerd.CardCounter = (*Device)(nil)

// CardCounts implements printerd.CardCounter. The lifetime counter is the
// last serial given: every pick takes the next one, it survives restarts
// and never goes back, as a real printer's counter in its EEPROM. The
// reject box is locked (only a key holder empties it: ClearFaults, after
// a destruction).
func (d *Device) CardCounts(context.Context) (printerd.CardCounts, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return printerd.CardCounts{}, printerd.ErrUnreachable.Withf("simcard: closed")
	}
	return printerd.CardCounts{Lifetime: d.serial, RejectBox: d.rejects, RejectLocked: d.rejectCap > 0}, nil
}
