// Package drivertest is the conformance suite every printer driver must
// pass against its simulator (and, through anjunganctl, against a real
// device). Run it from the driver's tests:
//
//	func TestConformance(t *testing.T) {
//		drivertest.Run(t, func(t *testing.T) printerd.Device { … open a fresh device … })
//	}
//
// The factory opens a fresh device, loaded and ready, for every subtest;
// it registers its own cleanup. Run prints one document of the device's
// first media (an ID-1 card or an A4 page, embedded here) and checks the
// contract of printerd.Device and of the abilities it implements; the
// fault part runs each fault of printerd's table through
// printerd.FaultInjector and skips, with a message, when the device does
// not implement it or does not support a fault. RunRig takes the injector
// from the test's rig instead (a printer application's command script);
// Check runs the same checks without go test, for anjunganctl.
package drivertest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/privtmp"
	"github.com/anjungan/anjungan/printerd"
)

//go:embed testdata/card.pdf
var cardPDF []byte

//go:embed testdata/a4.pdf
var a4PDF []byte

// Factory opens a fresh, ready device for one subtest.
type Factory func(t *testing.T) printerd.Device

// RigFactory opens a fresh, ready device and the injector of the rig it
// runs against, for drivers whose faults come from outside the driver
// (an ippeveprinter's command script, a simulator process). A nil
// injector means the rig injects no faults.
type RigFactory func(t *testing.T) (printerd.Device, printerd.FaultInjector)

// FaultSupport is implemented by injectors that know up front which
// faults their rig can produce. The suite skips the others, with the
// reason Supports gives, instead of arming them.
type FaultSupport interface {
	// Supports returns nil when f can be injected, or why not.
	Supports(f printerd.Fault) error
}

// T is what the checks need of a test. *testing.T has it; Check provides
// its own so anjunganctl can run the checks outside go test.
type T interface {
	Helper()
	Context() context.Context
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Logf(format string, args ...any)
}

// hung bounds one call so a hung driver fails the test instead of the
// whole run; it is never what a test asserts.
const hung = 2 * time.Minute

// opener opens a device and its fault injector (nil: none) for one check.
type opener func(t T) (printerd.Device, printerd.FaultInjector)

// Run runs the conformance suite; the fault checks use the device's own
// printerd.FaultInjector.
func Run(t *testing.T, open Factory) {
	RunRig(t, func(t *testing.T) (printerd.Device, printerd.FaultInjector) {
		dev := open(t)
		fi, _ := dev.(printerd.FaultInjector)
		return dev, fi
	})
}

// RunRig runs the conformance suite with faults injected by the rig.
func RunRig(t *testing.T, open RigFactory) {
	suite(testT{t}, func(t T) (printerd.Device, printerd.FaultInjector) { return open(t.(testT).T) }, true)
}

// testT runs the suite's subtests as go test subtests.
type testT struct{ *testing.T }

func (t testT) run(name string, f func(T)) {
	t.T.Run(name, func(t *testing.T) { f(testT{t}) })
}

// run runs f as a subtest of t.
func run(t T, name string, f func(T)) {
	t.(interface{ run(string, func(T)) }).run(name, f)
}

func suite(t T, open opener, faults bool) {
	dev := func(t T) printerd.Device { d, _ := open(t); return d }
	run(t, "Capabilities", func(t T) { testCapabilities(t, dev(t)) })
	run(t, "StatusIdle", func(t T) {
		st := MustStatus(t, dev(t))
		if st.State != printerd.PrinterIdle {
			t.Errorf("fresh device is %s (%v), want idle", st.State, st.Reasons)
		}
	})
	run(t, "HappyPath", func(t T) { testHappyPath(t, dev(t)) })
	run(t, "StatusDuringPrint", func(t T) { testStatusDuringPrint(t, dev(t)) })
	run(t, "Faults", func(t T) {
		if !faults {
			t.Skipf("fault checks not requested: they spoil media and stop the printer")
		}
		testFaults(t, open)
	})
	run(t, "Cancel", func(t T) { testCancel(t, dev) })
	run(t, "Close", func(t T) { testClose(t, dev(t)) })
}

