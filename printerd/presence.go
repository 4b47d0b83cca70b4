package printerd

import (
	"context"
	"time"
)

// Presence: a document reaches a printer only while the citizen it
// belongs to is at the kiosk. The station names each citizen's visit with
// a presence id and keeps a lease on it (RenewPresence) while the session
// lives; a job submitted under that id is claimed for a printer only while
// the lease is live, checked in the claim's own transaction. When the
// visit ends (EndPresence) or the lease runs out (the station crashed),
// the job is held with reason citizen_absent and never printed
// automatically: a supervisor hands it over in person (Release), or
// cancels it. A job submitted without a presence id (an operator's test
// print) needs none.

// ReasonCitizenAbsent is the reason of a job held because its citizen left
// (the presence ended or ran out) before a printer took it.
const ReasonCitizenAbsent = "citizen_absent"

// ReasonHandedOver is the reason of a citizen_absent job a supervisor
// released: the citizen is at the counter; it prints without a presence.
const ReasonHandedOver = "handed-over"

// Limits of presence ids and leases.
const (
	MaxPresenceID  = 64
	MaxPresenceTTL = 10 * time.Minute
)

// PresenceLease is a live presence: its id and until when it holds.
type PresenceLease struct {
	ID    string    `json:"id"`
	Until time.Time `json:"until"`
}

// ValidPresence checks a presence id: 1 to 64 bytes of [A-Za-z0-9_.-].
func ValidPresence(id string) error {
	if id == "" || len(id) > MaxPresenceID {
		return ErrInvalidRequest.Withf("presence id of %d bytes", len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return ErrInvalidRequest.Withf("presence id byte %d", i)
		}
	}
	return nil
}

// RenewPresence keeps presence id live for ttl from now (at most
// MaxPresenceTTL). The station calls it while the citizen's session lives.
func (d *Dispatcher) RenewPresence(ctx context.Context, id string, ttl time.Duration) (PresenceLease, error) {
	if err := ValidPresence(id); err != nil {
		return PresenceLease{}, err
	}
	if ttl <= 0 || ttl > MaxPresenceTTL {
		return PresenceLease{}, ErrInvalidRequest.Withf("presence ttl %v outside (0, %v]", ttl, MaxPresenceTTL)
	}
	until := d.now().Add(ttl).UTC()
	if err := d.journal.RenewPresence(ctx, id, until); err != nil {
		return PresenceLease{}, err
	}
	return PresenceLease{ID: id, Until: until}, nil
}

// EndPresence ends presence id: the citizen left. Its queued jobs are held
// as citizen_absent at once, so a supervisor sees them; a job already at a
// printer finishes.
func (d *Dispatcher) EndPresence(ctx context.Context, id string) ([]Job, error) {
	if err := ValidPresence(id); err != nil {
		return nil, err
	}
	held, err := d.journal.EndPresence(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, j := range held {
		d.changed(Event{Job: j})
	}
	return held, nil
}

// ReasonReattached is the reason of a citizen_absent job given back to its
// citizen, who came back: it waits for the new visit's presence.
const ReasonReattached = "reattached"

// Reattach gives a job held as citizen_absent back to its citizen, who
// came back and logged in again: in one durable step (with its audit
// entry) the job waits for the new visit's presence, which must be live,
// and goes back to the queue. It is the same job, under the same key: it
// can print once at most, as before. Reattaching a job already bound to
// presence and past its hold returns it unchanged, so a retry is safe;
// any other job is ErrJobState.
func (d *Dispatcher) Reattach(ctx context.Context, id JobID, presence string) (Job, error) {
	if err := ValidPresence(presence); err != nil {
		return Job{}, err
	}
	job, changed, err := d.journal.Reattach(ctx, id, presence)
	if err != nil {
		return Job{}, err
	}
	if changed {
		d.changed(Event{Job: job})
		d.signal(job.Media)
	}
	return job, nil
}
