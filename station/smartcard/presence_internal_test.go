package smartcard

import (
	"errors"
	"testing"

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