// Document returns the embedded test document for media.
func Document(media printerd.Media) []byte {
	if media == printerd.MediaCard {
		return cardPDF
	}
	return a4PDF
}

var jobSeq struct {
	sync.Mutex
	n int
}

// Job returns a print job of dev's first media with a fresh id.
func Job(tb T, dev printerd.Device) printerd.PrintJob {
	tb.Helper()
	media := MustCapabilities(tb, dev).Media[0]
	jobSeq.Lock()
	jobSeq.n++
	id := fmt.Sprintf("conformance-%d", jobSeq.n)
	jobSeq.Unlock()
	return printerd.PrintJob{ID: printerd.JobID(id), Media: media, Title: "conformance", Document: Document(media)}
}

func ctxFor(tb T) context.Context {
	ctx, cancel := context.WithTimeout(tb.Context(), hung)
	tb.Cleanup(cancel)
	return ctx
}

// MustCapabilities returns dev's capabilities.
func MustCapabilities(tb T, dev printerd.Device) printerd.Capabilities {
	tb.Helper()
	caps, err := dev.Capabilities(ctxFor(tb))
	if err != nil {
		tb.Fatalf("Capabilities: %v", err)
	}
	if len(caps.Media) == 0 {
		tb.Fatalf("Capabilities name no media")
	}
	return caps
}

// MustStatus returns dev's status and checks its shape.
func MustStatus(tb T, dev printerd.Device) printerd.Status {
	tb.Helper()
	st, err := dev.Status(ctxFor(tb))
	if err != nil {
		tb.Fatalf("Status: %v", err)
	}
	if err := CheckStatus(st); err != nil {
		tb.Fatalf("Status %+v: %v", st, err)
	}
	return st
}

// CheckStatus checks that st has the IPP shape: a known state, reasons as
// bare keywords with a known severity, supplies with a unit and a level
// within bounds.
func CheckStatus(st printerd.Status) error {
	switch st.State {
	case printerd.PrinterIdle, printerd.PrinterProcessing, printerd.PrinterStopped:
	default:
		return fmt.Errorf("state %q", st.State)
	}
	for _, r := range st.Reasons {
		switch r.Severity {
		case printerd.SeverityReport, printerd.SeverityWarning, printerd.SeverityError:
		default:
			return fmt.Errorf("reason %q has severity %q", r.Keyword, r.Severity)
		}
		if r.Keyword == "" || r.Keyword == "none" || strings.HasSuffix(r.Keyword, "-error") ||
			strings.HasSuffix(r.Keyword, "-warning") || strings.HasSuffix(r.Keyword, "-report") {
			return fmt.Errorf("reason keyword %q: want a bare keyword, severity apart", r.Keyword)
		}
		if r.Severity == printerd.SeverityError && st.State == printerd.PrinterIdle {
			return fmt.Errorf("idle with error reason %q", r.Keyword)
		}
	}
	for _, s := range st.Supplies {
		if s.Name == "" || s.Unit == "" || s.Max > 0 && s.Level > s.Max {
			return fmt.Errorf("supply %+v: want a name, a unit and level ≤ max", s)
		}
	}
	return nil
}

func testCapabilities(t T, dev printerd.Device) {
	caps := MustCapabilities(t, dev)
	for _, m := range caps.Media {
		if !m.Valid() {
			t.Errorf("media %q is not one printerd knows", m)
		}
	}
	if len(caps.Resolutions) == 0 {
		t.Errorf("no resolution")
	}
	for _, r := range caps.Resolutions {
		if r < 72 || r > 2400 {
			t.Errorf("resolution %d dpi", r)
		}
	}
	if c := caps.Card; c != nil {
		if c.Feeders < 1 || c.RejectBox < 0 {
			t.Errorf("card features %+v: want a feeder and a reject box capacity ≥ 0", c)
		}
		for _, s := range c.ChipStations {
			if s != "contact" && s != "contactless" {
				t.Errorf("chip station %q", s)
			}
		}
	}
	if caps.Media[0] == printerd.MediaCard && caps.Card == nil {
		t.Errorf("a card printer describes no card features")
	}
}

