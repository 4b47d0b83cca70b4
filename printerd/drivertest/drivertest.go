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
// not implement it or does not support a fault.
package drivertest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

//go:embed testdata/card.pdf
var cardPDF []byte

//go:embed testdata/a4.pdf
var a4PDF []byte

// Factory opens a fresh, ready device for one subtest.
type Factory func(t *testing.T) printerd.Device

// hung bounds one call so a hung driver fails the test instead of the
// whole run; it is never what a test asserts.
const hung = 2 * time.Minute

// Run runs the conformance suite.
func Run(t *testing.T, open Factory) {
	t.Run("Capabilities", func(t *testing.T) { testCapabilities(t, open(t)) })
	t.Run("StatusIdle", func(t *testing.T) {
		st := MustStatus(t, open(t))
		if st.State != printerd.PrinterIdle {
			t.Errorf("fresh device is %s (%v), want idle", st.State, st.Reasons)
		}
	})
	t.Run("HappyPath", func(t *testing.T) { testHappyPath(t, open(t)) })
	t.Run("StatusDuringPrint", func(t *testing.T) { testStatusDuringPrint(t, open(t)) })
	t.Run("Faults", func(t *testing.T) { testFaults(t, open) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, open) })
	t.Run("Close", func(t *testing.T) { testClose(t, open(t)) })
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
func Job(tb testing.TB, dev printerd.Device) printerd.PrintJob {
	tb.Helper()
	media := MustCapabilities(tb, dev).Media[0]
	jobSeq.Lock()
	jobSeq.n++
	id := fmt.Sprintf("conformance-%d", jobSeq.n)
	jobSeq.Unlock()
	return printerd.PrintJob{ID: printerd.JobID(id), Media: media, Title: "conformance", Document: Document(media)}
}

func ctxFor(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), hung)
	tb.Cleanup(cancel)
	return ctx
}

// MustCapabilities returns dev's capabilities.
func MustCapabilities(tb testing.TB, dev printerd.Device) printerd.Capabilities {
	tb.Helper()
	caps, err := dev.Capabilities(ctxFor(tb))
	if err != nil {
		tb.Fatalf("Capabilities: %v", err)
	}
	if len(caps.Media) == 0 {
		tb.Fatal("Capabilities name no media")
	}
	return caps
}

// MustStatus returns dev's status and checks its shape.
func MustStatus(tb testing.TB, dev printerd.Device) printerd.Status {
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

func testCapabilities(t *testing.T, dev printerd.Device) {
	caps := MustCapabilities(t, dev)
	for _, m := range caps.Media {
		if !m.Valid() {
			t.Errorf("media %q is not one printerd knows", m)
		}
	}
	if len(caps.Resolutions) == 0 {
		t.Error("no resolution")
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
		t.Error("a card printer describes no card features")
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

func testHappyPath(t *testing.T, dev printerd.Device) {
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

func testStatusDuringPrint(t *testing.T, dev printerd.Device) {
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

func testFaults(t *testing.T, open Factory) {
	if _, ok := open(t).(printerd.FaultInjector); !ok {
		t.Skip("the device does not implement printerd.FaultInjector: fault conformance skipped")
	}
	for _, kind := range printerd.FaultKinds {
		for _, at := range printerd.FaultPoints {
			f := printerd.Fault{Kind: kind, At: at}
			want, err := f.Effect()
			if err != nil {
				continue // not a defined combination
			}
			t.Run(f.String(), func(t *testing.T) { testFault(t, open(t), f, want) })
		}
	}
	t.Run("invalid", func(t *testing.T) {
		fi := open(t).(printerd.FaultInjector)
		for _, f := range []printerd.Fault{{Kind: "smoke", At: printerd.FaultBeforePrint}, {Kind: printerd.FaultMediaJam, At: "later"},
			{Kind: printerd.FaultFeederEmpty, At: printerd.FaultAfterPrint}, {Kind: printerd.FaultMediaJam, At: printerd.FaultBeforePrint, Count: -1}} {
			if err := fi.InjectFault(ctxFor(t), f); !errors.Is(err, printerd.ErrFaultInvalid) {
				t.Errorf("InjectFault(%+v) = %v, want ErrFaultInvalid", f, err)
			}
		}
	})
}

func testFault(t *testing.T, dev printerd.Device, f printerd.Fault, want printerd.FaultEffect) {
	ctx := ctxFor(t)
	fi := dev.(printerd.FaultInjector)
	card := MustCapabilities(t, dev).Media[0] == printerd.MediaCard
	if err := fi.InjectFault(ctx, f); errors.Is(err, printerd.ErrFaultUnsupported) {
		t.Skipf("the device does not simulate %s: %v", f, err)
	} else if err != nil {
		t.Fatalf("InjectFault: %v", err)
	}
	before := blanks(MustStatus(t, dev))
	_, err := dev.Print(ctx, Job(t, dev))
	var de *printerd.DriverError
	if !errors.As(err, &de) {
		t.Fatalf("Print = %v, want a DriverError", err)
	}
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

func hasReason(st printerd.Status, keyword string, sev printerd.Severity) bool {
	for _, r := range st.Reasons {
		if r.Keyword == keyword && r.Severity == sev {
			return true
		}
	}
	return false
}

func testCancel(t *testing.T, open Factory) {
	t.Run("before print", func(t *testing.T) {
		dev := open(t)
		before := blanks(MustStatus(t, dev))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := dev.Print(ctx, Job(t, dev))
		var de *printerd.DriverError
		if !errors.As(err, &de) || de.Uncertain {
			t.Fatalf("Print with a canceled context = %v, want a certain DriverError", err)
		}
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
		t.Run("during print "+when, func(t *testing.T) {
			dev := open(t)
			before := blanks(MustStatus(t, dev))
			ctx, cancel := context.WithCancel(ctxFor(t))
			done := make(chan struct{})
			var p printerd.Printed
			var err error
			go func() {
				defer close(done)
				p, err = dev.Print(ctx, Job(t, dev))
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
					t.Error("printed card without a serial")
				}
			} else {
				var de *printerd.DriverError
				if !errors.As(err, &de) {
					t.Fatalf("Print = %v, want a DriverError", err)
				}
				switch d, _ := printerd.DispositionOf(err); d {
				case printerd.DispositionNone:
				case printerd.DispositionUnknown:
					if !de.Uncertain {
						t.Errorf("card disposition unknown but the error is certain: %v", err)
					}
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

func testClose(t *testing.T, dev printerd.Device) {
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
	if d, _ := printerd.DispositionOf(err); d != printerd.DispositionNone {
		t.Errorf("Print after Close consumed a card: %s", d)
	}
}
