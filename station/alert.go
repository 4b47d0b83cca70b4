package station

import (
	"sort"
	"strconv"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// AlertKind is what a console alert is about; each has its next step.
type AlertKind string

// The alerts, in the order the console shows them: a person waiting
// comes first, then what stops prints, then what can wait.
const (
	AlertOfficerCalled  AlertKind = "officer_called"  // a citizen at the kiosk asks for an officer: go to them
	AlertCitizenWaiting AlertKind = "citizen_waiting" // a print is held while its citizen waits: fix the cause, release it
	// AlertCitizenWaitingPrinter is a print the kiosk shows held while
	// printerd has it queued behind a stopped printer: fix the printer.
	AlertCitizenWaitingPrinter AlertKind = "citizen_waiting_printer"
	AlertPrinterStopped        AlertKind = "printer_stopped" // a printer stopped: fix it, say so on the console
	AlertInDoubt               AlertKind = "in_doubt"        // a job's outcome is unknown: look at the printer, decide
	AlertPrinterdDown          AlertKind = "printerd_down"   // printerd does not answer: check the print service
	AlertPrinterReason         AlertKind = "printer_reason"  // a printer reports an error but prints on
	AlertLedger                AlertKind = "ledger"          // blank cards low, counted wrong or overdrawn
	AlertUnsettled             AlertKind = "unsettled"       // prints not yet reported upstream
	AlertFleetBacklog          AlertKind = "fleet_backlog"   // events not yet delivered to the fleet hub past the threshold
)

// Alert is one thing on the console that needs a supervisor. It names a
// job by its reference, never the citizen.
type Alert struct {
	Kind     AlertKind
	At       time.Time // when it began, where known
	Printer  string
	Job      printerd.JobID
	Ref      string
	Document DocumentType
	Keyword  string // the printer's reason, the job's reason or the ledger's alert
	Count    int    // for AlertUnsettled
	// Link is the console page where the next step is done.
	Link string
}

// Audible reports whether the alert sounds when it appears: someone is
// waiting, or nothing prints until a supervisor acts.
func (a Alert) Audible() bool {
	switch a.Kind {
	case AlertOfficerCalled, AlertCitizenWaiting, AlertCitizenWaitingPrinter, AlertInDoubt, AlertPrinterStopped:
		return true
	}
	return false
}

// Key tells one alert from another across refreshes, so that a console
// sounds an alert once, when it appears.
func (a Alert) Key() string {
	return string(a.Kind) + "/" + a.Printer + "/" + string(a.Job) + "/" + a.Keyword + "/" + strconv.FormatInt(a.At.Unix(), 10)
}

// HeldWaiting is a print held at a printer while its citizen is still at
// the kiosk.
type HeldWaiting struct {
	Job      printerd.JobID
	Ref      string
	Document DocumentType
	Reason   string // printerd's reason for holding it
	// Printer and State are printerd's view of the job, where the console
	// asked: a job the kiosk shows held may be queued behind a stopped
	// printer, whose page is then where the next step is done.
	Printer string
	State   printerd.JobState
}

// Watch is what the console's alerts are made from.
type Watch struct {
	Calls     []OfficerCall
	Waiting   []HeldWaiting
	InDoubt   []printerd.Job
	Printers  []printerd.PrinterInfo
	Ledger    []printerd.LedgerEntry
	Unsettled int
	// PrinterdErr is the code of printerd's failure to answer, or "".
	PrinterdErr string
	// Fleet is the station's fleet outbox backlog (docs/fleet.md).
	Fleet FleetBacklog
}

// FleetBacklog is what waits in the station's fleet outbox: the alert
// shows once Alerting (the count passed -fleet-backlog-alert).
type FleetBacklog struct {
	Count    int
	Oldest   time.Time
	Alerting bool
}

// Alerts lists what needs a supervisor now, most urgent first, each with
// the page where its next step is done.
func (w Watch) Alerts() []Alert {
	var out []Alert
	for _, c := range w.Calls {
		a := Alert{Kind: AlertOfficerCalled, At: c.At, Job: c.Job, Ref: c.Ref, Document: c.Document, Keyword: string(c.State), Link: "/"}
		if c.Job != "" {
			a.Link = "/jobs/" + string(c.Job)
		}
		out = append(out, a)
	}
	for _, h := range w.Waiting {
		a := Alert{Kind: AlertCitizenWaiting, Job: h.Job, Ref: h.Ref, Document: h.Document, Keyword: h.Reason, Link: "/jobs/" + string(h.Job)}
		if h.State == printerd.JobQueued && h.Printer != "" {
			// Waiting for a stopped printer, not for a release.
			a.Kind, a.Printer, a.Link = AlertCitizenWaitingPrinter, h.Printer, "/printers/"+h.Printer
		}
		out = append(out, a)
	}
	printers := append([]printerd.PrinterInfo(nil), w.Printers...)
	sort.Slice(printers, func(i, j int) bool { return printers[i].Name < printers[j].Name })
	for _, p := range printers {
		if p.Status.State == printerd.PrinterStopped {
			a := Alert{Kind: AlertPrinterStopped, Printer: p.Name, Link: "/printers/" + p.Name}
			if len(p.Status.Reasons) > 0 {
				a.Keyword = p.Status.Reasons[0].Keyword
			}
			out = append(out, a)
		}
	}
	for _, j := range w.InDoubt {
		out = append(out, Alert{Kind: AlertInDoubt, At: j.Created, Job: j.ID, Ref: printerd.JobRef(j.ID), Printer: j.Printer, Keyword: j.Reason, Link: "/jobs/" + string(j.ID)})
	}
	if w.PrinterdErr != "" {
		out = append(out, Alert{Kind: AlertPrinterdDown, Keyword: w.PrinterdErr, Link: "/"})
	}
	for _, p := range printers {
		if p.Status.State == printerd.PrinterStopped {
			continue // said above
		}
		for _, r := range p.Status.Reasons {
			if r.Severity == printerd.SeverityError {
				out = append(out, Alert{Kind: AlertPrinterReason, Printer: p.Name, Keyword: r.Keyword, Link: "/printers/" + p.Name})
			}
		}
	}
	for _, l := range w.Ledger {
		for _, k := range l.Alerts {
			out = append(out, Alert{Kind: AlertLedger, Printer: l.Printer, Keyword: k, Link: "/ledger"})
		}
	}
	if w.Unsettled > 0 {
		out = append(out, Alert{Kind: AlertUnsettled, Count: w.Unsettled, Link: "/#unsettled"})
	}
	if w.Fleet.Alerting {
		out = append(out, Alert{Kind: AlertFleetBacklog, At: w.Fleet.Oldest, Count: w.Fleet.Count, Link: "/"})
	}
	return out
}

// HeldWaiting returns the prints held at a printer whose citizen is still
// at the kiosk (a session not idle): someone stands there waiting.
func (k *Kiosk) HeldWaiting() []HeldWaiting {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.cfg.Now()
	var out []HeldWaiting
	for _, s := range k.sessions {
		if k.idle(s, now) {
			continue
		}
		for _, p := range s.Prints {
			if p.State == PrintHeld && p.Job != "" {
				out = append(out, HeldWaiting{Job: p.Job, Ref: printerd.JobRef(p.Job), Document: p.Document, Reason: p.Reason})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Job < out[j].Job })
	return out
}
