// Package printerd is the domain of the print daemon: jobs and their
// durable states, printer status in the shape of IPP, the outcomes of a
// print in the shape of CUPS backend exit codes, and the Driver contract
// vendors implement. It imports no adapter (sqlite, HTTP, drivers live in
// subpackages).
package printerd

import (
	"context"
	"time"
)

// Media is a PWG 5101.1 self-describing media name.
type Media string

// Media the station uses.
const (
	MediaA4   Media = "iso_a4_210x297mm"
	MediaCard Media = "om_card_54x86mm" // ID-1 (CR80) card
)

// JobID identifies a job in the journal.
type JobID string

// JobState is where a job stands. dispatching is made durable before any
// byte reaches a printer, so a crash leaves evidence: such a job becomes
// in_doubt at start-up and only a supervisor resolves it.
type JobState string

// Job states.
const (
	JobQueued      JobState = "queued"
	JobDispatching JobState = "dispatching"
	JobPrinted     JobState = "printed"
	JobHeld        JobState = "held"
	JobFailed      JobState = "failed"
	JobCanceled    JobState = "canceled"
	JobInDoubt     JobState = "in_doubt"
)

// Terminal reports whether no automatic step follows s.
func (s JobState) Terminal() bool {
	switch s {
	case JobPrinted, JobFailed, JobCanceled, JobInDoubt:
		return true
	}
	return false
}

// SubmitRequest asks printerd to print one document.
type SubmitRequest struct {
	// IdempotencyKey makes submission safe to retry: the same key with the
	// same document returns the same job; with another document it is a
	// conflict.
	IdempotencyKey string `json:"idempotency_key"`
	Media          Media  `json:"media"`
	Title          string `json:"title"` // e.g. "KTP-el"; never personal data
	// DocumentType is the station's registered id of the document type
	// ("ktp-el", "kia", "kk"): what the fleet counts prints by. "" for a
	// job that is no citizen's document (an operator's test print).
	DocumentType string `json:"document_type,omitempty"`
	// Document is the PDF. It travels as the body of the request, not
	// in the JSON (docs/printerd.md, SubmitRequest).
	Document []byte `json:"-"`
	// Presence names the citizen's visit the job belongs to (see
	// presence.go): the job reaches a printer only while it is live. ""
	// for a job with no citizen (an operator's test print).
	Presence string `json:"presence,omitempty"`
}

// Job is a print job as the journal records it.
type Job struct {
	ID             JobID     `json:"id"`
	IdempotencyKey string    `json:"idempotency_key"`
	Media          Media     `json:"media"`
	Title          string    `json:"title"`
	DocumentType   string    `json:"document_type,omitempty"` // see SubmitRequest
	DocumentSHA256 string    `json:"document_sha256"`
	State          JobState  `json:"state"`
	Reason         string    `json:"reason,omitempty"` // IPP keyword or short cause
	Printer        string    `json:"printer,omitempty"`
	CardSerial     string    `json:"card_serial,omitempty"`
	Attempts       int       `json:"attempts"`
	Created        time.Time `json:"created"`
	Updated        time.Time `json:"updated"`
	// ReprintOf is the job in doubt this one reprints; ReprintedAs the
	// reprint a supervisor queued for this one. They let whoever settles
	// a print follow it to the document that finally came out.
	ReprintOf   JobID `json:"reprint_of,omitempty"`
	ReprintedAs JobID `json:"reprinted_as,omitempty"`
	// Presence is the visit the job waits for ("" once a supervisor
	// handed it over, or for a job with no citizen).
	Presence string `json:"presence,omitempty"`
}

// PrinterState follows IPP's printer-state.
type PrinterState string

// Printer states.
const (
	PrinterIdle       PrinterState = "idle"
	PrinterProcessing PrinterState = "processing"
	PrinterStopped    PrinterState = "stopped"
)

// Severity follows the IPP printer-state-reasons suffixes.
type Severity string

