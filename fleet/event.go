// Package fleet is the fleet hub's domain: what kiosks report to the hub
// (events, in order, per kiosk and stream), and what the hub keeps and
// shows. Adapters live below it (fleet/postgres, fleet/http); cmd/fleethub
// wires them. station and printerd write these events into an outbox in
// their own database and send them (docs/fleet.md).
//
// Nothing personal travels in an event: codes, counts, job references,
// printer states, document types, ledger movements and checkpoints; never
// a NIK, a name, a birth date, a keyed subject hash or a document.
package fleet

import (
	"encoding/json"
	"time"
)

// Stream is the program on a kiosk that wrote an event. Each kiosk has
// one sequence per stream.
type Stream string

// Streams.
const (
	StreamStation  Stream = "station"
	StreamPrinterd Stream = "printerd"
)

// Event is one fact a kiosk reports. Seq starts at 1 and grows by one per
// event of the same kiosk and stream, with no gaps: the hub stores each
// (kiosk, stream, seq) once, so a resent event is not counted twice.
type Event struct {
	Seq  uint64          `json:"seq"`
	At   time.Time       `json:"at"` // when it happened, on the kiosk's clock (UTC, RFC 3339)
	Kind Kind            `json:"kind"`
	Data json.RawMessage `json:"data"` // the Kind's data type, below

	value any // Data decoded by DecodeBatch, so a projection need not decode it again
}

// Batch is what a kiosk sends in one request: events of one stream in
// ascending Seq order.
type Batch struct {
	Stream Stream  `json:"stream"`
	Events []Event `json:"events"`
}

// Ack is the hub's answer: the highest Seq of the stream it has stored
// with no gap before it. The kiosk may delete everything up to it from
// its outbox and sends from Acked+1 next.
type Ack struct {
	Acked uint64 `json:"acked"`
}

// Kind names what an event reports; its Data has the type named beside it.
type Kind string

// Kinds.
const (
	KindKioskState      Kind = "kiosk_state"      // station: KioskState
	KindPrintOutcome    Kind = "print_outcome"    // station: PrintOutcome
	KindLoginOutcome    Kind = "login_outcome"    // station: LoginOutcome
	KindPrinterState    Kind = "printer_state"    // printerd: PrinterState
	KindJobState        Kind = "job_state"        // printerd: JobState
	KindBlankMovement   Kind = "blank_movement"   // printerd: BlankMovement
	KindAuditCheckpoint Kind = "audit_checkpoint" // both: AuditCheckpoint
	KindOutboxBacklog   Kind = "outbox_backlog"   // both: OutboxBacklog
)

// Kinds lists every Kind, in the order docs/fleet.md lists them.
var Kinds = []Kind{KindKioskState, KindPrintOutcome, KindLoginOutcome, KindPrinterState,
	KindJobState, KindBlankMovement, KindAuditCheckpoint, KindOutboxBacklog}

// KioskState is the station's service state: in service, out of service
// for some or all documents, or closed by its opening hours.
type KioskState struct {
	State       string   `json:"state"`                 // "in_service", "out_of_service", "closed"
	Unavailable []string `json:"unavailable,omitempty"` // document types that cannot be printed now
	Reasons     []string `json:"reasons,omitempty"`     // stable codes, e.g. "printer_unavailable"
}

// PrintOutcome is how one print request ended at the kiosk.
type PrintOutcome struct {
	DocumentType string `json:"document_type"`
	Outcome      string `json:"outcome"` // "printed", "failed", "in_doubt", "citizen_absent", "resolved_printed", "resolved_failed"
	JobRef       string `json:"job_ref"` // printerd's job reference, never the upstream request id
	Code         string `json:"code,omitempty"`
}

// LoginOutcome is one login attempt's result.
type LoginOutcome struct {
	Method string `json:"method"` // "card", "ticket", "pin", "card_fingerprint"
	Code   string `json:"code"`   // "ok" or the stable error code
}

// PrinterState is a printer's state and supplies.
type PrinterState struct {
	Printer  string         `json:"printer"`
	Media    string         `json:"media"` // "card", "a4"
	State    string         `json:"state"` // "idle", "printing", "stopped", "offline"
	Reasons  []string       `json:"reasons,omitempty"`
	Supplies map[string]int `json:"supplies,omitempty"` // supply name → percent left (-1 unknown); a paper printer's paper as "paper"
}

// JobState is a print job's new state in printerd.
type JobState struct {
	JobRef       string `json:"job_ref"`
	DocumentType string `json:"document_type,omitempty"` // the type's id ("kk"), as in PrintOutcome
	Media        string `json:"media"`
	State        string `json:"state"` // printerd's job states (docs/printerd.md)
	Reason       string `json:"reason,omitempty"`
}

// BlankMovement is one movement of the blank-card ledger.
type BlankMovement struct {
	Printer string `json:"printer"`
	Kind    string `json:"kind"` // "load", "print", "spoil", "destroy", "reversal", "reconcile"
	Count   int    `json:"count"`
	Balance int    `json:"balance"` // blank cards in the printer after the movement
	Cause   string `json:"cause,omitempty"`
}

// AuditCheckpoint is a new signed checkpoint of one of the kiosk's audit
// logs (docs/audit.md), sent for the hub to witness.
type AuditCheckpoint struct {
	Log        string `json:"log"`        // "station", "printerd"
	Checkpoint string `json:"checkpoint"` // the signed note, as the log serves it
}

// OutboxBacklog is the sender's own state, reported now and then (at
// least every few minutes while it has a backlog): how many events wait
// in its outbox, not counting this one, and when the oldest was written.
// The hub raises backlog_growing when the backlog keeps growing.
type OutboxBacklog struct {
	Events   int       `json:"events"`
	Bytes    int64     `json:"bytes"`
	OldestAt time.Time `json:"oldest_at,omitzero"`
}
