package drivertest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/simcard"
	"github.com/anjungan/anjungan/printerd/drivertest"
)

// fateCertain is a driver with the bug the suite must catch: a card whose
// fate is unknown reported as a certain failure, so printerd would queue
// the job again and print a second card.
type fateCertain struct{ *simcard.Device }

func (d fateCertain) Print(ctx context.Context, job printerd.PrintJob) (printerd.Printed, error) {
	p, err := d.Device.Print(ctx, job)
	var de *printerd.DriverError
	if disp, _ := printerd.DispositionOf(err); disp == printerd.DispositionUnknown && errors.As(err, &de) {
		de.Uncertain = false
	}
	return p, err
}

// TestSuiteCatchesCertainUnknownFate runs the suite against that driver:
// every fault that leaves a card's fate unknown fails its check, naming
// the rule.
func TestSuiteCatchesCertainUnknownFate(t *testing.T) {
	rep := drivertest.Check(t.Context(), drivertest.Config{Faults: true, Open: func(context.Context) (printerd.Device, error) {
		dev, err := simcard.Open(printerd.DeviceConfig{Name: "card", URI: t.TempDir(), TempDir: drivertest.TempDir(t)})
		if err != nil {
			return nil, err
		}
		return fateCertain{dev}, nil
	}})
	if rep.Passed() {
		t.Fatal("the suite passed a driver that reports an unknown card fate as certain")
	}
	got := map[string]drivertest.Result{}
	for _, r := range rep.Results {
		got[r.Name] = r
	}
	for _, name := range []string{"Faults/offline@during-print", "Faults/offline@after-print", "Faults/timeout@during-print", "Faults/timeout@after-print"} {
		r := got[name]
		if r.Outcome != drivertest.Fail || !strings.Contains(strings.Join(r.Messages, "\n"), "card disposition unknown but the failure") {
			t.Errorf("%s: %s %q, want a failure naming the unknown card", name, r.Outcome, r.Messages)
		}
	}
	// The faults with a definite disposition are not affected.
	if r := got["Faults/media-jam@during-print"]; r.Outcome != drivertest.Pass {
		t.Errorf("Faults/media-jam@during-print: %s %q, want pass", r.Outcome, r.Messages)
	}
}

func TestCheckAccounted(t *testing.T) {
	card := func(d printerd.Disposition) error { return &printerd.CardError{Disposition: d} }
	tests := []struct {
		name  string
		media printerd.Media
		err   error
		ok    bool
	}{
		{"printed", printerd.MediaCard, nil, true},
		{"not a driver error", printerd.MediaCard, errors.New("boom"), false},
		{"no card picked", printerd.MediaCard, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Err: card(printerd.DispositionNone)}, true},
		{"card rejected", printerd.MediaCard, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Err: card(printerd.DispositionRejected)}, true},
		{"fate unknown, uncertain", printerd.MediaCard, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Uncertain: true, Err: card(printerd.DispositionUnknown)}, true},
		{"fate unknown, certain retry", printerd.MediaCard, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Err: card(printerd.DispositionUnknown)}, false},
		{"fate unknown, certain failure", printerd.MediaCard, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Err: card(printerd.DispositionUnknown)}, false},
		{"fate made up", printerd.MediaCard, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Err: card("eaten")}, false},
		{"paper with a card", printerd.MediaA4, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Err: card(printerd.DispositionStuck)}, false},
		{"paper", printerd.MediaA4, &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: "media-jam"}, true},
	}
	for _, tt := range tests {
		if err := drivertest.CheckAccounted(tt.media, tt.err); (err == nil) != tt.ok {
			t.Errorf("%s: CheckAccounted = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
