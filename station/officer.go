package station

import (
	"context"
	"sort"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// OfficerCall is a citizen at the kiosk asking for an officer, shown on
// the console's overview until it is answered or goes stale. It names the
// job the citizen waits for (by its reference, which the kiosk shows
// them), never the citizen.
type OfficerCall struct {
	At       time.Time
	Request  RequestID
	Document DocumentType
	Job      printerd.JobID // "" when no print was sent yet
	Ref      string         // printerd.JobRef(Job)
	State    PrintState     // of the print when called
}

// OfficerCallStore keeps the calls for an officer durably, so that a
// restart of the station does not lose a citizen's call (station/sqlite).
type OfficerCallStore interface {
	// Save records c, replacing a call about the same request, and keeps
	// the newest keep calls.
	Save(ctx context.Context, c OfficerCall, keep int) error
	// Since returns the calls made after t, newest first.
	Since(ctx context.Context, t time.Time) ([]OfficerCall, error)
}

// officerCallTTL is how long an unanswered call stays on the console: a
// visit is bounded by the idle timeout, and a citizen who left without
// printing comes back with the reference.
const officerCallTTL = 30 * time.Minute

// maxOfficerCalls bounds the calls kept, so a finger tapping the button
// cannot grow them.
const maxOfficerCalls = 32

// CallOfficer records that the citizen of the session asks for an
// officer about the print they wait for: the newest print not done (held
// or stopped first), or none. A second call for the same print replaces
// the first. With no session (sessionID ""), it is a citizen who has not
// signed in, for example stuck at the first screen: the call names no
// print, and a second such call replaces the first, so tapping again
// cannot grow the list.
func (k *Kiosk) CallOfficer(ctx context.Context, sessionID string) (OfficerCall, error) {
	k.mu.Lock()
	s := &Session{}
	if sessionID != "" {
		live, err := k.liveLocked(sessionID)
		if err != nil {
			k.mu.Unlock()
			return OfficerCall{}, err
		}
		s = live
	}
	call := OfficerCall{At: k.cfg.Now()}
	var best *Print
	for _, p := range s.Prints {
		if p.State == PrintDone {
			continue
		}
		if best == nil || rank(p.State) > rank(best.State) || rank(p.State) == rank(best.State) && p.Request > best.Request {
			best = p
		}
	}
	if best != nil {
		call.Request, call.Document, call.Job, call.State = best.Request, best.Document, best.Job, best.State
		call.Ref = printerd.JobRef(best.Job)
	}
	kept := k.calls[:0]
	for _, c := range k.calls {
		if c.Request != call.Request {
			kept = append(kept, c)
		}
	}
	k.calls = append(kept, call)
	if len(k.calls) > maxOfficerCalls {
		k.calls = k.calls[len(k.calls)-maxOfficerCalls:]
	}
	subject := s.Authz.Subject
	k.mu.Unlock()
	// A call that cannot be stored still reaches the console of this run:
	// the citizen stays on the waiting screen, and the log has the cause.
	var saveErr error
	if k.cfg.Calls != nil {
		saveErr = k.cfg.Calls.Save(ctx, call, maxOfficerCalls)
	}
	k.cfg.Recorder.Record(ctx, Event{Kind: EventOfficerCalled, Subject: subject, Request: call.Request, Job: call.Job, Err: saveErr})
	return call, nil
}

// rank orders the prints a call is about: one an officer must act on
// first.
func rank(s PrintState) int {
	switch s {
	case PrintHeld, PrintInDoubt:
		return 3
	case PrintFailed:
		return 2
	case PrintQueued, PrintPrinting:
		return 1
	}
	return 0
}

// OfficerCalls returns the calls not yet answered, newest first. A call
// about a print that has since printed is answered.
// With a store, the calls are read from it: those made before a restart
// too; when it cannot be read, the calls this run has seen are shown.
func (k *Kiosk) OfficerCalls() []OfficerCall {
	now := k.cfg.Now()
	var stored []OfficerCall
	var err error
	if k.cfg.Calls != nil {
		stored, err = k.cfg.Calls.Since(k.ctx, now.Add(-officerCallTTL))
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cfg.Calls != nil && err == nil {
		k.calls = stored
	}
	kept := k.calls[:0]
	for _, c := range k.calls {
		if now.Sub(c.At) < officerCallTTL && !k.printedLocked(c.Request) {
			kept = append(kept, c)
		}
	}
	k.calls = kept
	out := append([]OfficerCall(nil), kept...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out
}

// printedLocked reports whether a live session shows rid printed.
func (k *Kiosk) printedLocked(rid RequestID) bool {
	if rid == "" {
		return false
	}
	for _, s := range k.sessions {
		if p, ok := s.Prints[rid]; ok && p.State == PrintDone {
			return true
		}
	}
	return false
}
