package printerd

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// SpoilCause is why a blank card was spoiled, from the list of the
// Dukcapil circulars on blanko KTP-el. The monthly report counts spoiled
// cards by these causes.
type SpoilCause string

// Spoil causes.
const (
	CauseEncode     SpoilCause = "gagal-encode"          // the chip or stripe could not be written
	CausePrint      SpoilCause = "gagal-cetak"           // the print failed (ribbon, cover, jam, smear)
	CauseDamaged    SpoilCause = "rusak"                 // the card itself is damaged
	CauseDataChange SpoilCause = "perubahan-elemen-data" // printed with data that changed or is wrong
)

// SpoilCauseInfo names one cause for the people who choose it.
type SpoilCauseInfo struct {
	Cause  SpoilCause
	ID, EN string
}

// SpoilCauses lists the causes in the circulars' order.
func SpoilCauses() []SpoilCauseInfo {
	return []SpoilCauseInfo{
		{CauseEncode, "Gagal encode", "Encoding failed"},
		{CausePrint, "Gagal cetak", "Printing failed"},
		{CauseDamaged, "Rusak", "Damaged"},
		{CauseDataChange, "Perubahan elemen data", "Data element changed"},
	}
}

// Known reports whether c is one of SpoilCauses.
func (c SpoilCause) Known() bool {
	for _, i := range SpoilCauses() {
		if i.Cause == c {
			return true
		}
	}
	return false
}

// RejectCause is the cause of a card the printer rejected while printing
// for the driver's reason keyword.
func RejectCause(reason string) SpoilCause {
	if reason == ReasonEncodeFailure {
		return CauseEncode
	}
	return CausePrint
}

// Cause is the spoil cause of a card a supervisor voids (or reprints)
// with reason code c.
func (code ReasonCode) Cause() SpoilCause {
	switch code {
	case ReasonCodeCardDamaged, ReasonCodeJam:
		return CauseDamaged
	case ReasonCodeWrongData:
		return CauseDataChange
	}
	return CausePrint
}

// CardSpoiled is the use of a card a supervisor takes out of stock as
// spoiled without a job (damaged in its box, say).
const CardSpoiled CardUse = "spoiled"

// Custody errors. A refused custody action is also written to the audit
// log (KindCustodyRefused) with its code.
var (
	ErrLoadSerials = fault.New("load_serials_mismatch",
		"Jumlah kartu tidak sama dengan rentang nomor seri. Periksa kembali jumlah dan nomor seri.",
		"The card count does not equal the serial range. Check the count and the serials.")
	ErrLoadImmutable = fault.New("load_immutable",
		"Catatan pemuatan kartu tidak dapat diubah. Koreksi dengan entri pembalik, lalu catat pemuatan yang benar.",
		"A load record cannot be changed. Correct it with a reversing entry, then record the right load.")
	ErrLoadReversed = fault.New("load_already_reversed",
		"Pemuatan ini sudah dibalik.",
		"This load has already been reversed.")
	ErrOutOfStock = fault.New("blanks_out_of_stock",
		"Tidak ada blanko kartu tersisa di buku stok printer ini.",
		"The ledger has no blank card left for this printer.")
	ErrSameSupervisor = fault.New("destruction_same_supervisor",
		"Pemusnahan harus dikonfirmasi oleh pengawas kedua yang berbeda.",
		"A destruction must be confirmed by a second, different supervisor.")
	ErrDestructionExpired = fault.New("destruction_expired",
		"Waktu konfirmasi pemusnahan sudah habis. Ajukan pemusnahan kembali.",
		"The time to confirm the destruction has passed. Propose the destruction again.")
	ErrDestructionState = fault.New("destruction_state_conflict",
		"Pemusnahan ini sudah dikonfirmasi atau kedaluwarsa.",
		"This destruction has already been confirmed or has expired.")
	ErrAlreadyDestroyed = fault.New("card_already_destroyed",
		"Sebagian kartu sudah dimusnahkan atau tidak menunggu pemusnahan.",
		"Some cards were already destroyed or are not awaiting destruction.")
	ErrDestructionNotFound = fault.New("destruction_not_found",
		"Berita acara pemusnahan tidak ditemukan.",
		"The destruction record was not found.")
)

// MaxDestructionList bounds a list of destruction records.
const MaxDestructionList = 50

// DefaultDestructionWindow is how long a proposed destruction waits for
// its second supervisor.
const DefaultDestructionWindow = 30 * time.Minute

