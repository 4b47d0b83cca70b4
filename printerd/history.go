package printerd

import (
	"context"
	"time"
)

// JobEvent is one state change of a job: when, from which state to
// which, why, on which printer, and who decided when a supervisor did.
type JobEvent struct {
	Time    time.Time `json:"time"`
	From    JobState  `json:"from,omitempty"` // "" for the submission
	To      JobState  `json:"to"`
	Reason  string    `json:"reason,omitempty"`
	Printer string    `json:"printer,omitempty"`
	Actor   string    `json:"actor,omitempty"` // the supervisor; "" for printerd's own changes
	// Note is printerd's link between a job and its reprint; a
	// supervisor's words are kept apart and never shown here.
	Note       string     `json:"note,omitempty"`
	ReasonCode ReasonCode `json:"reason_code,omitempty"` // of a supervisor's reprint or void
}

// JobHistorian is a Journal that keeps every state change of a job
// (printerd/journal does), found by type assertion.
type JobHistorian interface {
	// Events returns the job's state changes, oldest first.
	Events(ctx context.Context, id JobID) ([]JobEvent, error)
}

// JobHistory returns every state change of a job, oldest first; an
// unknown job is ErrJobNotFound.
func (d *Dispatcher) JobHistory(ctx context.Context, id JobID) ([]JobEvent, error) {
	if _, err := d.journal.Get(ctx, id); err != nil {
		return nil, err
	}
	h, ok := d.journal.(JobHistorian)
	if !ok {
		return nil, ErrNotSupported.Withf("the journal keeps no history")
	}
	return h.Events(ctx, id)
}
