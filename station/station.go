// Package station is the domain of the citizen kiosk: who the citizen is,
// which documents they may print, and the interfaces of the parts the kiosk
// consumes (the upstream registry, the ticket verifier, the card reader, the
// renderer and the print service). It imports no adapter: fiber, zerolog,
// scard, fpdf and sqlite live in subpackages, wired together in cmd/.
package station

import (
	"context"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// AuthMethod is how a citizen proved who they are.
type AuthMethod string

// Ways in.
const (
	AuthTicket AuthMethod = "ticket" // signed QR ticket
	AuthPIN    AuthMethod = "pin"    // NIK + one-time PIN
	AuthCard   AuthMethod = "card"   // e-KTP tap + second factor
)

// Ticket is a verified QR ticket (see docs/ticket.md). It carries no
// readable NIK: only a keyed binding the upstream can check.
type Ticket struct {
	ID           string // hex of the 16-byte cti
	Issuer       string
	IssuedAt     time.Time
	NotBefore    time.Time
	Expires      time.Time
	Registration string // registration number of the application
	Documents    []DocumentType
	NIKBinding   []byte // first 16 bytes of HMAC-SHA256(binding key, NIK)
	Site         string // optional site restriction
}

// Authorization is the upstream's answer to a successful login: the
// subject, the approved print requests, and an opaque handle that later
// calls name. The one-time token behind it (ticket or PIN) is burned only
// when the upstream receives a confirmed print.
type Authorization struct {
	ID       string
	Subject  NIK
	Method   AuthMethod
	Requests []PrintRequest
	Expires  time.Time
}

// PrintOutcome tells the upstream what became of a print.
type PrintOutcome struct {
	Authorization  string
	Request        RequestID
	IdempotencyKey string
	// IntentKey names the hold (HoldForPrint) the print ran under; the
	// upstream gives the request back on a failure only while that hold
	// is the request's.
	IntentKey  string
	JobID      string
	Printer    string
	CardSerial string
	PDFSHA256  string
	Result     PrintResult
	Reason     string // IPP keyword or short cause; never personal data
}

// PrintResult is the outcome reported to the upstream.
type PrintResult string

// Results.
const (
	ResultPrinted PrintResult = "printed"
	ResultFailed  PrintResult = "failed"
	ResultInDoubt PrintResult = "in_doubt"
)

// Registry is the upstream civil registry as the station uses it.
type Registry interface {
	AuthenticateTicket(ctx context.Context, t Ticket) (Authorization, error)
	AuthenticatePIN(ctx context.Context, nik NIK, pin string) (Authorization, error)
	// AuthenticateCard logs in with a NIK read from a verified e-KTP and
	// the PIN as second factor.
	AuthenticateCard(ctx context.Context, nik NIK, pin string) (Authorization, error)
	Document(ctx context.Context, authz Authorization, id RequestID) (Document, error)
	// HoldForPrint asks the upstream to hold the request for one print,
	// named by intentKey: until the print is confirmed or reported
	// failed, no other kiosk may fetch or print it, and no timeout frees
	// it. Idempotent by key.
	HoldForPrint(ctx context.Context, authz Authorization, id RequestID, intentKey string) error
	// ConfirmPrint records a printed document; it burns the one-time
	// token once every request it covers is printed, and says whether it
	// did. Idempotent by key.
	ConfirmPrint(ctx context.Context, o PrintOutcome) (tokenBurned bool, err error)
	// ReportPrint records a failed or uncertain print; it burns nothing.
	ReportPrint(ctx context.Context, o PrintOutcome) error
	// Release gives back a request whose document was fetched (which
	// reserves it) but will not be printed. Idempotent.
	Release(ctx context.Context, authz Authorization, id RequestID) error
}

// TicketVerifier checks a scanned QR ticket's text offline.
type TicketVerifier interface {
	Verify(text string, now time.Time) (Ticket, error)
}

// UsedTickets remembers the tickets whose token the upstream burned, so
// that a replay is refused at the kiosk even while the upstream cannot be
// reached.
type UsedTickets interface {
	Used(ctx context.Context, ticketID string) (bool, error)
	MarkUsed(ctx context.Context, ticketID string, at time.Time) error
}

// CardReader waits for an e-KTP on the reader and returns the NIK read
// from it through the configured card profile.
type CardReader interface {
	ReadNIK(ctx context.Context) (NIK, error)
}

// DocumentSignatures checks a document's QR (Document.QR) before it is
// rendered: signed by one of the upstream's published document keys, and
// stating exactly this document (its claims and content hash). Any
// difference is ErrDocumentSignatureInvalid; station/docqr implements it.
type DocumentSignatures interface {
	VerifyDocument(d Document) error
}

// Renderer turns document data into its one PDF.
type Renderer interface {
	Render(ctx context.Context, d Document) (Rendered, error)
}

// Previewer turns one page (from 0) of a rendered PDF into a PNG, the
// exact pixels that will print.
type Previewer interface {
	Preview(ctx context.Context, pdf []byte, page, dpi int) ([]byte, error)
}

// PreviewFunc adapts a function to Previewer.
type PreviewFunc func(ctx context.Context, pdf []byte, page, dpi int) ([]byte, error)

// Preview calls f.
func (f PreviewFunc) Preview(ctx context.Context, pdf []byte, page, dpi int) ([]byte, error) {
	return f(ctx, pdf, page, dpi)
}

// PrintService is printerd as the station uses it.
type PrintService interface {
	Submit(ctx context.Context, req printerd.SubmitRequest) (printerd.Job, error)
	Job(ctx context.Context, id printerd.JobID) (printerd.Job, error)
	// JobByKey finds the job submitted under an idempotency key, if any:
	// after a submission answered with an error it tells whether the job
	// was recorded.
	JobByKey(ctx context.Context, key string) (printerd.Job, bool, error)
	// RenewPresence and EndPresence keep printerd told whether a citizen
	// is at the kiosk: a job submitted under a presence reaches a printer
	// only while it is live (printerd/presence.go).
	RenewPresence(ctx context.Context, id string, ttl time.Duration) (printerd.PresenceLease, error)
	EndPresence(ctx context.Context, id string) ([]printerd.Job, error)
	// Reattach binds a job held citizen_absent to the live presence of
	// its citizen's new visit and queues it again (station/resume.go).
	Reattach(ctx context.Context, id printerd.JobID, presence string) (printerd.Job, error)
	// Availability says per media whether a job can print now (printer
	// ready, blank cards left in the ledger).
	Availability(ctx context.Context) ([]printerd.Availability, error)
}
