package station

import (
	"testing"
	"time"
)

func TestHallTimes(t *testing.T) {
	at := time.Date(2026, 12, 31, 17, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		zone       string
		date, time string
	}{
		{"WIB", "01-01-2027", "01-01-2027 00:30 WIB"},
		{"wita", "01-01-2027", "01-01-2027 01:30 WITA"},
		{"WIT", "01-01-2027", "01-01-2027 02:30 WIT"},
	} {
		z, err := ParseZone(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		h := Hall{Zone: z}
		if got := h.Date(at); got != tc.date {
			t.Errorf("%s: Date = %q, want %q", tc.zone, got, tc.date)
		}
		if got := h.Time(at); got != tc.time {
			t.Errorf("%s: Time = %q, want %q", tc.zone, got, tc.time)
		}
	}
	for _, bad := range []string{"", "UTC", "Asia/Jakarta", "WIBB"} {
		if _, err := ParseZone(bad); err == nil {
			t.Errorf("ParseZone(%q) accepted", bad)
		}
	}
	if got := (Hall{}).Time(at); got != "01-01-2027 00:30 WIB" {
		t.Errorf("unset zone: %q, want WIB", got)
	}
}
