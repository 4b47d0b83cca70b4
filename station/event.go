package station

// EventKind is what a kiosk Event reports. The set is closed: every kind
// the kiosk emits is a constant below and listed in EventKinds, and the
// station's audit log maps each to an entry kind (station/auditrec,
// docs/audit.md "Kiosk entries"). Emit the constants, never a string.
type EventKind string

// Kiosk event kinds.
const (
	EventLoginOK              EventKind = "login_ok"
	EventLoginRefused         EventKind = "login_refused"
	EventDocumentFetched      EventKind = "document_fetched"
	EventRendered             EventKind = "rendered"
	EventReleased             EventKind = "released"       // a document given back at the preview; the upstream let it go
	EventReleaseFailed        EventKind = "release_failed" // the upstream did not answer the release; its reservation runs out
	EventSubmitted            EventKind = "submitted"
	EventPrinted              EventKind = "printed"
	EventConfirmed            EventKind = "confirmed"
	EventPrintFailed          EventKind = "print_failed"
	EventPrintInDoubt         EventKind = "print_in_doubt"
	EventReprintFollowed      EventKind = "reprint_followed" // the settler follows a supervisor's reprint to its new job
	EventSettleRetry          EventKind = "settle_retry"
	EventUsedTicketUnrecorded EventKind = "used_ticket_unrecorded"
	EventPresenceRenewFailed  EventKind = "presence_renew_failed" // printerd did not take a visit's renewal; its jobs wait
	EventPresenceEndFailed    EventKind = "presence_end_failed"   // printerd did not take a visit's end; its lease runs out
	EventOfficerCalled        EventKind = "officer_called"        // a citizen waiting for a held print called an officer
)

// EventKinds lists every kind, in the order of docs/audit.md's table.
var EventKinds = []EventKind{
	EventLoginOK, EventLoginRefused, EventDocumentFetched, EventRendered, EventReleased, EventReleaseFailed,
	EventSubmitted, EventPrinted, EventConfirmed, EventPrintFailed, EventPrintInDoubt, EventReprintFollowed,
	EventSettleRetry, EventUsedTicketUnrecorded, EventPresenceRenewFailed, EventPresenceEndFailed, EventOfficerCalled,
}
