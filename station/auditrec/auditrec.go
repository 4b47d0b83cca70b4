// Package auditrec turns the kiosk's events into entries of the station's
// audit log. An entry keeps only codes, ids and hashes: the subject is the
// log's keyed hash of the NIK, and an error is kept as its fault code,
// never its message or cause (a cause may quote a NIK or a name).
package auditrec

import (
	"context"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
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

type mapping struct{ kind, outcome string }

// kinds maps each kiosk event kind to its entry kind and outcome.
var kinds = map[string]mapping{
	"login_ok":               {"login.ok", OutcomeOK},
	"login_refused":          {"login.refused", OutcomeRefused},
	"document_fetched":       {"document.fetched", OutcomeOK},
	"rendered":               {"document.rendered", OutcomeOK},
	"submitted":              {"print.submitted", OutcomeOK},
	"printed":                {"print.printed", OutcomeOK},
	"confirmed":              {"print.confirmed", OutcomeOK},
	"print_failed":           {"print.failed", OutcomeFailed},
	"print_in_doubt":         {"print.in_doubt", OutcomeInDoubt},
	"settle_retry":           {"print.settle_retry", OutcomeRetry},
	"used_ticket_unrecorded": {"ticket.used_unrecorded", OutcomeFailed},
}

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
		m = mapping{UnknownKind, OutcomeOK}
		fields["event"] = code(e.Kind)
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
	set := func(k, v string) {
		if v != "" {
			fields[k] = v
		}
	}
	set("method", string(e.Method))
	set("request", string(e.Request))
	set("job", string(e.Job))
	set("sha256", e.SHA256)
	set("printer", e.Printer)
	set("card_serial", e.CardSerial)
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
