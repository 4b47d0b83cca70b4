package printerd_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

func TestResolutionValidate(t *testing.T) {
	tests := []struct {
		name string
		r    printerd.Resolution
		want error // nil: valid
	}{
		{"printed", printerd.Resolution{Action: printerd.ActionPrinted, Actor: "sari"}, nil},
		{"printed with a note", printerd.Resolution{Action: printerd.ActionPrinted, Note: "checked the tray", Actor: "sari"}, nil},
		{"reprint", printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam, Actor: "sari"}, nil},
		{"reprint with a note", printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeOther, Note: "ribbon torn", Actor: "sari"}, nil},
		{"void", printerd.Resolution{Action: printerd.ActionVoid, ReasonCode: printerd.ReasonCodeWrongData, CardSerial: "C-1", Actor: "sari"}, nil},
		{"an old client's reprint: a reason, no code", printerd.Resolution{Action: printerd.ActionReprint, Note: "jammed", Actor: "sari"}, printerd.ErrReasonCodeMissing},
		{"void without a code", printerd.Resolution{Action: printerd.ActionVoid, Actor: "sari"}, printerd.ErrReasonCodeMissing},
		{"unknown code", printerd.Resolution{Action: printerd.ActionVoid, ReasonCode: "Jam", Actor: "sari"}, printerd.ErrReasonCodeInvalid},
		{"code of another action", printerd.Resolution{Action: printerd.ActionVoid, ReasonCode: printerd.ReasonCodeJam, Actor: "sari"}, printerd.ErrReasonCodeInvalid},
		{"code on a confirmed print", printerd.Resolution{Action: printerd.ActionPrinted, ReasonCode: printerd.ReasonCodeMisprint, Actor: "sari"}, printerd.ErrReasonCodeInvalid},
		{"note too long", printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam, Note: strings.Repeat("x", printerd.MaxNote+1), Actor: "sari"}, printerd.ErrInvalidRequest},
		{"note with a control character", printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam, Note: "a\nb", Actor: "sari"}, printerd.ErrInvalidRequest},
		{"no actor", printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam}, printerd.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			// The reason code errors share request_invalid's code, so
			// errors.Is cannot tell them apart: compare the message.
			var fe *printerd.Error
			if !errors.As(err, &fe) || !errors.Is(err, printerd.ErrInvalidRequest) || fe.EN != tt.want.(*printerd.Error).EN {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}

// A client that predates reason codes is told which field is missing,
// in both languages.
func TestReasonCodeMissingNamesTheField(t *testing.T) {
	e := printerd.ErrReasonCodeMissing
	if e.Code != "request_invalid" || !strings.Contains(e.EN, "reason_code") || !strings.Contains(e.ID, "reason_code") {
		t.Errorf("ErrReasonCodeMissing = %+v", e)
	}
}

func TestReasonCodes(t *testing.T) {
	seen := map[printerd.ReasonCode]bool{}
	for _, c := range printerd.ReasonCodes() {
		if seen[c.Code] || c.Code == "" || c.ID == "" || c.EN == "" || len(c.Actions) == 0 {
			t.Errorf("reason code %+v: duplicate, or a label or action missing", c)
		}
		seen[c.Code] = true
		for _, a := range c.Actions {
			if a != printerd.ActionReprint && a != printerd.ActionVoid {
				t.Errorf("%s applies to %s: only reprint and void take a code", c.Code, a)
			}
			if !c.Code.Applies(a) {
				t.Errorf("%s.Applies(%s) = false", c.Code, a)
			}
		}
	}
	for _, a := range []printerd.Action{printerd.ActionReprint, printerd.ActionVoid} {
		if !printerd.ReasonCodeOther.Applies(a) {
			t.Errorf("other does not apply to %s: a supervisor must always have a choice", a)
		}
	}
}
