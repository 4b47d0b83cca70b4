package printerd

import "slices"

// FaultPlan is what a simulator does with injected faults: each Fault is
// armed to fire at its point of a print Count times (once when 0), and a
// fired fault whose effect lasts (a jam, an open cover) leaves a
// condition that stays until Clear, as on a real printer. The simulators
// in printerd/driver share it, and a vendor's simulator can too. The zero
// value is empty; a device guards it with its own lock.
type FaultPlan struct {
	armed      []armedFault
	conditions map[string]FaultEffect // by fault kind
}

type armedFault struct {
	Fault
	left int
}

// Arm adds f, or returns ErrFaultInvalid.
func (p *FaultPlan) Arm(f Fault) error {
	if _, err := f.Effect(); err != nil {
		return err
	}
	p.armed = append(p.armed, armedFault{Fault: f, left: max(f.Count, 1)})
	return nil
}

// Fire returns the effect of the first fault armed at point at, if any,
// counts it down and records the condition it leaves.
func (p *FaultPlan) Fire(at string) (FaultEffect, bool) {
	i := slices.IndexFunc(p.armed, func(a armedFault) bool { return a.At == at })
	if i < 0 {
		return FaultEffect{}, false
	}
	a := &p.armed[i]
	e, _ := a.Effect() // checked by Arm
	if e.Lasting {
		if p.conditions == nil {
			p.conditions = map[string]FaultEffect{}
		}
		p.conditions[a.Kind] = e
	}
	if a.left--; a.left <= 0 {
		p.armed = slices.Delete(p.armed, i, i+1)
	}
	return e, true
}

// Conditions returns the lasting conditions, in the order of FaultKinds.
func (p *FaultPlan) Conditions() []FaultEffect {
	var out []FaultEffect
	for _, k := range FaultKinds {
		if e, ok := p.conditions[k]; ok {
			out = append(out, e)
		}
	}
	return out
}

// Refusal is what a print meets before it starts while a condition
// lasts: the effect of the first condition's fault before a print.
func (p *FaultPlan) Refusal() (FaultEffect, bool) {
	for _, k := range FaultKinds {
		if _, ok := p.conditions[k]; ok {
			e, _ := Fault{Kind: k, At: FaultBeforePrint}.Effect()
			return e, true
		}
	}
	return FaultEffect{}, false
}

// Clear disarms every fault and ends every condition: what an officer
// does after fixing the printer.
func (p *FaultPlan) Clear() {
	p.armed = nil
	clear(p.conditions)
}
