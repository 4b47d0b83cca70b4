package drivertest

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"

	"github.com/anjungan/anjungan/printerd"
)

// Config is a conformance run outside go test, against a connected
// device.
type Config struct {
	// Open opens the device, ready to print; every check opens its own
	// and Check closes it. It may be called many times.
	Open func(ctx context.Context) (printerd.Device, error)
	// Faults runs the fault checks through the device's
	// printerd.FaultInjector. They spoil media and leave the printer
	// stopped until cleared, and a real printer cannot inject them: only
	// for simulators and devices with a fault mode.
	Faults bool
}

// Result is one check's outcome.
type Result struct {
	Name     string   `json:"name"`
	Outcome  string   `json:"outcome"` // pass, fail or skip
	Messages []string `json:"messages,omitempty"`
}

// Check outcomes.
const (
	Pass = "pass"
	Fail = "fail"
	Skip = "skip"
)

// Report is the outcome of every check, in the order they ran.
type Report struct {
	Results []Result `json:"results"`
}

// Passed reports whether no check failed.
func (r Report) Passed() bool {
	for _, res := range r.Results {
		if res.Outcome == Fail {
			return false
		}
	}
	return len(r.Results) > 0
}

// WriteTable writes the report as a table, one check a line, with the
// messages of failed and skipped checks under them.
func (r Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	width := 5
	for _, res := range r.Results {
		width = max(width, len(res.Name))
	}
	fmt.Fprintf(&b, "%-*s  %s\n", width, "CHECK", "RESULT")
	counts := map[string]int{}
	for _, res := range r.Results {
		counts[res.Outcome]++
		fmt.Fprintf(&b, "%-*s  %s\n", width, res.Name, strings.ToUpper(res.Outcome))
		for _, m := range res.Messages {
			fmt.Fprintf(&b, "%-*s    %s\n", width, "", strings.ReplaceAll(m, "\n", "\n"+strings.Repeat(" ", width+4)))
		}
	}
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "%s: %d passed, %d failed, %d skipped\n", verdict, counts[Pass], counts[Fail], counts[Skip])
	_, err := io.WriteString(w, b.String())
	return err
}

// Check runs the conformance suite against cfg's device without
// go test. The checks are those of Run; only their reporting differs.
func Check(ctx context.Context, cfg Config) Report {
	rep := &Report{}
	root := &recorder{ctx: ctx, rep: rep}
	open := func(t T) (printerd.Device, printerd.FaultInjector) {
		dev, err := cfg.Open(t.Context())
		if err != nil {
			t.Fatalf("open the device: %v", err)
		}
		t.Cleanup(func() { _ = dev.Close() })
		fi, _ := dev.(printerd.FaultInjector)
		return dev, fi
	}
	suite(root, open, cfg.Faults)
	return *rep
}

// recorder is a T that records results into a Report. Fatalf and Skipf
// end the check's goroutine, as testing.T's do.
type recorder struct {
	ctx  context.Context
	name string
	rep  *Report
	slot int

	mu       sync.Mutex
	failed   bool
	skipped  bool
	msgs     []string
	cleanups []func()
}

var _ T = (*recorder)(nil)

func (r *recorder) Helper()                  {}
func (r *recorder) Context() context.Context { return r.ctx }

func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

func (r *recorder) note(failed bool, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = r.failed || failed
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) Errorf(format string, args ...any) { r.note(true, format, args...) }
func (r *recorder) Logf(format string, args ...any)   { r.note(false, format, args...) }

func (r *recorder) Fatalf(format string, args ...any) {
	r.note(true, format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.note(false, format, args...)
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) run(name string, f func(T)) {
	if r.name != "" {
		name = r.name + "/" + name
	}
	ctx, cancel := context.WithCancel(r.ctx)
	c := &recorder{ctx: ctx, name: name, rep: r.rep, slot: len(r.rep.Results)}
	r.rep.Results = append(r.rep.Results, Result{Name: name})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			cancel()
			for i := len(c.cleanups) - 1; i >= 0; i-- {
				c.cleanups[i]()
			}
		}()
		f(c)
	}()
	<-done
	c.mu.Lock()
	defer c.mu.Unlock()
	res := Result{Name: name, Outcome: Pass, Messages: c.msgs}
	switch {
	case c.failed:
		res.Outcome = Fail
		r.mu.Lock()
		r.failed = true
		r.mu.Unlock()
	case c.skipped:
		res.Outcome = Skip
	}
	r.rep.Results[c.slot] = res
}
