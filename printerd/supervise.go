package printerd

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Action is what a supervisor decides about a job in doubt.
type Action string

// Actions on an in_doubt job.
const (
	// ActionPrinted: the document came out fine; the job becomes printed
	// and its card (serial optional) is counted as printed.
	ActionPrinted Action = "printed"
	// ActionReprint: nothing usable came out; the job becomes failed with
	// reason "reprinted" and a new job (the next attempt, same document)
	// is queued. A spoiled card that did come out may be named by serial:
	// it is counted as voided.
	ActionReprint Action = "reprint"
	// ActionVoid: a card came out but must not be handed over (damaged,
	// wrong); the job becomes failed with reason "voided" and the card is
	// counted as voided.
	ActionVoid Action = "void"
)

// Reasons the journal records for supervisor actions.
const (
	ReasonReprinted = "reprinted"
	ReasonVoided    = "voided"
	ReasonReleased  = "released"
	ReasonReprint   = "reprint" // the submission reason of a reprint job
)

// Limits of supervisor input.
const (
	MaxActor      = 64
	MaxNote       = 256
	MaxCardSerial = 64
)

// ReasonCode is why a supervisor reprinted a job or voided its card, from
// a fixed list (ReasonCodes). The permanent audit log records the code,
// never the supervisor's words: free text may name the citizen, and an
// append-only log can never forget it.
type ReasonCode string

// Reason codes of a resolution.
const (
	ReasonCodeJam          ReasonCode = "jam"           // jammed in the printer
	ReasonCodeBlankOutput  ReasonCode = "blank-output"  // came out blank
	ReasonCodeMisprint     ReasonCode = "misprint"      // colours, position, smears
	ReasonCodeCardDamaged  ReasonCode = "card-damaged"  // the card or page is damaged
	ReasonCodeWrongData    ReasonCode = "wrong-data"    // it shows data that is not the document's
	ReasonCodePrinterFault ReasonCode = "printer-fault" // the printer failed (error, power)
	ReasonCodeOther        ReasonCode = "other"         // anything else; say what in the note
)

// ReasonCodeInfo describes one reason code for the people who choose it.
type ReasonCodeInfo struct {
	Code    ReasonCode
	ID, EN  string   // labels in Bahasa Indonesia and English
	Actions []Action // the actions it applies to
}

// ReasonCodes returns the reason codes in the order a console lists them.
// wrong-data applies to a void only: a reprint prints the same document
// again. A confirmed print (printed) takes no code.
func ReasonCodes() []ReasonCodeInfo {
	both := []Action{ActionReprint, ActionVoid}
	return []ReasonCodeInfo{
		{ReasonCodeJam, "Macet di printer", "Jammed in the printer", []Action{ActionReprint}},
		{ReasonCodeBlankOutput, "Keluar kosong", "Came out blank", both},
		{ReasonCodeMisprint, "Cetakan cacat (warna, posisi, noda)", "Misprint (colours, position, smears)", both},
		{ReasonCodeCardDamaged, "Kartu atau kertas rusak", "Card or page damaged", both},
		{ReasonCodeWrongData, "Data pada cetakan salah", "Wrong data on the print", []Action{ActionVoid}},
		{ReasonCodePrinterFault, "Gangguan printer (galat, listrik)", "Printer fault (error, power)", []Action{ActionReprint}},
		{ReasonCodeOther, "Lainnya (jelaskan di catatan)", "Other (explain in the note)", both},
	}
}

// Known reports whether code is one of ReasonCodes.
func (code ReasonCode) Known() bool {
	return code.Applies(ActionReprint) || code.Applies(ActionVoid)
}

// Applies reports whether code is a known reason code for action.
func (code ReasonCode) Applies(action Action) bool {
	for _, c := range ReasonCodes() {
		if c.Code == code {
			return slices.Contains(c.Actions, action)
		}
	}
	return false
}

// Resolution is a supervisor's decision on an in_doubt job.
type Resolution struct {
	Action Action `json:"action"`
	// ReasonCode says why; required for reprint and void, refused for
	// printed.
	ReasonCode ReasonCode `json:"reason_code,omitempty"`
	// Note is the supervisor's optional words (JSON "reason", the field
	// that once held the reason). printerd keeps it in the journal only,
	// where it can be erased (EraseNote); the audit log holds its keyed
	// hash.
	Note       string `json:"reason,omitempty"`
	CardSerial string `json:"card_serial,omitempty"` // see the Action constants
	Actor      string `json:"actor"`                 // who decided
}

// Resolved is the result of a resolution: the job, and the new job when
// the action was a reprint.
type Resolved struct {
	Job     Job  `json:"job"`
	Reprint *Job `json:"reprint,omitempty"`
}

// Validate checks a resolution before anything is stored.
func (r Resolution) Validate() error {
	switch r.Action {
	case ActionPrinted, ActionReprint, ActionVoid:
	default:
		return ErrInvalidRequest.Withf("unknown action %q", r.Action)
	}
	if err := validActor(r.Actor); err != nil {
		return err
	}
	switch {
	// The causes do not quote the code: a wrong one may be free text,
	// and causes go to the log.
	case r.Action == ActionPrinted && r.ReasonCode != "":
		return ErrReasonCodeInvalid.Withf("a confirmed print takes no reason code")
	case r.Action == ActionPrinted:
	case r.ReasonCode == "":
		return ErrReasonCodeMissing.Withf("%s without reason_code", r.Action)
	case !r.ReasonCode.Applies(r.Action):
		return ErrReasonCodeInvalid.Withf("reason_code unknown, or not one for %s", r.Action)
	}
	if err := validText("note", r.Note, MaxNote); err != nil {
		return err
	}
	return validText("card serial", r.CardSerial, MaxCardSerial)
}

// EraseNote is a request to erase the note of a job's resolution.
type EraseNote struct {
	Actor string `json:"actor"` // who erases (a supervisor, the data protection officer)
}

// NoteErased is the answer to EraseNote: Erased is false when the job's
// resolution had no note left to erase.
type NoteErased struct {
	Job    JobID `json:"job"`
	Erased bool  `json:"erased"`
}

func validActor(actor string) error {
	if strings.TrimSpace(actor) == "" {
		return ErrInvalidRequest.Withf("no actor")
	}
	return validText("actor", actor, MaxActor)
}

// validText accepts short printable UTF-8.
func validText(what, s string, max int) error {
	if len(s) > max || !utf8.ValidString(s) {
		return ErrInvalidRequest.Withf("%s is too long or not UTF-8", what)
	}
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return ErrInvalidRequest.Withf("%s holds a control character", what)
		}
	}
	return nil
}

// ReprintKey is the idempotency key of print number n (2, 3, …) of the
// document first submitted under key: the original key and the number,
// so a retried resolution cannot make a second reprint job. A key too
// long to take the suffix is shortened to its SHA-256.
func ReprintKey(key string, n int) string {
	suffix := "~" + strconv.Itoa(n)
	if len(key)+len(suffix) > MaxIdempotencyKey {
		sum := sha256.Sum256([]byte(key))
		key = hex.EncodeToString(sum[:])
	}
	return key + suffix
}

// ReasonConfirmed is the reason of an in_doubt job a supervisor confirmed
// as printed.
const ReasonConfirmed = "confirmed"
