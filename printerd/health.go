package printerd

import "time"

// ReasonJournalError is why printerd stops a printer, and why Availability
// refuses every media, while the journal cannot record: a print whose
// outcome is not written down must not be followed by more prints.
const ReasonJournalError = "journal-error"

// JournalHealth is what the journal's own writes say about it. It is
// learnt from the outcome of real writes (a job submitted, claimed,
// finished, …), never from a probe: the journal is writable until a write
// fails, and again once a later write succeeds.
type JournalHealth struct {
	Writable bool `json:"writable"`
	// Failures counts the writes that failed since the last success.
	Failures int `json:"failures,omitempty"`
	// FailingSince is the first of those failures; zero while writable.
	FailingSince time.Time `json:"failing_since,omitzero"`
	// LastWrite is the last write that succeeded; zero before the first.
	LastWrite time.Time `json:"last_write,omitzero"`
	// Err is the last failure's cause, for the log only.
	Err error `json:"-"`
}

// Unrecorded describes a print whose outcome the journal failed to record:
// the job is still dispatching in the journal, and the worker keeps trying
// (see DispatcherConfig.JournalPatience).
type Unrecorded struct {
	Outcome JobState // the state the driver's result calls for
	Reason  string
	Attempt int // failed attempts so far
	// Retry is the pause before the next attempt; 0 when the worker gave
	// up because the dispatcher is closing (the job becomes in_doubt at
	// the next start).
	Retry time.Duration
	// Stopped is set once the worker has stopped its printer with
	// ReasonJournalError: it takes no new job until a supervisor resumes it.
	Stopped bool
}