// blanks returns the blank-card supply level, or -1 when the device
// reports none.
func blanks(st printerd.Status) int {
	for _, s := range st.Supplies {
		if s.Unit == "cards" {
			return s.Level
		}
	}
	return -1
}

func testHappyPath(t T, dev printerd.Device) {
	ctx := ctxFor(t)
	card := MustCapabilities(t, dev).Media[0] == printerd.MediaCard
	before := blanks(MustStatus(t, dev))
	serials := map[string]bool{}
	for i := range 2 {
		p, err := dev.Print(ctx, Job(t, dev))
		if err != nil {
			t.Fatalf("print %d: %v", i, err)
		}
		if p.Pages < 1 {
			t.Errorf("print %d: %d pages", i, p.Pages)
		}
		if card && (p.CardSerial == "" || serials[p.CardSerial]) {
			t.Errorf("print %d: card serial %q, want a new one", i, p.CardSerial)
		}
		serials[p.CardSerial] = true
	}
	st := MustStatus(t, dev)
	if st.State != printerd.PrinterIdle {
		t.Errorf("after printing: %s %v, want idle", st.State, st.Reasons)
	}
	if after := blanks(st); before >= 0 && after != before-2 {
		t.Errorf("blank cards %d → %d after two cards", before, after)
	}
}

