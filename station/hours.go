package station

import (
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// ErrKioskClosed refuses a login outside the opening hours, or in their
// last minutes (OpeningHours.Lead). The copy Admit returns names the next
// opening time in the hall's zone.
var ErrKioskClosed = fault.New("kiosk_closed",
	"Anjungan tutup. Silakan kembali pada jam buka.",
	"The kiosk is closed. Please come back during opening hours.")

// OpeningHours is when a kiosk takes new citizens: its schedule, read in
// the hall's zone, and the lead time before closing from which it takes
// no one new, so that the last citizen can finish before closing time.
type OpeningHours struct {
	Schedule Schedule
	Zone     Zone
	Lead     time.Duration
}

// Closing is when the station stops: the end of the opening period
// holding now, or of the next one when closed; zero when it never closes.
func (h OpeningHours) Closing(now time.Time) time.Time {
	loc := h.Zone.Location()
	if h.Schedule.Always() {
		return time.Time{}
	}
	return h.Schedule.ClosesAt(h.Schedule.NextOpen(now, loc), loc)
}

// Admit is nil when a new citizen may log in at now; else ErrKioskClosed
// naming when the kiosk opens again.
func (h OpeningHours) Admit(now time.Time) error {
	if h.Schedule.Always() {
		return nil
	}
	loc := h.Zone.Location()
	next := h.Schedule.NextOpen(now, loc)
	if next.Equal(now) {
		closes := h.Schedule.ClosesAt(now, loc)
		if closes.Sub(now) > h.Lead {
			return nil
		}
		// In the last minutes: it opens again after this period.
		next = h.Schedule.NextOpen(closes, loc)
	}
	return h.closed(next)
}

var (
	hariID = [...]string{"Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"}
)

// closed is ErrKioskClosed naming next, e.g. "Buka kembali Senin 07:30 WIB."
func (h OpeningHours) closed(next time.Time) error {
	t := next.In(h.Zone.Location())
	at := t.Format("15:04") + " " + string(h.zone())
	e := *ErrKioskClosed
	e.ID = "Anjungan tutup. Buka kembali " + hariID[t.Weekday()] + " " + at + "."
	e.EN = "The kiosk is closed. It opens again " + t.Weekday().String() + " " + at + "."
	e.Cause = nil
	return e.Withf("closed until %s", next.UTC().Format(time.RFC3339))
}

func (h OpeningHours) zone() Zone {
	if _, ok := zoneOffsets[h.Zone]; ok {
		return h.Zone
	}
	return WIB
}

// admitHours refuses a new citizen outside the opening hours.
func (k *Kiosk) admitHours() error {
	if k.cfg.Hours == nil {
		return nil
	}
	return k.cfg.Hours.Admit(k.cfg.Now())
}

// OpenNow is nil while a new citizen may log in, else ErrKioskClosed
// naming the next opening: the start screen shows it before anyone
// signs in.
func (k *Kiosk) OpenNow() error { return k.admitHours() }

// Busy reports whether a citizen is at the kiosk (a session not idle) or
// a print is under way (preparing, queued or printing, or a job whose
// outcome the kiosk still follows): a station closing by schedule waits
// until it is not.
func (k *Kiosk) Busy() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.jobs) > 0 {
		return true
	}
	now := k.cfg.Now()
	for _, s := range k.sessions {
		if !k.idle(s, now) {
			return true
		}
		for _, p := range s.Prints {
			switch p.State {
			case PrintPreparing, PrintQueued, PrintPrinting:
				return true
			}
		}
	}
	return false
}
