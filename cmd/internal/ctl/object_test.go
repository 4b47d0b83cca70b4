package ctl

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestObjectArgument: every command that acts on one object (a job, a
// printer, an account) takes it as its positional argument, with flags
// before or after it; the older flags naming it (-printer, -name) still
// work, and two different objects are refused.
func TestObjectArgument(t *testing.T) {
	sock, got := MustFaultServer(t)
	tests := []struct {
		name string
		args []string
		want string // the request printerd receives; "" when the command is refused
	}{
		{"fault, printer last", []string{"printer", "fault", "-socket", sock, "-kind", "media-jam", "-at", "during-print", "card-1"},
			`POST /v1/printers/card-1/faults {"kind":"media-jam","at":"during-print","count":1}`},
		{"fault, printer first", []string{"printer", "fault", "card-1", "-socket", sock, "-kind", "media-jam"},
			`POST /v1/printers/card-1/faults {"kind":"media-jam","at":"before-print","count":1}`},
		{"fault, older -printer", []string{"printer", "fault", "-socket", sock, "-printer", "card-1", "-kind", "media-jam"},
			`POST /v1/printers/card-1/faults {"kind":"media-jam","at":"before-print","count":1}`},
		{"fault, the same printer twice", []string{"printer", "fault", "-socket", sock, "-printer", "card-1", "-kind", "media-jam", "card-1"},
			`POST /v1/printers/card-1/faults {"kind":"media-jam","at":"before-print","count":1}`},
		{"fault, two printers", []string{"printer", "fault", "-socket", sock, "-printer", "card-2", "-kind", "media-jam", "card-1"}, ""},
		{"fault, no printer", []string{"printer", "fault", "-socket", sock, "-kind", "media-jam"}, ""},
		{"clear", []string{"printer", "clear", "-socket", sock, "card-1"}, `DELETE /v1/printers/card-1/faults `},
		{"clear, older -printer", []string{"printer", "clear", "-socket", sock, "-printer", "card-1"}, `DELETE /v1/printers/card-1/faults `},
		{"resume", []string{"printer", "resume", "card-1", "-socket", sock, "-actor", "siti"}, `POST /v1/printers/card-1/resume {"actor":"siti"}`},
		{"resume, two printers", []string{"printer", "resume", "-socket", sock, "card-1", "card-2"}, ""},
		{"release", []string{"job", "release", "JABC", "-socket", sock, "-actor", "siti"}, `POST /v1/jobs/JABC/release {"actor":"siti"}`},
		{"release, no job", []string{"job", "release", "-socket", sock}, ""},
		{"erase-note", []string{"job", "erase-note", "-socket", sock, "-actor", "dpo", "JABC"}, `POST /v1/jobs/JABC/erase-note {"actor":"dpo"}`},
		{"resolve", []string{"job", "resolve", "JABC", "-socket", sock, "-action", "printed", "-actor", "siti"},
			`POST /v1/jobs/JABC/resolve {"action":"printed","actor":"siti"}`},
		{"cards load, printer named", []string{"cards", "load", "-socket", sock, "-count", "5", "-actor", "siti", "card-2"},
			`POST /v1/ledger/loads {"printer":"card-2","count":5,"actor":"siti","time":"0001-01-01T00:00:00Z"}`},
		{"cards load, older -printer", []string{"cards", "load", "-socket", sock, "-count", "5", "-actor", "siti", "-printer", "card-2"},
			`POST /v1/ledger/loads {"printer":"card-2","count":5,"actor":"siti","time":"0001-01-01T00:00:00Z"}`},
		{"cards load, card-1 by default", []string{"cards", "load", "-socket", sock, "-count", "5", "-actor", "siti"},
			`POST /v1/ledger/loads {"printer":"card-1","count":5,"actor":"siti","time":"0001-01-01T00:00:00Z"}`},
		{"printers, an argument", []string{"printers", "-socket", sock, "card-1"}, ""},
		{"cards reverse", []string{"cards", "reverse", "7", "-socket", sock, "-reason", "80 typed for 8", "-actor", "siti"},
			`POST /v1/ledger/loads/7/reverse {"load":7,"reason":"80 typed for 8","actor":"siti","time":"0001-01-01T00:00:00Z"}`},
		{"cards reverse, no reason", []string{"cards", "reverse", "7", "-socket", sock}, ""},
		{"cards reverse, not a number", []string{"cards", "reverse", "seven", "-socket", sock, "-reason", "x"}, ""},
		{"cards reconcile", []string{"cards", "reconcile", "card-2", "-socket", sock, "-actor", "siti"},
			`POST /v1/printers/card-2/reconcile {"actor":"siti"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			m := &Main{Stdout: &out, Stderr: &errOut}
			before := len(got())
			err := m.ParseFlags(tt.args)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("%q accepted", tt.args)
				}
				if !strings.HasPrefix(errOut.String(), "anjunganctl "+tt.args[0]) || !strings.Contains(errOut.String(), "usage: anjunganctl") {
					t.Errorf("refusal says:\n%s", errOut.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("%q: %v\n%s", tt.args, err, errOut.String())
			}
			if err := m.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if reqs := got()[before:]; len(reqs) != 1 || reqs[0] != tt.want {
				t.Errorf("printerd received %q, want %q", reqs, tt.want)
			}
		})
	}
}