func testStatusDuringPrint(t T, dev printerd.Device) {
	ctx := ctxFor(t)
	job := Job(t, dev)
	done := make(chan error, 1)
	go func() {
		_, err := dev.Print(ctx, job)
		done <- err
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				st, err := dev.Status(ctx)
				if err == nil {
					err = CheckStatus(st)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	err := <-done
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("Status during a print: %v", e)
	}
	if err != nil {
		t.Fatalf("Print with Status called alongside: %v", err)
	}
}

func testFaults(t T, open opener) {
	_, fi := open(t)
	if fi == nil {
		t.Skipf("no fault injector (the device is not a printerd.FaultInjector and its rig gives none): fault conformance skipped")
	}
	var skipped []string
	for _, kind := range printerd.FaultKinds {
		for _, at := range printerd.FaultPoints {
			f := printerd.Fault{Kind: kind, At: at}
			want, err := f.Effect()
			if err != nil {
				continue // not a defined combination
			}
			if fs, ok := fi.(FaultSupport); ok {
				if why := fs.Supports(f); why != nil {
					skipped = append(skipped, f.String()+": "+why.Error())
					run(t, f.String(), func(t T) { t.Skipf("the rig cannot inject %s: %v", f, why) })
					continue
				}
			}
			run(t, f.String(), func(t T) {
				dev, fi := open(t)
				testFault(t, dev, fi, f, want)
			})
		}
	}
	run(t, "invalid", func(t T) {
		_, fi := open(t)
		for _, f := range []printerd.Fault{{Kind: "smoke", At: printerd.FaultBeforePrint}, {Kind: printerd.FaultMediaJam, At: "later"},
			{Kind: printerd.FaultFeederEmpty, At: printerd.FaultAfterPrint}, {Kind: printerd.FaultMediaJam, At: printerd.FaultBeforePrint, Count: -1}} {
			if err := fi.InjectFault(ctxFor(t), f); !errors.Is(err, printerd.ErrFaultInvalid) {
				t.Errorf("InjectFault(%+v) = %v, want ErrFaultInvalid", f, err)
			}
		}
	})
	if len(skipped) > 0 {
		t.Logf("faults the rig cannot inject, not checked:\n\t%s", strings.Join(skipped, "\n\t"))
	}
}

func testFault(t T, dev printerd.Device, fi printerd.FaultInjector, f printerd.Fault, want printerd.FaultEffect) {
	ctx := ctxFor(t)
	card := MustCapabilities(t, dev).Media[0] == printerd.MediaCard
	if err := fi.InjectFault(ctx, f); errors.Is(err, printerd.ErrFaultUnsupported) {
		t.Skipf("the device does not simulate %s, not checked: %v", f, err)
	} else if err != nil {
		t.Fatalf("InjectFault: %v", err)
	}
	before := blanks(MustStatus(t, dev))
	_, err := dev.Print(ctx, Job(t, dev))
	var de *printerd.DriverError
	if !errors.As(err, &de) {
		t.Fatalf("Print = %v, want a DriverError", err)
	}
	accounted(t, dev, err)
	if de.Reason != want.Reason || de.Outcome != want.Outcome || de.Uncertain != want.Uncertain {
		t.Errorf("Print = %s %s uncertain=%v, want %s %s uncertain=%v", de.Outcome, de.Reason, de.Uncertain, want.Outcome, want.Reason, want.Uncertain)
	}
	disp, serial := printerd.DispositionOf(err)
	if card {
		if disp != want.Disposition {
			t.Errorf("card disposition %s, want %s", disp, want.Disposition)
		}
		if disp != printerd.DispositionNone && serial == "" {
			t.Errorf("a %s card has no serial", disp)
		}
		// An unknown card may or may not have left the hopper.
		if after := blanks(MustStatus(t, dev)); before >= 0 && disp != printerd.DispositionUnknown && (disp == printerd.DispositionNone) != (after == before) {
			t.Errorf("blank cards %d → %d with disposition %s", before, after, disp)
		}
	} else if disp != printerd.DispositionNone {
		t.Errorf("a paper printer reports card disposition %s", disp)
	}

	st := MustStatus(t, dev)
	if want.Lasting {
		if !hasReason(st, want.Reason, printerd.SeverityError) || st.State != printerd.PrinterStopped {
			t.Errorf("after %s: %s %v, want stopped with %s-error", f, st.State, st.Reasons, want.Reason)
		}
		// A lasting condition refuses the next job before it costs a card.
		_, err := dev.Print(ctx, Job(t, dev))
		if !errors.As(err, &de) || de.Uncertain {
			t.Errorf("print while %s = %v, want a certain refusal", want.Reason, err)
		}
		accounted(t, dev, err)
		if d, _ := printerd.DispositionOf(err); d != printerd.DispositionNone {
			t.Errorf("print while %s consumed a card: %s", want.Reason, d)
		}
	}

	if err := fi.ClearFaults(ctx); err != nil {
		t.Fatalf("ClearFaults: %v", err)
	}
	st = MustStatus(t, dev)
	if st.State != printerd.PrinterIdle || hasReason(st, want.Reason, printerd.SeverityError) {
		t.Errorf("after ClearFaults: %s %v, want idle", st.State, st.Reasons)
	}
	if _, err := dev.Print(ctx, Job(t, dev)); err != nil {
		t.Errorf("print after ClearFaults: %v", err)
	}
}

// CheckAccounted checks what a failed print of media says about its
// card: an error is a *printerd.DriverError; a paper printer reports no
// card; a card printer's disposition is one printerd knows, and a card
// whose fate is unknown (picked, then no definite disposition) makes the
// failure uncertain. A certain failure goes back to the queue or ends as
// not printed, so a card that may have printed would be printed again.
// A nil err passes.
func CheckAccounted(media printerd.Media, err error) error {
	if err == nil {
		return nil
	}
	var de *printerd.DriverError
	if !errors.As(err, &de) {
		return fmt.Errorf("print failed with %v, want a *printerd.DriverError", err)
	}
	disp, _ := printerd.DispositionOf(err)
	switch {
	case media != printerd.MediaCard:
		if disp != printerd.DispositionNone {
			return fmt.Errorf("a paper printer reports card disposition %s: %v", disp, err)
		}
	case disp == printerd.DispositionUnknown:
		if !de.Uncertain {
			return fmt.Errorf("card disposition unknown but the failure (%s %s) is certain: "+
				"a card whose fate is unknown may have printed, so the failure must be uncertain: %v", de.Outcome, de.Reason, err)
		}
	case disp != printerd.DispositionNone && disp != printerd.DispositionRejected && disp != printerd.DispositionStuck:
		return fmt.Errorf("card disposition %q is not none, rejected, stuck or unknown: %v", disp, err)
	}
	return nil
}

// accounted reports CheckAccounted's complaint about a print of dev.
func accounted(t T, dev printerd.Device, err error) {
	t.Helper()
	if e := CheckAccounted(MustCapabilities(t, dev).Media[0], err); e != nil {
		t.Errorf("%v", e)
	}
}

func hasReason(st printerd.Status, keyword string, sev printerd.Severity) bool {
	for _, r := range st.Reasons {
		if r.Keyword == keyword && r.Severity == sev {
			return true
		}
	}
	return false
}

func testCancel(t T, open func(T) printerd.Device) {
	run(t, "before print", func(t T) {
		dev := open(t)
		before := blanks(MustStatus(t, dev))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := dev.Print(ctx, Job(t, dev))
		var de *printerd.DriverError
		if !errors.As(err, &de) || de.Uncertain {
			t.Fatalf("Print with a canceled context = %v, want a certain DriverError", err)
		}
		accounted(t, dev, err)
		if d, _ := printerd.DispositionOf(err); d != printerd.DispositionNone {
			t.Errorf("disposition %s, want none", d)
		}
		if after := blanks(MustStatus(t, dev)); after != before {
			t.Errorf("blank cards %d → %d", before, after)
		}
	})
	// Cancel as soon as the device says it is printing (or at once, if
	// it prints too fast to be seen): any result is fine as long as the
	// card is accounted for and the device prints again.
	for _, when := range []string{"at once", "when processing"} {
		run(t, "during print "+when, func(t T) {
			dev := open(t)
			before := blanks(MustStatus(t, dev))
			ctx, cancel := context.WithCancel(ctxFor(t))
			done := make(chan struct{})
			var p printerd.Printed
			var err error
			job := Job(t, dev)
			go func() {
				defer close(done)
				p, err = dev.Print(ctx, job)
			}()
			if when == "when processing" {
			poll:
				for {
					select {
					case <-done:
						break poll
					default:
					}
					if st, _ := dev.Status(ctx); st.State == printerd.PrinterProcessing {
						break
					}
				}
			}
			cancel()
			<-done
			used := 0 // cards the result accounts for; -1 when it cannot say
			if err == nil {
				used = 1
				if MustCapabilities(t, dev).Media[0] == printerd.MediaCard && p.CardSerial == "" {
					t.Errorf("printed card without a serial")
				}
			} else {
				var de *printerd.DriverError
				if !errors.As(err, &de) {
					t.Fatalf("Print = %v, want a DriverError", err)
				}
				accounted(t, dev, err)
				switch d, _ := printerd.DispositionOf(err); d {
				case printerd.DispositionNone:
				case printerd.DispositionUnknown:
					used = -1
				default:
					used = 1
				}
			}
			if after := blanks(MustStatus(t, dev)); before >= 0 && used >= 0 && after != before-used {
				t.Errorf("blank cards %d → %d; the result (%v) accounts for %d", before, after, err, used)
			}
			if _, err := dev.Print(ctxFor(t), Job(t, dev)); err != nil {
				t.Errorf("print after a canceled one: %v", err)
			}
		})
	}
}

func testClose(t T, dev printerd.Device) {
	if err := dev.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := dev.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, err := dev.Print(ctxFor(t), Job(t, dev))
	var de *printerd.DriverError
	if !errors.As(err, &de) || de.Uncertain {
		t.Errorf("Print after Close = %v, want a certain DriverError", err)
	}
	accounted(t, dev, err)
	if d, _ := printerd.DispositionOf(err); d != printerd.DispositionNone {
		t.Errorf("Print after Close consumed a card: %s", d)
	}
}

// TempDir returns a private folder for DeviceConfig.TempDir, as printerd
// gives its drivers: mode 0700, empty, removed when the test ends.
func TempDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), privtmp.Name)
	if err := privtmp.Prepare(dir); err != nil {
		tb.Fatalf("drivertest: %v", err)
	}
	return dir
}
