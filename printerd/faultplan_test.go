package printerd_test

import (
	"errors"
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

func TestFaultPlan(t *testing.T) {
	var p printerd.FaultPlan
	if err := p.Arm(printerd.Fault{Kind: printerd.FaultFeederEmpty, At: printerd.FaultAfterPrint}); !errors.Is(err, printerd.ErrFaultInvalid) {
		t.Fatalf("arming an empty feeder after a print: %v, want ErrFaultInvalid", err)
	}
	mustArm := func(f printerd.Fault) {
		t.Helper()
		if err := p.Arm(f); err != nil {
			t.Fatal(err)
		}
	}
	mustArm(printerd.Fault{Kind: printerd.FaultEncodeFailure, At: printerd.FaultDuringPrint, Count: 2})
	mustArm(printerd.Fault{Kind: printerd.FaultMediaJam, At: printerd.FaultDuringPrint})

	for i, want := range []string{
		printerd.ReasonEncodeFailure, printerd.ReasonEncodeFailure, printerd.ReasonMediaJam, "",
	} {
		if _, ok := p.Fire(printerd.FaultBeforePrint); ok {
			t.Fatalf("fire %d: a fault armed during a print fired before it", i)
		}
		e, ok := p.Fire(printerd.FaultDuringPrint)
		if got := e.Reason; ok != (want != "") || got != want {
			t.Fatalf("fire %d: %q %v, want %q", i, got, ok, want)
		}
	}
	// The jam lasts; the encoding failures did not.
	if c := p.Conditions(); len(c) != 1 || c[0].Reason != printerd.ReasonMediaJam {
		t.Errorf("conditions %+v, want the jam", c)
	}
	if e, ok := p.Refusal(); !ok || e.Reason != printerd.ReasonMediaJam || e.Outcome != printerd.OutcomeStop || e.Uncertain {
		t.Errorf("refusal %+v %v, want a certain stop on media-jam", e, ok)
	}
	p.Clear()
	if c := p.Conditions(); len(c) != 0 {
		t.Errorf("conditions after Clear: %+v", c)
	}
	if _, ok := p.Refusal(); ok {
		t.Error("a print is refused after Clear")
	}
}
