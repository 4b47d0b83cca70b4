package station

import (
	"context"
	"errors"
	"reflect"
	"time"
)

// KioskStateRecorder keeps the kiosk's service state for the fleet hub
// (docs/fleet.md): station/sqlite writes it to its outbox as the fleet's
// kiosk_state event.
type KioskStateRecorder interface {
	RecordKioskState(ctx context.Context, at time.Time, s ServiceState) error
}

// ServiceState is the kiosk's service state: "in_service",
// "out_of_service" or "closed", the document types that cannot print now
// and the reasons, as stable codes. It is the data of the fleet's
// kiosk_state event (ServiceState); the domain keeps its own type so
// that it depends on no other program's packages.
type ServiceState struct {
	State       string
	Unavailable []string
	Reasons     []string
}

// Service returns the kiosk's service state as the fleet sees it: closed
// by its hours, out of service for the documents that cannot print now
// (all of them, or printerd gone), or in service.
func (k *Kiosk) Service(ctx context.Context) ServiceState {
	if err := k.OpenNow(); err != nil {
		return ServiceState{State: "closed"}
	}
	as, err := k.Availability(ctx)
	if err != nil {
		return ServiceState{State: "out_of_service", Reasons: []string{"printer_unavailable"}}
	}
	s := ServiceState{State: "in_service"}
	for _, a := range as {
		if !a.Ready {
			s.Unavailable = append(s.Unavailable, string(a.Document))
			s.Reasons = append(s.Reasons, a.Reason)
		}
	}
	if len(s.Unavailable) == len(as) {
		s.State = "out_of_service"
	}
	return s
}

// WatchService records the kiosk's service state at start and each time
// it changes, looking every interval, until ctx ends. A failed record is
// tried again at the next look.
func (k *Kiosk) WatchService(ctx context.Context, rec KioskStateRecorder, every time.Duration, now func() time.Time) {
	var last *ServiceState
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s := k.Service(ctx)
		if ctx.Err() != nil {
			return
		}
		if last == nil || !reflect.DeepEqual(*last, s) {
			if err := rec.RecordKioskState(ctx, now(), s); err == nil || errors.Is(err, context.Canceled) {
				last = &s
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
