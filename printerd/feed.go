package printerd

import (
	"sync"
	"time"
)

// Notice is one event of the stream the kiosk and the console follow: a
// job after a state change, or a printer stopped or resumed. It carries
// no cause (causes go to printerd's log only).
type Notice struct {
	Seq     uint64       `json:"seq"` // increases by one per notice, from 1 at start-up
	Time    time.Time    `json:"time"`
	Kind    string       `json:"kind"` // NoticeJob or NoticePrinter
	Job     *Job         `json:"job,omitempty"`
	Printer string       `json:"printer,omitempty"`
	State   PrinterState `json:"state,omitempty"`  // printer notices
	Reason  string       `json:"reason,omitempty"` // printer notices: why it stopped
	// EstimateMS is how long the printer is expected to take with a job
	// that has just become dispatching, in milliseconds from Time: a
	// moving average of its recent prints, seeded from the driver's
	// typical time (printerd.TypicalTimer). 0 when unknown.
	EstimateMS int64 `json:"estimate_ms,omitempty"`
}

// Notice kinds.
const (
	NoticeJob     = "job"
	NoticePrinter = "printer"
)

// Feed fans notices out to subscribers. A subscriber that falls more than
// its buffer behind is dropped (its channel closed) rather than slowing
// the dispatcher; it subscribes again and reads the current state.
type Feed struct {
	now  func() time.Time
	mu   sync.Mutex
	seq  uint64
	subs map[chan Notice]struct{}
	done bool
}

// NewFeed returns an empty feed.
func NewFeed(now func() time.Time) *Feed {
	if now == nil {
		now = time.Now
	}
	return &Feed{now: now, subs: map[chan Notice]struct{}{}}
}

// Subscribe returns a channel of the notices published from now on, and a
// function that ends the subscription (and closes the channel).
func (f *Feed) Subscribe(buffer int) (<-chan Notice, func()) {
	ch := make(chan Notice, max(buffer, 1))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		close(ch)
		return ch, func() {}
	}
	f.subs[ch] = struct{}{}
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[ch]; ok {
			delete(f.subs, ch)
			close(ch)
		}
	}
}

// Publish stamps n and sends it to every subscriber without blocking.
func (f *Feed) Publish(n Notice) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return
	}
	f.seq++
	n.Seq, n.Time = f.seq, f.now().UTC()
	for ch := range f.subs {
		select {
		case ch <- n:
		default:
			delete(f.subs, ch)
			close(ch)
		}
	}
}

// Close ends every subscription; later subscriptions end at once.
func (f *Feed) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = true
	for ch := range f.subs {
		delete(f.subs, ch)
		close(ch)
	}
}
