package printerd

// CanMove reports whether a job may go from one state to another. It is
// the one table of allowed transitions; the journal refuses any other
// change with ErrJobState. from is "" for a submission.
//
//	""          → queued                        (submit, or a supervisor's reprint)
//	queued      → dispatching                   (claimed; durable before any byte is sent)
//	queued      → canceled                      (cancel)
//	queued      → held                          (no blank card left: no-blanks)
//	dispatching → printed, failed, held,        (the driver's outcome)
//	              canceled, in_doubt, queued
//	held        → queued                        (a supervisor releases it)
//	held        → canceled                      (cancel)
//	in_doubt    → printed                       (a supervisor: it did print)
//	in_doubt    → failed                        (a supervisor: reprint, or void the card)
//
// printed, failed and canceled are final. dispatching never becomes
// dispatching again: a crash turns it in_doubt.
func CanMove(from, to JobState) bool {
	for _, s := range nextStates(from) {
		if s == to {
			return true
		}
	}
	return false
}

func nextStates(from JobState) []JobState {
	switch from {
	case "":
		return []JobState{JobQueued}
	case JobQueued:
		return []JobState{JobDispatching, JobCanceled, JobHeld}
	case JobDispatching:
		return []JobState{JobPrinted, JobFailed, JobHeld, JobCanceled, JobInDoubt, JobQueued}
	case JobHeld:
		return []JobState{JobQueued, JobCanceled}
	case JobInDoubt:
		return []JobState{JobPrinted, JobFailed}
	}
	return nil
}
