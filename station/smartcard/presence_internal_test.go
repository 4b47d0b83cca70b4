package smartcard

import (
	"errors"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station"
)

func TestNextCardState(t *testing.T) {
	st := func(s station.CardStatus) station.CardState { return station.CardState{Status: s} }
	tests := []struct {
		name      string
		cur       station.CardState
		event     Event
		want      station.CardStatus
		wantCode  string // of the state's error, when it has one
		wantKnown bool
	}{
		{"ready", st(station.CardReaderMissing), Event{Kind: EventReady}, station.CardWaiting, "", true},
		{"present", st(station.CardWaiting), Event{Kind: EventPresent}, station.CardPresent, "", true},
		{"reading", st(station.CardPresent), Event{Kind: EventReading}, station.CardPresent, "", true},
		{"read", st(station.CardPresent), Event{Kind: EventRead}, station.CardRead, "", true},
		{"removed early", st(station.CardPresent), Event{Kind: EventRemovedEarly}, station.CardRemovedEarly, "card_unreadable", true},
		{"not an e-KTP", st(station.CardPresent), Event{Kind: EventNotEKTP}, station.CardNotEKTP, "", true},
		{"error without a cause", st(station.CardPresent), Event{Kind: EventError}, station.CardRemovedEarly, "card_unreadable", true},
		{"error with a cause", st(station.CardPresent), Event{Kind: EventError, Err: errors.New("sam refused")}, station.CardFailed, "", true},
		{"removed while present", st(station.CardPresent), Event{Kind: EventRemoved}, station.CardRemovedEarly, "card_unreadable", true},
		{"removed after a read", st(station.CardRead), Event{Kind: EventRemoved}, station.CardWaiting, "", true},
		{"removed keeps a failure on screen", st(station.CardNotEKTP), Event{Kind: EventRemoved}, station.CardNotEKTP, "", true},
		{"reader missing", st(station.CardWaiting), Event{Kind: EventReaderMissing}, station.CardReaderMissing, "", true},
		{"service down", st(station.CardWaiting), Event{Kind: EventServiceDown}, station.CardServiceDown, "", true},
		{"set aside", st(station.CardRead), Event{Kind: EventSetAside}, station.CardSetAside, "", true},
		{"removed after set aside", st(station.CardSetAside), Event{Kind: EventRemoved}, station.CardWaiting, "", true},
		{"unknown kind", st(station.CardPresent), Event{Kind: "firmware_update"}, station.CardPresent, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := nextCardState(tt.cur, tt.event)
			if got.Status != tt.want || known != tt.wantKnown {
				t.Errorf("nextCardState = %s, %v; want %s, %v", got.Status, known, tt.want, tt.wantKnown)
			}
			if tt.wantCode != "" && (got.Err == nil || string(got.Err.Code) != tt.wantCode) {
				t.Errorf("error = %v, want code %s", got.Err, tt.wantCode)
			}
		})
	}
}

// TestPresenceSubscriberBehindGetsTheNewest: a page that reads nothing
// while the reader changes more often than its queue holds still reads
// the newest state last.
func TestPresenceSubscriberBehindGetsTheNewest(t *testing.T) {
	events := make(chan Event)
	p := &Presence{stop: func() {}, done: make(chan struct{}), subs: map[chan station.CardState]struct{}{},
		current: station.CardState{Status: station.CardWaiting}}
	go p.run(events)
	defer p.Close()
	states, stop := p.Subscribe()
	defer stop()
	for range 2 * cap(states) {
		events <- Event{Kind: EventPresent}
		events <- Event{Kind: EventReady}
	}
	events <- Event{Kind: EventNotEKTP}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) { // stops a hung test only
		p.mu.Lock()
		cur := p.current.Status
		p.mu.Unlock()
		if cur == station.CardNotEKTP {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the last event was never handled; current %s", cur)
		}
	}
	var last station.CardState
	for len(states) > 0 {
		last = <-states
	}
	if last.Status != station.CardNotEKTP {
		t.Fatalf("the newest state read is %s, want %s", last.Status, station.CardNotEKTP)
	}
}
