package station

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/anjungan/anjungan/fleet"
)

// KioskStateRecorder keeps the kiosk's service state for the fleet hub
// (docs/fleet.md): station/sqlite writes it to its outbox.
type KioskStateRecorder interface {
	RecordKioskState(ctx context.Context, at time.Time, s fleet.KioskState) error
}

// ServiceState is the kiosk's service state as the fleet sees it: closed
// by its hours, out of service for the documents that cannot print now
// (all of them, or printerd gone), or in service.
func (k *Kiosk) ServiceState(ctx context.Context) fleet.KioskState {
	if err := k.OpenNow(); err != nil {
		return fleet.KioskState{State: "closed"}
	}
	as, err := k.Availability(ctx)
	if err != nil {
		return fleet.KioskState{State: "out_of_service", Reasons: []string{"printer_unavailable"}}
	}
	s := fleet.KioskState{State: "in_service"}
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
	var last *fleet.KioskState
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s := k.ServiceState(ctx)
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
