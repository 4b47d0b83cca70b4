package printerd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/anjungan/anjungan/internal/fault"
)

// Optional abilities. A Device implements the ones its model has; callers
// find them by type assertion (dev.(printerd.Identifier)), as net/http
// finds http.Flusher. None of them is needed to print.

// Identifier makes a printer show itself (a blink, a beep) so an officer
// finds the right one in a hall.
type Identifier interface {
	Identify(ctx context.Context) error
}

// CardMove says where a card left inside the printer goes.
type CardMove string

// Card moves.
const (
	CardEject  CardMove = "eject"  // out of the output slot, to the officer
	CardReject CardMove = "reject" // into the reject box (spoiled)
)

// CardMover moves a card left inside the printer after a fault (a jam
// cleared, say). It fails with ErrNoCardInside when the path is empty.
type CardMover interface {
	MoveCard(ctx context.Context, to CardMove) error
}

// Encoding is data written on a card besides its print.
type Encoding struct {
	// Tracks are the magnetic stripe's tracks 1 to 3 (ISO/IEC 7811); an
	// empty string leaves a track blank.
	Tracks []string
}

// Encoder prints a job and encodes the same card before it leaves the
// printer. Its failures are DriverErrors like Print's.
type Encoder interface {
	PrintEncoded(ctx context.Context, job PrintJob, enc Encoding) (Printed, error)
}

// Cleaner runs the printer's maintenance: a cleaning cycle (a cleaning
// card through the rollers) and a reset of its controller.
type Cleaner interface {
	Clean(ctx context.Context) error
	Reset(ctx context.Context) error
}

// TestPrinter prints the model's built-in test page or card. On a card
// printer it uses a blank card: the ledger must count the Printed it
// returns like any other card.
type TestPrinter interface {
	TestPrint(ctx context.Context) (Printed, error)
}

// FaultInjector is implemented by simulators (and by drivers whose device
// has a fault mode) so tests, printerd's API and anjunganctl can make a
// printer fail on purpose.
type FaultInjector interface {
	// InjectFault arms f. An unknown or malformed fault is
	// ErrFaultInvalid; one the device cannot simulate is
	// ErrFaultUnsupported.
	InjectFault(ctx context.Context, f Fault) error
	// ClearFaults disarms every fault and clears the conditions faults
	// left (what an officer does after fixing the printer): Status shows
	// no reason a fault put there.
	ClearFaults(ctx context.Context) error
}

// Fault kinds.
const (
	FaultFeederEmpty   = "feeder-empty"
	FaultMediaJam      = "media-jam"
	FaultRibbonEmpty   = "ribbon-empty"
	FaultCoverOpen     = "cover-open"
	FaultRejectFull    = "reject-full"
	FaultOffline       = "offline"
	FaultTimeout       = "timeout"
	FaultEncodeFailure = "encode-failure"
)

// Points of a print where a fault fires.
const (
	FaultBeforePrint = "before-print" // job accepted, no card picked, nothing sent
	FaultDuringPrint = "during-print" // card picked / data being printed
	FaultAfterPrint  = "after-print"  // print done, before the card or sheet is out
)

// Fault is one fault to inject: Kind fires when the next print reaches
// At, on Count prints (0 means 1).
type Fault struct {
	Kind  string `json:"kind"`
	At    string `json:"at"`
	Count int    `json:"count,omitempty"`
}

func (f Fault) String() string { return f.Kind + "@" + f.At }

// Disposition is what became of the blank card of a failed print, so the
// blank-card ledger can count it.
type Disposition string

// Dispositions.
const (
	// DispositionNone: no card left the hopper; nothing to count.
	DispositionNone Disposition = "none"
	// DispositionRejected: the card went to the reject box; spoiled.
	DispositionRejected Disposition = "rejected"
	// DispositionStuck: the card is inside the printer (a jam, a full
	// reject box); spoiled unless an officer ejects it printed.
	DispositionStuck Disposition = "stuck"
	// DispositionUnknown: a card was picked and the printer cannot say
	// what became of it; a supervisor finds out.
	DispositionUnknown Disposition = "unknown"
)

