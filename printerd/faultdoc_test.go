package printerd_test

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

func mustDriversDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../docs/drivers.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFaultEffectsDocumented holds docs/drivers.md's table of fault
// effects to Fault.Effect: one row per defined kind and point, in the
// order of FaultKinds and FaultPoints, with the same reason, outcome,
// uncertainty, disposition and lasting; every other pair is refused.
func TestFaultEffectsDocumented(t *testing.T) {
	doc := mustDriversDoc(t)
	row := regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| `([a-z-]+)` \\| `([a-z-]+)` \\| `([a-z-]+)` \\| (yes|no) \\| `([a-z]+)` \\| (yes|no) \\|$")
	rows := row.FindAllStringSubmatch(doc, -1)
	yes := func(b bool) string { return map[bool]string{true: "yes", false: "no"}[b] }
	i := 0
	for _, kind := range printerd.FaultKinds {
		for _, at := range printerd.FaultPoints {
			e, err := printerd.Fault{Kind: kind, At: at}.Effect()
			if err != nil {
				continue
			}
			if i >= len(rows) {
				t.Fatalf("docs/drivers.md has no row for %s@%s", kind, at)
			}
			r := rows[i]
			i++
			want := []string{kind, at, e.Reason, string(e.Outcome), yes(e.Uncertain), string(e.Disposition), yes(e.Lasting)}
			if !slices.Equal(r[1:], want) {
				t.Errorf("docs/drivers.md row %q\n the code says %v", r[0], want)
			}
		}
	}
	if i != len(rows) {
		t.Errorf("docs/drivers.md has %d fault rows, the code defines %d", len(rows), i)
	}
	// The order "which reason wins" names is FaultKinds.
	m := regexp.MustCompile("(?s)in the order\\s+of the kinds in the table above \\(([^;]+);\\s*`printerd.FaultKinds`\\)").FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/drivers.md does not name the order of the fault kinds")
	}
	var order []string
	for _, k := range regexp.MustCompile("`([a-z-]+)`").FindAllStringSubmatch(m[1], -1) {
		order = append(order, k[1])
	}
	if !slices.Equal(order, printerd.FaultKinds) {
		t.Errorf("docs/drivers.md orders the kinds %v, printerd.FaultKinds is %v", order, printerd.FaultKinds)
	}
}

// TestFaultPlanPrecedence checks docs/drivers.md's "Which reason wins"
// with FaultPlan: the first fault armed at a point fires first, and of
// two lasting conditions (whatever the order they came in) the one of
// the kind listed first refuses the next print, with its before-print
// effect, and is shown first.
func TestFaultPlanPrecedence(t *testing.T) {
	var p printerd.FaultPlan
	for _, k := range []string{printerd.FaultCoverOpen, printerd.FaultMediaJam} {
		if err := p.Arm(printerd.Fault{Kind: k, At: printerd.FaultBeforePrint}); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{printerd.ReasonCoverOpen, printerd.ReasonMediaJam} {
		if e, ok := p.Fire(printerd.FaultBeforePrint); !ok || e.Reason != want {
			t.Fatalf("fired %q, %v; want %s, armed first", e.Reason, ok, want)
		}
	}

	firstPoint := func(kind string) string {
		for _, at := range printerd.FaultPoints {
			if _, err := (printerd.Fault{Kind: kind, At: at}).Effect(); err == nil {
				return at
			}
		}
		t.Fatalf("no point for %s", kind)
		return ""
	}
	var lasting []string
	for _, k := range printerd.FaultKinds {
		if e, _ := (printerd.Fault{Kind: k, At: firstPoint(k)}).Effect(); e.Lasting {
			lasting = append(lasting, k)
		}
	}
	for i, a := range lasting {
		for _, b := range lasting[i+1:] {
			var p printerd.FaultPlan
			for _, k := range []string{b, a} { // the later kind comes first
				if err := p.Arm(printerd.Fault{Kind: k, At: firstPoint(k)}); err != nil {
					t.Fatal(err)
				}
				if _, ok := p.Fire(firstPoint(k)); !ok {
					t.Fatalf("%s did not fire", k)
				}
			}
			want, _ := printerd.Fault{Kind: a, At: printerd.FaultBeforePrint}.Effect()
			if got, ok := p.Refusal(); !ok || got != want {
				t.Errorf("%s then %s: refusal %+v, want %s's %+v", b, a, got, a, want)
			}
			ea, _ := printerd.Fault{Kind: a, At: firstPoint(a)}.Effect()
			if c := p.Conditions(); len(c) != 2 || c[0].Reason != ea.Reason {
				t.Errorf("%s then %s: conditions %+v, want %s first", b, a, c, a)
			}
		}
	}
}
