package station

import (
	"context"
	"time"
)

// AuditEntry is one entry of the station's tamper-evident audit log (see
// docs/audit.md). It never holds a NIK, a name or a photo: Subject is the
// keyed hash of the NIK (AuditLog.SubjectOf).
type AuditEntry struct {
	Index   int64
	Time    time.Time
	Kind    string            // login.ok, login.refused, document.fetched, document.rendered, print.submitted, print.confirmed, print.failed, print.in_doubt, console.login, console.view, …
	Actor   string            // "kiosk", or a supervisor's account
	Subject string            // keyed hash of the NIK, or ""
	Fields  map[string]string // codes, ids, hashes, printer names; never personal data
}

// AuditFilter selects entries for the console's timeline.
type AuditFilter struct {
	From, To time.Time
	Kind     string // prefix match: "print." selects every print entry
	Outcome  string // fields["outcome"]
	Printer  string // fields["printer"]
	Subject  string // a keyed hash from SubjectOf
	Before   int64  // entries with a smaller index (paging); 0 = newest
	Limit    int
}

// AuditLog is the station's audit log as the kiosk and the console use it.
type AuditLog interface {
	Append(ctx context.Context, e AuditEntry) (int64, error)
	Entries(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// SubjectOf is the keyed hash that stands for a NIK in the log.
	SubjectOf(nik NIK) string
	// Checkpoint signs and stores the current tree head and returns it.
	Checkpoint(ctx context.Context) ([]byte, error)
	// LatestCheckpoint returns the newest stored checkpoint, or nil.
	LatestCheckpoint(ctx context.Context) ([]byte, error)
	// Verify recomputes the whole log and checks every checkpoint.
	Verify(ctx context.Context) error
}