// Severities.
const (
	SeverityReport  Severity = "report"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

// Reason is one printer-state-reasons keyword (without its suffix).
type Reason struct {
	Keyword  string   `json:"keyword"` // e.g. media-empty, media-jam, cover-open
	Severity Severity `json:"severity"`
}

// Supply is one marker or consumable (printer-supply).
type Supply struct {
	Name  string `json:"name"`  // e.g. "YMCKO ribbon", "blank cards"
	Kind  string `json:"kind"`  // IPP supply type, e.g. ribbonWax, toner
	Level int    `json:"level"` // remaining, in Unit
	Max   int    `json:"max"`
	Unit  string `json:"unit"` // "panels", "cards", "percent"
}

// Status is a printer's state in the shape of IPP.
type Status struct {
	State      PrinterState `json:"state"`
	Reasons    []Reason     `json:"reasons,omitempty"`
	Supplies   []Supply     `json:"supplies,omitempty"`
	VendorCode string       `json:"vendor_code,omitempty"` // raw, for diagnostics
}

// Capabilities describes what a device can print.
type Capabilities struct {
	Media       []Media `json:"media"`
	Resolutions []int   `json:"resolutions_dpi"`
	Duplex      bool    `json:"duplex"`
	// Card describes a card printer's hardware; nil for paper printers.
	Card *CardFeatures `json:"card,omitempty"`
}

// PrintJob is what a Device receives.
type PrintJob struct {
	ID       JobID
	Media    Media
	Title    string
	Document []byte // PDF
	// Attempt counts the dispatches of the job, from 1; with ID it names
	// this print uniquely (see CardSerialFor).
	Attempt int
}

// Printed is what a Device reports after a successful print.
type Printed struct {
	// CardSerial is the card's serial when the device knows it; it must
	// never repeat. When it is empty the dispatcher records
	// CardSerialFor(printer name, job).
	CardSerial string
	Pages      int
}

// Outcome classifies a driver's result like a CUPS backend exit code.
type Outcome string

// Outcomes (CUPS_BACKEND_OK, _FAILED, _HOLD, _STOP, _CANCEL, _RETRY,
// _RETRY_CURRENT).
const (
	OutcomeOK           Outcome = "ok"
	OutcomeFailed       Outcome = "failed"
	OutcomeHold         Outcome = "hold"
	OutcomeStop         Outcome = "stop"
	OutcomeCancel       Outcome = "cancel"
	OutcomeRetry        Outcome = "retry"
	OutcomeRetryCurrent Outcome = "retry-current"
)

// DriverError is the error a Device returns from Print.
type DriverError struct {
	Outcome Outcome
	Reason  string // IPP keyword, e.g. media-jam
	// Uncertain is set when the device may have printed (e.g. connection
	// lost after the data was sent): the job becomes in_doubt.
	Uncertain bool
	Err       error
}

func (e *DriverError) Error() string {
	s := string(e.Outcome) + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *DriverError) Unwrap() error { return e.Err }

// DeviceConfig configures one printer: its name in printerd, the driver's
// address for it (a URI, a path) and driver-specific options.
type DeviceConfig struct {
	Name    string
	URI     string
	Options map[string]string
	// TempDir is printerd's private folder (mode 0700, under its data
	// folder) for the temporary files of a print: rasters, a copy of the
	// document for a vendor program. They hold personal data, so a driver
	// keeps every temporary file there, removes it when the job ends,
	// and never uses the system's temp folder; printerd empties TempDir
	// at start-up, removing what a crash left. Several devices share it:
	// make unique names (os.MkdirTemp). A driver that needs temporary
	// files refuses to open without it.
	TempDir string
}

// Driver supports one family of printer models. Drivers register
// themselves from init() with driver.Register.
type Driver interface {
	Open(ctx context.Context, cfg DeviceConfig) (Device, error)
}

// Device is one opened printer. Status must be cheap and safe to call
// while Print runs.
type Device interface {
	Capabilities(ctx context.Context) (Capabilities, error)
	Status(ctx context.Context) (Status, error)
	Print(ctx context.Context, job PrintJob) (Printed, error)
	Close() error
}
