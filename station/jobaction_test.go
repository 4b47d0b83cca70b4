package station

import (
	"errors"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

func TestActionsFor(t *testing.T) {
	for _, tt := range []struct {
		job  printerd.Job
		want JobActions
	}{
		{printerd.Job{State: printerd.JobInDoubt}, JobActions{Resolve: true}},
		{printerd.Job{State: printerd.JobHeld, Reason: "media-empty"}, JobActions{Release: true}},
		{printerd.Job{State: printerd.JobHeld, Reason: printerd.ReasonCitizenAbsent}, JobActions{HandOver: true}},
		{printerd.Job{State: printerd.JobQueued}, JobActions{}},
		{printerd.Job{State: printerd.JobPrinted}, JobActions{}},
		{printerd.Job{State: printerd.JobFailed}, JobActions{}},
	} {
		if got := ActionsFor(tt.job); got != tt.want {
			t.Errorf("%s %s: %+v, want %+v", tt.job.State, tt.job.Reason, got, tt.want)
		}
	}
}

func TestCheckResolution(t *testing.T) {
	r := func(a printerd.Action, code printerd.ReasonCode, serial string) printerd.Resolution {
		return printerd.Resolution{Action: a, ReasonCode: code, CardSerial: serial, Actor: "siti"}
	}
	for _, tt := range []struct {
		name    string
		r       printerd.Resolution
		present bool
		field   string
		err     error
	}{
		{"printed", r(printerd.ActionPrinted, "", "SIM-1"), false, "", nil},
		{"reprint, present", r(printerd.ActionReprint, printerd.ReasonCodeJam, ""), true, "", nil},
		{"void needs no presence", r(printerd.ActionVoid, printerd.ReasonCodeWrongData, "SIM-1"), false, "", nil},
		{"no action", r("", "", ""), true, "action", printerd.ErrInvalidRequest},
		{"a reprint without a reason", r(printerd.ActionReprint, "", ""), true, "reason_code", printerd.ErrReasonCodeMissing},
		{"a code of another action", r(printerd.ActionReprint, printerd.ReasonCodeWrongData, ""), true, "reason_code", printerd.ErrReasonCodeInvalid},
		{"printed with a code", r(printerd.ActionPrinted, printerd.ReasonCodeJam, ""), true, "reason_code", printerd.ErrReasonCodeInvalid},
		{"a long serial", r(printerd.ActionVoid, printerd.ReasonCodeOther, strings.Repeat("9", printerd.MaxCardSerial+1)), true, "card_serial", printerd.ErrInvalidRequest},
		{"a reprint, the citizen not confirmed", r(printerd.ActionReprint, printerd.ReasonCodeJam, ""), false, "present", ErrPresenceUnconfirmed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			field, err := CheckResolution(tt.r, tt.present)
			if field != tt.field || (tt.err == nil) != (err == nil) || tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("CheckResolution = %q, %v; want %q, %v", field, err, tt.field, tt.err)
			}
		})
	}
}
