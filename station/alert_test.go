package station

import (
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

func TestWatchAlerts(t *testing.T) {
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	stopped := printerd.PrinterInfo{Name: "card-1", Status: printerd.Status{State: printerd.PrinterStopped,
		Reasons: []printerd.Reason{{Keyword: "media-jam", Severity: printerd.SeverityError}}}}
	erring := printerd.PrinterInfo{Name: "paper-1", Status: printerd.Status{State: printerd.PrinterIdle,
		Reasons: []printerd.Reason{{Keyword: "cover-open", Severity: printerd.SeverityError}, {Keyword: "media-low", Severity: printerd.SeverityWarning}}}}
	tests := []struct {
		name string
		w    Watch
		want []string // kind link keyword, in order
	}{
		{"nothing", Watch{Printers: []printerd.PrinterInfo{{Name: "p", Status: printerd.Status{State: printerd.PrinterIdle}}}}, nil},
		{"a call without a print", Watch{Calls: []OfficerCall{{At: at}}}, []string{"officer_called / "}},
		{"a call about a job", Watch{Calls: []OfficerCall{{At: at, Job: "J1", Ref: "R1", State: PrintHeld}}}, []string{"officer_called /jobs/J1 held"}},
		{"held with the citizen waiting", Watch{Waiting: []HeldWaiting{{Job: "J2", Reason: "media-empty"}}}, []string{"citizen_waiting /jobs/J2 media-empty"}},
		{"waiting behind a stopped printer", Watch{Waiting: []HeldWaiting{{Job: "J2", Reason: "media-jam", Printer: "card-1", State: printerd.JobQueued}}},
			[]string{"citizen_waiting_printer /printers/card-1 media-jam"}},
		{"held at printerd too", Watch{Waiting: []HeldWaiting{{Job: "J2", Reason: "media-empty", Printer: "card-1", State: printerd.JobHeld}}},
			[]string{"citizen_waiting /jobs/J2 media-empty"}},
		{"a stopped printer", Watch{Printers: []printerd.PrinterInfo{stopped}}, []string{"printer_stopped /printers/card-1 media-jam"}},
		{"an error on a printer that prints on", Watch{Printers: []printerd.PrinterInfo{erring}}, []string{"printer_reason /printers/paper-1 cover-open"}},
		{"in doubt", Watch{InDoubt: []printerd.Job{{ID: "J3", Reason: "offline"}}}, []string{"in_doubt /jobs/J3 offline"}},
		{"printerd down", Watch{PrinterdErr: "printerd_unreachable"}, []string{"printerd_down / printerd_unreachable"}},
		{"ledger", Watch{Ledger: []printerd.LedgerEntry{{Tally: printerd.Tally{Printer: "card-1"}, Alerts: []string{"low-stock"}}}}, []string{"ledger /ledger low-stock"}},
		{"unsettled", Watch{Unsettled: 2}, []string{"unsettled /#unsettled "}},
		{"people before printers", Watch{Unsettled: 1, InDoubt: []printerd.Job{{ID: "J3"}}, Printers: []printerd.PrinterInfo{stopped},
			Waiting: []HeldWaiting{{Job: "J2"}}, Calls: []OfficerCall{{At: at, Job: "J1"}}},
			[]string{"officer_called /jobs/J1 ", "citizen_waiting /jobs/J2 ", "printer_stopped /printers/card-1 media-jam", "in_doubt /jobs/J3 ", "unsettled /#unsettled "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, a := range tt.w.Alerts() {
				got = append(got, string(a.Kind)+" "+a.Link+" "+a.Keyword)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("alerts %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAlertAudible(t *testing.T) {
	for k, want := range map[AlertKind]bool{AlertOfficerCalled: true, AlertCitizenWaiting: true, AlertCitizenWaitingPrinter: true, AlertInDoubt: true, AlertPrinterStopped: true,
		AlertPrinterdDown: false, AlertPrinterReason: false, AlertLedger: false, AlertUnsettled: false} {
		if got := (Alert{Kind: k}).Audible(); got != want {
			t.Errorf("%s audible %v, want %v", k, got, want)
		}
	}
	a, b := Alert{Kind: AlertInDoubt, Job: "J1"}, Alert{Kind: AlertInDoubt, Job: "J2"}
	if a.Key() == b.Key() {
		t.Error("two jobs' alerts share a key")
	}
}

// TestFleetBacklogAlert: the fleet backlog shows once past its threshold,
// last (it stops no print), with its count and the oldest event's time.
func TestFleetBacklogAlert(t *testing.T) {
	oldest := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		w    Watch
		want int
	}{
		{"below", Watch{Fleet: FleetBacklog{Count: 999, Oldest: oldest}}, 0},
		{"past", Watch{Unsettled: 1, Fleet: FleetBacklog{Count: 1001, Oldest: oldest, Alerting: true}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as := tc.w.Alerts()
			if len(as) != tc.want {
				t.Fatalf("%d alerts, want %d: %+v", len(as), tc.want, as)
			}
			if tc.want == 0 {
				return
			}
			last := as[len(as)-1]
			if last.Kind != AlertFleetBacklog || last.Count != 1001 || !last.At.Equal(oldest) {
				t.Errorf("last alert %+v", last)
			}
		})
	}
}