// CardError carries the disposition of a card in a DriverError's Err
// chain: &DriverError{…, Err: &CardError{Disposition: …}}.
type CardError struct {
	Disposition Disposition
	CardSerial  string // the spoiled card's serial, when known
	Err         error
}

func (e *CardError) Error() string {
	s := "card " + string(e.Disposition)
	if e.CardSerial != "" {
		s += " (" + e.CardSerial + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *CardError) Unwrap() error { return e.Err }

// DispositionOf returns the card disposition err carries and the card's
// serial. An error without a CardError is DispositionNone: drivers of
// card printers must say when a card was consumed.
func DispositionOf(err error) (Disposition, string) {
	var ce *CardError
	if errors.As(err, &ce) {
		return ce.Disposition, ce.CardSerial
	}
	return DispositionNone, ""
}

// FaultEffect is what a device must report when a fault fires: the
// DriverError's Reason, Outcome and Uncertain, the card's disposition,
// and whether Status keeps showing Reason (with severity error, printer
// stopped) until ClearFaults.
type FaultEffect struct {
	Reason      string
	Outcome     Outcome
	Uncertain   bool
	Disposition Disposition // for card printers; paper printers report none
	Lasting     bool
}

// printer-state-reasons keywords faults produce. IPP has no keyword for a
// failed magnetic or chip encoding; encode-failure is ours.
const (
	ReasonMediaEmpty        = "media-empty"
	ReasonMediaJam          = "media-jam"
	ReasonMarkerSupplyEmpty = "marker-supply-empty"
	ReasonCoverOpen         = "cover-open"
	ReasonOutputAreaFull    = "output-area-full"
	ReasonOffline           = "offline"
	ReasonTimedOut          = "timed-out"
	ReasonEncodeFailure     = "encode-failure"
)

// printer-state-reasons keywords of printerd's own for a device that
// misbehaves (IPP has none): a printer stopped with one needs a
// supervisor, and the vendor, to look at it.
const (
	ReasonDriverPanic    = "driver-panic"    // the driver panicked (ErrDriverPanic)
	ReasonMalformedReply = "malformed-reply" // the printer's reply did not decode (ErrMalformedReply)
)

type faultAt struct{ kind, at string }

// faultEffects is the contract every driver's fault simulation follows
// and drivertest checks. Reasoning: an empty consumable holds the job
// (an officer loads and releases it); a printer that needs hands stops;
// a lost connection retries while nothing was sent and is uncertain
// once data went out; a card that was picked is always accounted for.
var faultEffects = map[faultAt]FaultEffect{
	{FaultFeederEmpty, FaultBeforePrint}: {ReasonMediaEmpty, OutcomeHold, false, DispositionNone, true},

	{FaultMediaJam, FaultBeforePrint}: {ReasonMediaJam, OutcomeStop, false, DispositionNone, true},
	{FaultMediaJam, FaultDuringPrint}: {ReasonMediaJam, OutcomeStop, false, DispositionStuck, true},
	{FaultMediaJam, FaultAfterPrint}:  {ReasonMediaJam, OutcomeStop, true, DispositionStuck, true},

	{FaultRibbonEmpty, FaultBeforePrint}: {ReasonMarkerSupplyEmpty, OutcomeHold, false, DispositionNone, true},
	{FaultRibbonEmpty, FaultDuringPrint}: {ReasonMarkerSupplyEmpty, OutcomeHold, false, DispositionRejected, true},

	{FaultCoverOpen, FaultBeforePrint}: {ReasonCoverOpen, OutcomeStop, false, DispositionNone, true},
	{FaultCoverOpen, FaultDuringPrint}: {ReasonCoverOpen, OutcomeStop, false, DispositionRejected, true},

	{FaultRejectFull, FaultBeforePrint}: {ReasonOutputAreaFull, OutcomeStop, false, DispositionNone, true},

	{FaultOffline, FaultBeforePrint}: {ReasonOffline, OutcomeRetry, false, DispositionNone, true},
	{FaultOffline, FaultDuringPrint}: {ReasonOffline, OutcomeStop, true, DispositionUnknown, true},
	{FaultOffline, FaultAfterPrint}:  {ReasonOffline, OutcomeStop, true, DispositionUnknown, true},

	{FaultTimeout, FaultBeforePrint}: {ReasonTimedOut, OutcomeRetry, false, DispositionNone, false},
	{FaultTimeout, FaultDuringPrint}: {ReasonTimedOut, OutcomeRetry, true, DispositionUnknown, false},
	{FaultTimeout, FaultAfterPrint}:  {ReasonTimedOut, OutcomeRetry, true, DispositionUnknown, false},

	{FaultEncodeFailure, FaultDuringPrint}: {ReasonEncodeFailure, OutcomeRetry, false, DispositionRejected, false},
}

// FaultKinds lists the kinds in a stable order.
var FaultKinds = []string{FaultFeederEmpty, FaultMediaJam, FaultRibbonEmpty, FaultCoverOpen,
	FaultRejectFull, FaultOffline, FaultTimeout, FaultEncodeFailure}

// FaultPoints lists the points in print order.
var FaultPoints = []string{FaultBeforePrint, FaultDuringPrint, FaultAfterPrint}

// Effect returns what f must do when it fires, or ErrFaultInvalid for an
// unknown kind, point or combination (a feeder is only empty before a
// pick; a reject box only matters before one).
func (f Fault) Effect() (FaultEffect, error) {
	if f.Count < 0 {
		return FaultEffect{}, ErrFaultInvalid.Withf("fault %s: count %d", f, f.Count)
	}
	e, ok := faultEffects[faultAt{f.Kind, f.At}]
	if !ok {
		return FaultEffect{}, ErrFaultInvalid.With(fmt.Errorf("fault %s is not one of the defined kinds and points", f))
	}
	return e, nil
}

// Errors of the abilities.
var (
	ErrFaultInvalid = fault.New("printer_fault_invalid",
		"Jenis gangguan printer tidak dikenal.",
		"Unknown kind of printer fault.")
	ErrFaultUnsupported = fault.New("printer_fault_unsupported",
		"Printer ini tidak dapat mensimulasikan gangguan tersebut.",
		"This printer cannot simulate that fault.")
	ErrNoCardInside = fault.New("printer_no_card_inside",
		"Tidak ada kartu di dalam printer.",
		"There is no card inside the printer.")
	ErrAbilityUnavailable = fault.New("printer_ability_unavailable",
		"Printer tidak dapat menjalankan perintah ini sekarang.",
		"The printer cannot do this right now.")
)

// CardFeatures describes a card printer's hardware, for the console and
// for choosing a printer that can make a document.
type CardFeatures struct {
	// RibbonPanels is the ribbon's panel sequence, e.g. "YMCKO" (colour,
	// black, overlay) or "K" (monochrome).
	RibbonPanels string   `json:"ribbon_panels,omitempty"`
	Magstripe    bool     `json:"magstripe"`
	ChipStations []string `json:"chip_stations,omitempty"` // "contact", "contactless"
	RejectBox    int      `json:"reject_box"`              // capacity in cards; 0 for none
	Feeders      int      `json:"feeders"`                 // input hoppers
	// HopperSensor is set when the printer counts the blanks it holds,
	// so the ledger can reconcile with it.
	HopperSensor bool `json:"hopper_sensor"`
}

// ParseReason splits an IPP printer-state-reasons value into keyword and
// severity. A keyword without a suffix is an error (RFC 8011, 5.4.12).
func ParseReason(s string) Reason {
	for _, sev := range []Severity{SeverityError, SeverityWarning, SeverityReport} {
		if k, ok := strings.CutSuffix(s, "-"+string(sev)); ok && k != "" {
			return Reason{Keyword: k, Severity: sev}
		}
	}
	return Reason{Keyword: s, Severity: SeverityError}
}
