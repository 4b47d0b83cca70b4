package smartcard

import (
	"sync"

	"github.com/anjungan/anjungan/internal/fanout"
	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// Presence turns the loop's events into the kiosk's card states
// (station.CardStates), and remembers the current one so a page that
// opens the card screen sees it at once.
type Presence struct {
	stop func()
	done chan struct{}

	mu      sync.Mutex
	current station.CardState
	subs    map[chan station.CardState]struct{}
}

var _ station.CardStates = (*Presence)(nil)

// NewPresence follows l until Close.
func NewPresence(l *Loop) *Presence {
	events, stop := l.Subscribe()
	p := &Presence{stop: stop, done: make(chan struct{}), subs: map[chan station.CardState]struct{}{},
		current: station.CardState{Status: station.CardWaiting}}
	if l.Present() {
		p.current = station.CardState{Status: station.CardPresent}
		if l.SetAsideNow() {
			p.current = station.CardState{Status: station.CardSetAside}
		}
	}
	go p.run(events)
	return p
}

func (p *Presence) run(events <-chan Event) {
	for {
		select {
		case <-p.done:
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			p.mu.Lock()
			next, known := nextCardState(p.current, e)
			if known {
				p.current = next
				for ch := range p.subs {
					fanout.SendNewest(ch, next) // under p.mu: a page behind loses old states, never the newest
				}
			}
			p.mu.Unlock()
		}
	}
}

// nextCardState maps one loop event onto the card screen's state; false
// for a kind the screen does not show.
func nextCardState(cur station.CardState, e Event) (station.CardState, bool) {
	switch e.Kind {
	case EventReady:
		return station.CardState{Status: station.CardWaiting}, true
	case EventPresent, EventReading:
		return station.CardState{Status: station.CardPresent}, true
	case EventRead:
		return station.CardState{Status: station.CardRead}, true
	case EventRemovedEarly:
		return station.CardState{Status: station.CardRemovedEarly, Err: fault.As(orCardLost(e.Err))}, true
	case EventNotEKTP:
		return station.CardState{Status: station.CardNotEKTP}, true // the page has the words
	case EventError:
		return station.CardStateOf(orCardLost(e.Err)), true
	case EventRemoved:
		switch cur.Status {
		case station.CardPresent:
			// Gone before the read ended: the citizen taps again and holds.
			return station.CardState{Status: station.CardRemovedEarly, Err: station.ErrCardUnreadable}, true
		case station.CardRemovedEarly, station.CardNotEKTP, station.CardFailed:
			return cur, true // keep telling the citizen what went wrong until the next tap
		}
		return station.CardState{Status: station.CardWaiting}, true
	case EventReaderMissing:
		return station.CardState{Status: station.CardReaderMissing}, true
	case EventServiceDown:
		return station.CardState{Status: station.CardServiceDown}, true
	case EventSetAside:
		return station.CardState{Status: station.CardSetAside}, true
	}
	return cur, false
}

// orCardLost is err, or "card lost, tap again" when the loop gave none.
func orCardLost(err error) error {
	if err == nil {
		return station.ErrCardUnreadable
	}
	return err
}

// Subscribe implements station.CardStates.
func (p *Presence) Subscribe() (<-chan station.CardState, func()) {
	ch := make(chan station.CardState, 16)
	p.mu.Lock()
	ch <- p.current
	p.subs[ch] = struct{}{}
	p.mu.Unlock()
	return ch, func() {
		p.mu.Lock()
		delete(p.subs, ch)
		p.mu.Unlock()
	}
}

// Close ends the subscription to the loop.
func (p *Presence) Close() {
	p.stop()
	close(p.done)
}
