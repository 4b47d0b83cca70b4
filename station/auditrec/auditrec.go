// Package auditrec turns the kiosk's events into entries of the station's
// audit log. An entry keeps only codes, ids and hashes: the subject is the
// log's keyed hash of the NIK, and an error is kept as its fault code,
// never its message or cause (a cause may quote a NIK or a name).
package auditrec

import (
	"context"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// Actor is the actor of every entry the kiosk causes.
const Actor = "kiosk"

// Outcomes, for the console's outcome filter.
const (
	OutcomeOK      = "ok"
	OutcomeRefused = "refused"
	OutcomeFailed  = "failed"
	OutcomeInDoubt = "in_doubt"
	OutcomeRetry   = "retry"
)

// appendTimeout bounds one append: the entry is written even when the
// request that caused it has ended, but a stuck database must not hold
// the kiosk for ever.
const appendTimeout = 15 * time.Second

// mapping is the entry of one kiosk event kind: its kind, its outcome,
// and the event's fields it carries (besides outcome, and error when the
// event failed). A field not listed is not written: each kind's fields
// are exactly those of docs/audit.md's table.
type mapping struct {
	kind, outcome string
	fields        []string
}

// Fields an entry may take from its event.
const (
	fieldMethod     = "method"
	fieldRequest    = "request"
	fieldJob        = "job"
	fieldSHA256     = "sha256"
	fieldPrinter    = "printer"
	fieldCardSerial = "card_serial"
	fieldRef        = "ref" // printerd.JobRef of the job: what the citizen read off the kiosk
)

var (
	printFields = []string{fieldRequest, fieldJob, fieldRef, fieldSHA256, fieldPrinter, fieldCardSerial}

	// kinds maps each kiosk event kind to its entry.
	kinds = map[station.EventKind]mapping{
		station.EventLoginOK:              {"login.ok", OutcomeOK, []string{fieldMethod}},
		station.EventLoginRefused:         {"login.refused", OutcomeRefused, []string{fieldMethod}},
		station.EventDocumentFetched:      {"document.fetched", OutcomeOK, []string{fieldRequest}},
		station.EventRendered:             {"document.rendered", OutcomeOK, []string{fieldRequest, fieldSHA256}},
		station.EventReleased:             {"document.released", OutcomeOK, []string{fieldRequest}},
		station.EventReleaseFailed:        {"document.release_failed", OutcomeFailed, []string{fieldRequest}},
		station.EventSubmitted:            {"print.submitted", OutcomeOK, []string{fieldRequest, fieldJob, fieldRef, fieldSHA256}},
		station.EventPrinted:              {"print.printed", OutcomeOK, printFields},
		station.EventConfirmed:            {"print.confirmed", OutcomeOK, printFields},
		station.EventPrintFailed:          {"print.failed", OutcomeFailed, printFields},
		station.EventPrintInDoubt:         {"print.in_doubt", OutcomeInDoubt, printFields},
		station.EventReprintFollowed:      {"print.reprint_followed", OutcomeOK, []string{fieldRequest, fieldJob, fieldRef}},
		station.EventSettleRetry:          {"print.settle_retry", OutcomeRetry, []string{fieldRequest, fieldJob, fieldRef}},
		station.EventUsedTicketUnrecorded: {"ticket.used_unrecorded", OutcomeFailed, []string{fieldRequest}},
		station.EventPresenceRenewFailed:  {"presence.renew_failed", OutcomeFailed, nil},
		station.EventPresenceEndFailed:    {"presence.end_failed", OutcomeFailed, nil},
		station.EventOfficerCalled:        {"officer.called", OutcomeOK, []string{fieldRequest, fieldJob, fieldRef}},
	}
)

// UnknownKind is the entry kind of an event this package does not know:
// such an event is still logged, with its kind in the "event" field.
const UnknownKind = "kiosk.unknown"

// Recorder is a station.Recorder that appends every kiosk event to Log.
// When an append fails it calls Fallback (if set) with the event and the
// error, so the loss is at least logged.
type Recorder struct {
	Log      station.AuditLog
	Fallback func(station.Event, error)
}

var _ station.Recorder = Recorder{}

// Record appends the entry for e. It does not stop when ctx is cancelled:
// a citizen who walks away still leaves the trace of what happened.
func (r Recorder) Record(ctx context.Context, e station.Event) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), appendTimeout)
	defer cancel()
	if _, err := r.Log.Append(ctx, Entry(r.Log, e)); err != nil && r.Fallback != nil {
		r.Fallback(e, err)
	}
}

// Entry is the audit entry for e; its time is left for the log to set.
func Entry(log station.AuditLog, e station.Event) station.AuditEntry {
	m, known := kinds[e.Kind]
	fields := map[string]string{}
	if !known {
		m = mapping{kind: UnknownKind, outcome: OutcomeOK}
		fields["event"] = code(string(e.Kind))
	}
	outcome := m.outcome
	if e.Err != nil {
		// The code is stable and safe; the message and cause never go in.
		fields["error"] = string(fault.CodeOf(e.Err))
		if outcome == OutcomeOK {
			outcome = OutcomeFailed
		}
	}
	fields["outcome"] = outcome
	of := map[string]string{
		fieldMethod: string(e.Method), fieldRequest: string(e.Request), fieldJob: string(e.Job),
		fieldSHA256: e.SHA256, fieldPrinter: e.Printer, fieldCardSerial: e.CardSerial,
		fieldRef: printerd.JobRef(e.Job),
	}
	for _, k := range m.fields {
		if v := of[k]; v != "" {
			fields[k] = v
		}
	}
	entry := station.AuditEntry{Kind: m.kind, Actor: Actor, Fields: fields}
	if !e.Subject.IsZero() {
		entry.Subject = log.SubjectOf(e.Subject)
	}
	return entry
}

// code keeps an unknown event kind only if it looks like one (lowercase
// letters, digits, underscores, at most 64), so nothing else slips in.
func code(s string) string {
	if len(s) == 0 || len(s) > 64 {
		return "invalid"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return "invalid"
		}
	}
	return s
}
