package printerd

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Counted reports whether printerd keeps a blank ledger for m: blank
// cards (blanko KTP-el) are rationed and counted one by one; paper is not.
func (m Media) Counted() bool { return m == MediaCard }

// CardUse is what became of one blank card.
type CardUse string

// Card uses.
const (
	CardPrinted  CardUse = "printed"
	CardRejected CardUse = "rejected" // spoiled by the printer, in its reject box
	CardVoided   CardUse = "voided"   // voided by a supervisor
)

// ReasonNoBlanks is why a card job is held, and a card media unavailable,
// while the ledger has no blank card left on the printer.
const ReasonNoBlanks = "no-blanks"

// CardSerialFor is the serial of a card whose printer reports none (IPP
// has no card serial; an exec program may not say): the printer's
// identity, printerd's job id and the dispatch attempt, as in
// "card-1/J4KQ2M7XH3N5P/1". Job ids are random and unique in the journal,
// and one dispatch uses at most one card, so the serial is unique forever,
// whatever the printer's own job numbers do when it restarts. An identity
// that would make it longer than MaxCardSerial is replaced by a hash of it.
func CardSerialFor(identity string, job PrintJob) string {
	tail := "/" + string(job.ID) + "/" + strconv.Itoa(max(job.Attempt, 1))
	if len(identity)+len(tail) > MaxCardSerial {
		sum := sha256.Sum256([]byte(identity))
		identity = "h" + hex.EncodeToString(sum[:8])
	}
	return identity + tail
}

// Load is a supervisor's record of blank cards put into a printer.
type Load struct {
	Seq         int64     `json:"seq,omitempty"` // set by the journal; a reversal names it
	Printer     string    `json:"printer"`
	Count       int       `json:"count"`
	FirstSerial string    `json:"first_serial,omitempty"`
	LastSerial  string    `json:"last_serial,omitempty"`
	Actor       string    `json:"actor"`
	Time        time.Time `json:"time"` // set by the journal
}

// MaxLoad bounds one load (a few boxes of cards).
const MaxLoad = 100000

// Validate checks a load before it is stored (the printer's existence is
// the dispatcher's to check).
func (l Load) Validate() error {
	if l.Printer == "" {
		return ErrInvalidRequest.Withf("no printer")
	}
	if l.Count <= 0 || l.Count > MaxLoad {
		return ErrInvalidRequest.Withf("count %d is not within 1..%d", l.Count, MaxLoad)
	}
	if (l.FirstSerial == "") != (l.LastSerial == "") {
		return ErrInvalidRequest.Withf("a serial range needs both ends")
	}
	for _, s := range []string{l.FirstSerial, l.LastSerial} {
		if err := validText("serial", s, MaxCardSerial); err != nil {
			return err
		}
	}
	if l.FirstSerial != "" {
		// A load of "10 cards" with 50 serials is a typing error either
		// way: refuse it rather than guess which figure is right.
		n, ok := SerialCount(l.FirstSerial, l.LastSerial)
		if !ok {
			return ErrLoadSerials.Withf("serials %q..%q are not a range", l.FirstSerial, l.LastSerial)
		}
		if n != l.Count {
			return ErrLoadSerials.Withf("count %d, serial range holds %d", l.Count, n)
		}
	}
	return validActor(l.Actor)
}

// Tally is the journal's count of one printer's blank cards.
type Tally struct {
	Printer  string `json:"printer"`
	Loaded   int    `json:"loaded"` // net of reversed loads
	Printed  int    `json:"printed"`
	Rejected int    `json:"rejected"`
	Voided   int    `json:"voided"`
	// Spoiled counts cards a supervisor took out of stock as spoiled
	// without a job; Destroyed every spoiled card destroyed through a
	// confirmed destruction record.
	Spoiled   int `json:"spoiled"`
	Destroyed int `json:"destroyed"`
}

// Used is every card that left the stock.
func (t Tally) Used() int { return t.Printed + t.Rejected + t.Voided + t.Spoiled }

// Awaiting is the spoiled cards in the reject box awaiting destruction.
func (t Tally) Awaiting() int { return t.Rejected + t.Voided + t.Spoiled - t.Destroyed }

// Remaining is loaded − used. It is negative when more cards were used
// than recorded as loaded: a load was not recorded.
func (t Tally) Remaining() int { return t.Loaded - t.Used() }

// Ledger alerts.
const (
	AlertLowStock = "low-stock" // remaining at or below the threshold
	AlertMismatch = "mismatch"  // the printer's hopper count differs from remaining
	AlertOverdraw = "overdrawn" // more cards used than loaded
)

// LedgerEntry is one printer's blank cards as the API reports them.
type LedgerEntry struct {
	Tally
	Media     Media `json:"media"`
	Remaining int   `json:"remaining"`
	// Hopper is the printer's own count (a Status supply in unit
	// "cards"), nil when the driver reports none.
	Hopper   *int     `json:"hopper,omitempty"`
	LowStock int      `json:"low_stock"` // the threshold
	Alerts   []string `json:"alerts,omitempty"`
}

// Availability answers the kiosk's question before a citizen starts:
// can a document on this media be printed now?
type Availability struct {
	Media     Media    `json:"media"`
	Available bool     `json:"available"`
	Printers  []string `json:"printers,omitempty"` // the printers that can take it now
	// Reason is why not, when not available: journal-error (the journal
	// cannot write; see JournalHealth), no-printer, stopped, an IPP
	// reason keyword of error severity, or no-blanks.
	Reason string `json:"reason,omitempty"`
}

// ReadyToPrint returns nil when some media of as can be printed now, and
// ErrNoPrinterReady, with every media's reason as its cause, when none
// can: a kiosk with no printer able to print cannot serve a citizen.
func ReadyToPrint(as []Availability) error {
	var why []string
	for _, a := range as {
		if a.Available {
			return nil
		}
		why = append(why, string(a.Media)+": "+a.Reason)
	}
	if len(why) == 0 {
		why = append(why, "no printer configured")
	}
	return ErrNoPrinterReady.Withf("%s", strings.Join(why, "; "))
}
