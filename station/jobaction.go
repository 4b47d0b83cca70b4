package station

import (
	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
)

// JobActions says what a supervisor may do with a job now; the console
// offers these and no others.
type JobActions struct {
	Resolve  bool // in doubt: printed, reprint or void
	Release  bool // held for the printer (no blanks, a jam): back to the queue
	HandOver bool // held because the citizen left: release it for the citizen at the counter
}

// ActionsFor is what makes sense for j in its state.
func ActionsFor(j printerd.Job) JobActions {
	switch j.State {
	case printerd.JobInDoubt:
		return JobActions{Resolve: true}
	case printerd.JobHeld:
		if j.Reason == printerd.ReasonCitizenAbsent {
			return JobActions{HandOver: true}
		}
		return JobActions{Release: true}
	}
	return JobActions{}
}

// ErrPresenceUnconfirmed refuses a reprint or a hand-over the supervisor
// has not confirmed the citizen is present for: a document reaches a
// printer only while its citizen is there (docs/console.md, "Job page").
var ErrPresenceUnconfirmed = fault.New("presence_unconfirmed",
	"Pastikan warga pemilik dokumen hadir di depan Anda, lalu centang kotak kehadiran.",
	"Make sure the citizen the document belongs to is in front of you, then tick the presence box.")

// NeedsPresence reports whether resolving with action, or handing over,
// prints for a citizen, so the supervisor must confirm they are present.
func NeedsPresence(action printerd.Action, handOver bool) bool {
	return handOver || action == printerd.ActionReprint
}

// CheckResolution checks a supervisor's resolution form before it goes to
// printerd, and names the field that is wrong ("action", "reason_code",
// "card_serial", "present"), so a refused form can say which. printerd
// checks again; this is for the supervisor.
func CheckResolution(r printerd.Resolution, present bool) (field string, err error) {
	switch {
	case r.Action != printerd.ActionPrinted && r.Action != printerd.ActionReprint && r.Action != printerd.ActionVoid:
		return "action", printerd.ErrInvalidRequest.Withf("action %q", r.Action)
	case r.Action == printerd.ActionPrinted && r.ReasonCode != "":
		return "reason_code", printerd.ErrReasonCodeInvalid.Withf("a confirmed print takes no reason code")
	case r.Action != printerd.ActionPrinted && r.ReasonCode == "":
		return "reason_code", printerd.ErrReasonCodeMissing.Withf("%s without a reason code", r.Action)
	case r.Action != printerd.ActionPrinted && !r.ReasonCode.Applies(r.Action):
		return "reason_code", printerd.ErrReasonCodeInvalid.Withf("reason_code %q for %s", r.ReasonCode, r.Action)
	case len(r.CardSerial) > printerd.MaxCardSerial:
		return "card_serial", printerd.ErrInvalidRequest.Withf("card serial of %d bytes", len(r.CardSerial))
	case NeedsPresence(r.Action, false) && !present:
		return "present", ErrPresenceUnconfirmed.Withf("%s without the citizen confirmed present", r.Action)
	}
	return "", nil
}
