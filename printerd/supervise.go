package printerd

import (
	"crypto/sha256"
	"encoding/hex"
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

// Resolution is a supervisor's decision on an in_doubt job.
type Resolution struct {
	Action     Action `json:"action"`
	Reason     string `json:"reason,omitempty"`      // why; required for reprint; never personal data
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
	if r.Action == ActionReprint && strings.TrimSpace(r.Reason) == "" {
		return ErrInvalidRequest.Withf("a reprint needs a reason")
	}
	if err := validText("reason", r.Reason, MaxNote); err != nil {
		return err
	}
	return validText("card serial", r.CardSerial, MaxCardSerial)
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
