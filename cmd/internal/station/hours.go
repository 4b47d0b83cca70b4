package station

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/anjungan/anjungan/station"
)

// Hours is the station's opening hours (-opening-hours, -closing-lead,
// -closing-grace). See docs/operations.md, "Opening hours".
type Hours struct {
	Text     string           // the schedule as given ("" always open)
	Schedule station.Schedule // Text, parsed
	// Lead is how long before closing the kiosk stops taking new
	// citizens, so that the last one can finish by closing time.
	Lead time.Duration
	// Grace bounds the wait after closing for the last citizen and their
	// print: then the station stops anyway.
	Grace time.Duration
	// Every is how often the station looks whether it may stop (default
	// 1 s; tests shorten it).
	Every time.Duration
}

// hoursFlags defines the opening hours' flags on fs.
func (m *Main) hoursFlags(fs *flag.FlagSet) {
	fs.StringVar(&m.Hours.Text, "opening-hours", m.Hours.Text, `when the kiosk takes citizens, in the hall's time zone, e.g. "Mon-Fri 07:30-16:00; Sat 08:00-12:00" (empty: always open; the station stops at closing time)`)
	fs.DurationVar(&m.Hours.Lead, "closing-lead", m.Hours.Lead, "how long before closing the kiosk refuses new citizens")
	fs.DurationVar(&m.Hours.Grace, "closing-grace", m.Hours.Grace, "how long after closing the station waits for a citizen still printing before it stops anyway")
}

// parseHours reads -opening-hours; its error is a *station.ScheduleError.
func (m *Main) parseHours() error {
	sched, err := station.ParseSchedule(m.Hours.Text)
	if err != nil {
		return fmt.Errorf("-opening-hours: %w", err)
	}
	m.Hours.Schedule = sched
	return nil
}

// openingHours is the kiosk's gate; nil when always open.
func (m *Main) openingHours() *station.OpeningHours {
	if m.Hours.Schedule.Always() {
		return nil
	}
	return &station.OpeningHours{Schedule: m.Hours.Schedule, Zone: m.Hall.Zone, Lead: m.Hours.Lead}
}

// Done is closed when the station should stop by its opening hours: it
// is past closing time and no citizen is at the kiosk and no print is
// under way, or the grace after closing is over. The program then stops
// through Close, as on SIGTERM, and exits 0.
func (m *Main) Done() <-chan struct{} { return m.done }

// closeByHours watches the clock for closing time. A station started
// while closed runs, refusing logins, until the coming opening period
// has ended.
func (m *Main) closeByHours() {
	m.done = make(chan struct{})
	h := m.openingHours()
	if h == nil {
		return
	}
	closing := h.Closing(m.Now())
	m.log.Info().Str("hours", m.Hours.Schedule.String()).Str("closing", m.Hall.Time(closing)).Msg("opening hours")
	ctx, cancel := context.WithCancel(context.Background())
	m.stopHours = cancel
	every := m.Hours.Every
	if every <= 0 {
		every = time.Second
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := m.Now()
			if now.Before(closing) {
				continue
			}
			busy := m.kiosk.Busy()
			if busy && now.Sub(closing) < m.Hours.Grace {
				continue
			}
			ev := m.log.Info()
			if busy {
				ev = m.log.Warn()
			}
			ev.Bool("busy", busy).Str("closing", m.Hall.Time(closing)).Msg("closed by the opening hours: stopping")
			close(m.done)
			return
		}
	}()
}