// SerialCount is the number of serials from first to last inclusive:
// both end in a decimal number of the same width after the same prefix
// ("KTP0001".."KTP0050" is 50). ok is false when they do not.
func SerialCount(first, last string) (n int, ok bool) {
	if len(first) != len(last) {
		return 0, false
	}
	i := len(first)
	for i > 0 && first[i-1] >= '0' && first[i-1] <= '9' && last[i-1] >= '0' && last[i-1] <= '9' {
		i--
	}
	if i == len(first) || first[:i] != last[:i] || len(first)-i > 9 {
		return 0, false
	}
	a, err1 := strconv.Atoi(first[i:])
	b, err2 := strconv.Atoi(last[i:])
	if err1 != nil || err2 != nil || b < a {
		return 0, false
	}
	return b - a + 1, true
}

// LoadReversal corrects a wrong load: it takes the whole load back out of
// the ledger. The load itself is never edited; the right load is then
// recorded as a new one.
type LoadReversal struct {
	Load   int64     `json:"load"` // the Seq of the load reversed
	Reason string    `json:"reason"`
	Actor  string    `json:"actor"`
	Time   time.Time `json:"time"` // set by the journal
	// Printer and Count are the reversed load's, set by the journal.
	Printer string `json:"printer,omitempty"`
	Count   int    `json:"count,omitempty"`
}

// Validate checks a reversal before it is stored.
func (r LoadReversal) Validate() error {
	if r.Load <= 0 {
		return ErrInvalidRequest.Withf("no load")
	}
	if strings.TrimSpace(r.Reason) == "" {
		return ErrInvalidRequest.Withf("a reversal needs a reason")
	}
	if err := validText("reason", r.Reason, MaxNote); err != nil {
		return err
	}
	return validActor(r.Actor)
}

// Spoil is a supervisor's record of a blank card spoiled out of stock,
// without a job: it leaves the stock and goes to the reject box.
type Spoil struct {
	Printer    string     `json:"printer"`
	CardSerial string     `json:"card_serial,omitempty"`
	Cause      SpoilCause `json:"cause"`
	Actor      string     `json:"actor"`
}

// Validate checks a spoil before it is stored.
func (s Spoil) Validate() error {
	if s.Printer == "" {
		return ErrInvalidRequest.Withf("no printer")
	}
	if !s.Cause.Known() {
		return ErrInvalidRequest.Withf("unknown spoil cause %q", s.Cause)
	}
	if err := validText("serial", s.CardSerial, MaxCardSerial); err != nil {
		return err
	}
	return validActor(s.Actor)
}

// SpoiledCard is one spoiled card in custody: in the reject box awaiting
// destruction, or destroyed (Destruction set).
type SpoiledCard struct {
	Seq         int64      `json:"seq"` // its ledger entry
	Printer     string     `json:"printer"`
	Use         CardUse    `json:"use"` // rejected, voided or spoiled
	Job         JobID      `json:"job,omitempty"`
	CardSerial  string     `json:"card_serial,omitempty"`
	Cause       SpoilCause `json:"cause"`
	Actor       string     `json:"actor,omitempty"`
	Time        time.Time  `json:"time"`
	Destruction string     `json:"destruction,omitempty"`
}

// DestructionState is where a destruction record stands.
type DestructionState string

// Destruction states.
const (
	DestructionProposed  DestructionState = "proposed"  // the first supervisor signed
	DestructionConfirmed DestructionState = "confirmed" // a second, different supervisor signed in time
	DestructionExpired   DestructionState = "expired"   // the second came too late
)

// DestructionRequest proposes destroying spoiled cards of a printer:
// Cards lists their Seq; empty means every card awaiting destruction.
type DestructionRequest struct {
	Printer string  `json:"printer"`
	Cards   []int64 `json:"cards,omitempty"`
	Actor   string  `json:"actor"`
}

// Destruction is the record of a destruction (berita acara pemusnahan).
type Destruction struct {
	ID          string           `json:"id"`
	Printer     string           `json:"printer"`
	State       DestructionState `json:"state"`
	ProposedBy  string           `json:"proposed_by"`
	Proposed    time.Time        `json:"proposed"`
	Expires     time.Time        `json:"expires"`
	ConfirmedBy string           `json:"confirmed_by,omitempty"`
	Confirmed   time.Time        `json:"confirmed,omitzero"`
	Cards       []SpoiledCard    `json:"cards"`
}

