package station

import (
	"context"

	"github.com/anjungan/anjungan/internal/fault"
)

// PINLiftReason is why a supervisor lifted a NIK's PIN lockout, from a
// fixed list: the audit log keeps the code, never a supervisor's words,
// which might name the citizen.
type PINLiftReason string

// The reasons a lockout may be lifted for.
const (
	PINLiftIdentityChecked PINLiftReason = "identity-checked" // the supervisor checked the citizen's e-KTP in person
	PINLiftNewPIN          PINLiftReason = "new-pin-issued"   // Dukcapil sent the citizen a new PIN
	PINLiftKioskFault      PINLiftReason = "kiosk-fault"      // the wrong PINs came from a fault of the kiosk (keypad, screen)
)

// PINLiftReasons returns the reasons in the order the console lists them.
func PINLiftReasons() []PINLiftReason {
	return []PINLiftReason{PINLiftIdentityChecked, PINLiftNewPIN, PINLiftKioskFault}
}

// Known reports whether r is one of PINLiftReasons.
func (r PINLiftReason) Known() bool {
	for _, k := range PINLiftReasons() {
		if r == k {
			return true
		}
	}
	return false
}

// ErrPINLiftReason is a lockout lift without a reason from the list.
var ErrPINLiftReason = fault.New("pin_lift_reason_invalid",
	"Pilih alasan membuka blokir PIN.",
	"Choose a reason for lifting the PIN lockout.")

// PINLift says what a lift cleared: the kiosk's count of the NIK's wrong
// PINs, the upstream's, both or neither (no lockout, nothing counted).
type PINLift struct {
	Kiosk    bool
	Upstream bool
}

// PINLockouts lifts a NIK's PIN lockout at the kiosk and at the
// upstream, which counts wrong PINs too (station/registry.Client).
type PINLockouts interface {
	LiftPINLockout(ctx context.Context, nik NIK, reason PINLiftReason) (PINLift, error)
}
