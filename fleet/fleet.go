package fleet

import (
	"context"
	"regexp"
	"time"
)

// Kiosk is one enrolled kiosk. Its ID is the common name of its client
// certificate; Regency and Province are the BPS/Kemendagri region codes
// ("3273", "32") that scope the supervisors who see it.
type Kiosk struct {
	ID         string
	Name       string
	Regency    string
	Province   string
	EnrolledAt time.Time
	RevokedAt  *time.Time
	// AuditKeys are the verifier keys of the kiosk's audit logs (log →
	// note vkey, AuditLogStation and AuditLogPrinterd): the witness
	// accepts checkpoints signed by these only.
	AuditKeys map[string]string
}

// KioskIDPattern is what a kiosk ID may look like: it is a certificate's
// common name and a key in every table.
var KioskIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Store keeps the hub's data; fleet/postgres implements it. Several hub
// processes may share one Store's database.
type Store interface {
	// Ingest stores the events of b with seq above the stream's acked,
	// in order, in one transaction with the projections they change,
	// and returns the new acked. It refuses an unknown or revoked kiosk
	// (ErrKioskUnknown, ErrKioskRevoked) and a batch whose first new
	// event leaves a gap (ErrSequenceGap, returning the current acked).
	Ingest(ctx context.Context, kiosk string, b Batch) (uint64, error)
	// Enrol registers a kiosk (ErrKioskExists when its ID is taken).
	Enrol(ctx context.Context, k Kiosk) error
	// Revoke marks a kiosk revoked at the given time; its events are refused from then on.
	Revoke(ctx context.Context, id string, at time.Time) error
	// Snapshot returns the read models of every kiosk.
	Snapshot(ctx context.Context, since time.Time) (Snapshot, error)
	// OpenAlerts records alerts not already open (by Alert.Key) and
	// closes open ones that are no longer in alerts; it returns the
	// newly opened ones, each exactly once across hub processes.
	OpenAlerts(ctx context.Context, alerts []Alert, now time.Time) ([]Alert, error)
	// ClaimAlerts returns the undelivered alerts due for delivery and
	// defers each one's next attempt by backoff(attempts), so that no
	// other hub sends it meanwhile.
	ClaimAlerts(ctx context.Context, now time.Time, backoff func(attempts int) time.Duration) ([]Alert, error)
	// AlertDelivered records that the alert reached the webhook.
	AlertDelivered(ctx context.Context, id int64, at time.Time) error
	// Ping checks the database is reachable (readiness).
	Ping(ctx context.Context) error
}

// Snapshot is what the console and the alerts read: every kiosk with its
// projections.
type Snapshot struct {
	Kiosks []KioskStatus
}

// KioskStatus is one kiosk as the hub last heard of it.
type KioskStatus struct {
	Kiosk
	LastSeen    *time.Time // when the hub last stored an event of it
	State       string     // KioskState.State, "" before the first
	Unavailable []string
	Reasons     []string
	Acked       map[Stream]uint64
	Backlog     int // the latest OutboxBacklog.Events
	BacklogPrev int // the one before it
	Printers    []PrinterStatus
	Blanks      []BlankStock
	Prints      []DailyPrints
	Waiting     []WaitingJob
}

// PrinterStatus is a printer's latest PrinterState.
type PrinterStatus struct {
	Printer  string
	Media    string
	State    string
	Reasons  []string
	Supplies map[string]int
	At       time.Time
}

// BlankStock is a card printer's blank-card balance and its use over the
// snapshot's window (Snapshot's since argument).
type BlankStock struct {
	Printer string
	Balance int
	Used    int // printed and spoiled cards since the window began
}

// DailyPrints counts one day's outcomes of one document type (the day of
// the event's time, UTC).
type DailyPrints struct {
	Day          string // 2006-01-02
	DocumentType string
	Outcome      string
	Count        int
}

// WaitingJob is a failed or in-doubt job a supervisor has not resolved.
type WaitingJob struct {
	JobRef       string
	DocumentType string
	State        string
	Since        time.Time
}
