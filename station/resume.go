package station

import (
	"context"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
)

// A citizen who left while their print waited (printerd held it as
// citizen_absent, the upstream holds the request as printing, the token
// is kept) may come back and log in again at this kiosk. Their print is
// then offered to them as it is: the same job, the same document, the
// same settlement and upstream hold. Resuming it binds the job to the new
// visit's presence at printerd, in one durable step (Printers.Reattach),
// and follows it as any print: it prints at most once, and one
// confirmation burns the token. No new job, fetch or hold is made.

// PrintResumable is a print of this citizen's earlier visit, held because
// they left; the new visit may resume it.
const PrintResumable PrintState = "resumable"

// resumable returns the prints of rs that an earlier visit at this kiosk
// left held as citizen_absent, keyed by request: the upstream shows them
// as printing, and this kiosk's settlement follows their job.
func (k *Kiosk) resumable(ctx context.Context, rs []PrintRequest) map[RequestID]*Print {
	out := map[RequestID]*Print{}
	if k.cfg.Printers == nil || k.cfg.Settlements == nil {
		return out
	}
	for _, r := range rs {
		if r.Status != RequestPrinting {
			continue
		}
		st, found, err := k.settler.LastAttempt(ctx, r.ID)
		if err != nil || !found || st.Job == "" || st.Stage != SettleFollowing {
			continue
		}
		job, err := k.cfg.Printers.Job(ctx, st.Job)
		if err != nil || job.State != printerd.JobHeld || job.Reason != printerd.ReasonCitizenAbsent {
			continue
		}
		out[r.ID] = &Print{Request: r.ID, Document: r.Document, Job: job.ID, SHA256: st.SHA256,
			State: PrintResumable, Reason: job.Reason, Settlement: st.ID, key: st.Key, updated: job.Updated}
	}
	return out
}

// resume sends a resumable print of the session back to its printer
// under the session's presence and follows it. The caller saw sp in
// state PrintResumable; k.mu is not held.
func (k *Kiosk) resume(ctx context.Context, sessionID string, rid RequestID) (Print, error) {
	k.mu.Lock()
	s, err := k.liveLocked(sessionID)
	if err != nil {
		k.mu.Unlock()
		return Print{}, err
	}
	sp, ok := s.Prints[rid]
	if !ok || sp.State != PrintResumable {
		cp := Print{}
		if ok {
			cp = *sp // another tap got here first
		}
		k.mu.Unlock()
		return cp, nil
	}
	sp.State, sp.Err = PrintQueued, nil
	k.changedLocked(sessionID)
	authz, presence, jobID := s.Authz, s.Presence, sp.Job
	k.mu.Unlock()

	k.renew(ctx, presence)
	job, err := k.cfg.Printers.Reattach(ctx, jobID, presence)
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.changedLocked(sessionID)
	if err != nil {
		// Still held (printerd away) or no longer the citizen's (a
		// supervisor handed it over or cancelled it): nothing was sent.
		sp.State, sp.Err = PrintResumable, fault.As(ErrPrinterUnavailable.With(err))
		return *sp, sp.Err
	}
	sp.State = printState(job.State)
	k.wg.Add(1)
	go k.settle(authz, sp)
	return *sp, nil
}

// resumableAsApproved is rs with the resumable requests counted as
// approved, for the admission of a login.
func resumableAsApproved(rs []PrintRequest, res map[RequestID]*Print) []PrintRequest {
	out := append([]PrintRequest(nil), rs...)
	for i := range out {
		if _, ok := res[out[i].ID]; ok {
			out[i].Status = RequestApproved
		}
	}
	return out
}