// CardCounts is what a card printer knows of its own custody.
type CardCounts struct {
	// Lifetime counts every card the printer ever picked from its hopper;
	// it never goes back.
	Lifetime int `json:"lifetime"`
	// RejectBox is the cards in the reject box; RejectLocked says the box
	// is locked, so only a key holder can take them out.
	RejectBox    int  `json:"reject_box"`
	RejectLocked bool `json:"reject_locked"`
}

// CardCounter is a device that reports its card counters (optional).
type CardCounter interface {
	CardCounts(ctx context.Context) (CardCounts, error)
}

// Reconciliation compares the ledger with the printer's lifetime counter:
// the cards the ledger says went through the printer (printed, rejected,
// voided) since the previous reconciliation against the counter's
// advance. The first reconciliation of a printer is the baseline.
type Reconciliation struct {
	Printer string    `json:"printer"`
	Counter int       `json:"counter"` // the printer's lifetime counter
	Fed     int       `json:"fed"`     // the ledger's cards through the printer, all time
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	// Baseline is set on the first reconciliation; Difference is then 0.
	Baseline bool `json:"baseline,omitempty"`
	// Difference is the counter's advance minus the ledger's: more than 0
	// means cards left the hopper that the ledger does not account for.
	Difference int `json:"difference"`
	// RejectBox and RejectLocked are the printer's, when it reports them;
	// Awaiting is the ledger's spoiled cards awaiting destruction.
	RejectBox    *int `json:"reject_box,omitempty"`
	RejectLocked bool `json:"reject_locked,omitempty"`
	Awaiting     int  `json:"awaiting"`
}

// Balanced reports whether the printer's counter agrees with the ledger.
func (r Reconciliation) Balanced() bool { return r.Difference == 0 }

// MonthReport is one printer's blank cards over a month, the shape the
// fleet hub rolls up.
type MonthReport struct {
	Printer  string    `json:"printer"`
	From     time.Time `json:"from"`
	Until    time.Time `json:"until"`
	Loaded   int       `json:"loaded"`   // net of reversals made in the month
	Reversed int       `json:"reversed"` // cards taken back out by reversals
	// Printed counts printed cards by document type (the job's title).
	Printed   map[string]int     `json:"printed"`
	Spoiled   map[SpoilCause]int `json:"spoiled"`
	Destroyed int                `json:"destroyed"`
	// InStock and Awaiting stand at Until.
	InStock  int `json:"in_stock"`
	Awaiting int `json:"awaiting"`
	// Reconciliation is the last one made in the month, if any.
	Reconciliation *Reconciliation `json:"reconciliation,omitempty"`
}

// BlankLedger is the journal's custody of blank cards beyond loads and
// uses.
type BlankLedger interface {
	// ReverseLoad takes a whole load back out of the ledger.
	ReverseLoad(ctx context.Context, r LoadReversal) (LoadReversal, error)
	// Loads lists a printer's loads and whether each was reversed.
	Loads(ctx context.Context, printer string) ([]LoadRecord, error)
	// RecordSpoil takes a card out of stock as spoiled; ErrOutOfStock
	// when none is left.
	RecordSpoil(ctx context.Context, s Spoil) (SpoiledCard, error)
	// SpoiledCards lists a printer's spoiled cards; awaiting only those
	// not destroyed.
	SpoiledCards(ctx context.Context, printer string, awaiting bool) ([]SpoiledCard, error)
	// ProposeDestruction opens a destruction record signed by its first
	// supervisor; it waits window for the second.
	ProposeDestruction(ctx context.Context, r DestructionRequest, window time.Duration) (Destruction, error)
	// ConfirmDestruction is the second supervisor's signature: the cards
	// are destroyed.
	ConfirmDestruction(ctx context.Context, id, actor string) (Destruction, error)
	// Destruction reads one record.
	Destruction(ctx context.Context, id string) (Destruction, error)
	// Destructions lists a printer's records, newest first, at most
	// MaxDestructionList.
	Destructions(ctx context.Context, printer string) ([]Destruction, error)
	// RecordReconciliation compares the ledger with the printer's counts.
	RecordReconciliation(ctx context.Context, printer, actor string, c CardCounts, reported bool) (Reconciliation, error)
	// Month reports a printer's cards in [from, until).
	Month(ctx context.Context, printer string, from, until time.Time) (MonthReport, error)
	// RecordRefusal writes a refused custody action to the audit log.
	RecordRefusal(ctx context.Context, action, printer, actor string, err error) error
}

// LoadRecord is a load as the ledger keeps it.
type LoadRecord struct {
	Load
	Reversed bool `json:"reversed"`
}
