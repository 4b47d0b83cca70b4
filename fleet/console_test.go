package fleet_test

import (
	"errors"
	"testing"
	"time"

	"github.com/anjungan/anjungan/fleet"
)

func TestParseScope(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"all", "all", true},
		{"province:32", "province:32", true},
		{"regency:3273", "regency:3273", true},
		{"kiosks:bdg-02,bdg-01", "kiosks:bdg-01,bdg-02", true},
		{"", "", false},
		{"All", "", false},
		{"province:3", "", false},
		{"province:327", "", false},
		{"regency:32", "", false},
		{"kiosks:", "", false},
		{"kiosks:Bad_ID", "", false},
		{"city:3273", "", false},
	} {
		s, err := fleet.ParseScope(tc.in)
		if tc.ok != (err == nil) || (err == nil && s.String() != tc.want) {
			t.Errorf("ParseScope(%q) = %v, %v; want %q ok=%v", tc.in, s, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, fleet.ErrScopeInvalid) {
			t.Errorf("ParseScope(%q): %v is not ErrScopeInvalid", tc.in, err)
		}
	}
}

func TestScopeSees(t *testing.T) {
	type k struct{ id, regency, province string }
	bdg, bks, jkt := k{"bdg-01", "3273", "32"}, k{"bks-01", "3275", "32"}, k{"jkt-01", "3171", "31"}
	for _, tc := range []struct {
		scope string
		sees  []k
		not   []k
	}{
		{"all", []k{bdg, bks, jkt}, nil},
		{"province:32", []k{bdg, bks}, []k{jkt}},
		{"regency:3273", []k{bdg}, []k{bks, jkt}},
		{"kiosks:jkt-01,bks-01", []k{bks, jkt}, []k{bdg}},
	} {
		s, err := fleet.ParseScope(tc.scope)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range tc.sees {
			if !s.Sees(x.id, x.regency, x.province) {
				t.Errorf("%s does not see %s", tc.scope, x.id)
			}
		}
		for _, x := range tc.not {
			if s.Sees(x.id, x.regency, x.province) {
				t.Errorf("%s sees %s", tc.scope, x.id)
			}
		}
	}
	if (fleet.Scope{}).Sees("bdg-01", "3273", "32") {
		t.Error("the zero scope sees a kiosk")
	}
}

func TestBuildOverview(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	recent, old := now.Add(-time.Minute), now.Add(-time.Hour)
	snap := fleet.Snapshot{Kiosks: []fleet.KioskStatus{
		{Kiosk: fleet.Kiosk{ID: "bdg-01", Regency: "3273", Province: "32"}, LastSeen: &recent, State: "out_of_service", Unavailable: []string{"ktp-el"},
			Blanks: []fleet.BlankStock{{Printer: "card-1", Balance: 70, Used: 70}},
			Prints: []fleet.DailyPrints{{Day: "2026-12-03", DocumentType: "ktp-el", Outcome: "printed", Count: 4},
				{Day: "2026-12-01", DocumentType: "ktp-el", Outcome: "printed", Count: 2},
				{Day: "2026-12-02", DocumentType: "ktp-el", Outcome: "in_doubt", Count: 1},
				{Day: "2026-11-20", DocumentType: "ktp-el", Outcome: "printed", Count: 9}},
			Waiting: []fleet.WaitingJob{{JobRef: "j1"}}},
		{Kiosk: fleet.Kiosk{ID: "jkt-01", Regency: "3171", Province: "31"}, LastSeen: &old, State: "in_service"},
	}}
	alerts := []fleet.Alert{{ID: 1, Kind: fleet.AlertKioskOffline, Kiosk: "jkt-01", Regency: "3171", Province: "31"},
		{ID: 2, Kind: fleet.AlertPaperLow, Kiosk: "bdg-01", Regency: "3273", Province: "32"}}
	th := fleet.DefaultThresholds
	all := fleet.BuildOverview(snap, alerts, fleet.Scope{Kind: fleet.ScopeAll}, now, th)
	if len(all.Kiosks) != 2 || len(all.Alerts) != 2 || all.Offline != 1 || all.OutOfSvc != 1 || all.Waiting != 1 {
		t.Fatalf("all: %+v", all)
	}
	if all.Days[0] != "2026-11-27" || all.Days[6] != "2026-12-03" {
		t.Errorf("days %v", all.Days)
	}
	b := all.Kiosks[0]
	if b.Status != fleet.StatusOutOfService || all.Kiosks[1].Status != fleet.StatusOffline {
		t.Errorf("statuses %s %s", b.Status, all.Kiosks[1].Status)
	}
	if len(b.Prints) != 1 || b.Prints[0].PerDay[6] != 4 || b.Prints[0].PerDay[4] != 2 || b.Prints[0].Failed != 1 {
		t.Errorf("prints %+v", b.Prints)
	}
	if b.DaysLeft[0] != 7 { // 70 cards, 70 used in the 7-day window: 10 a day
		t.Errorf("days left %v", b.DaysLeft)
	}
	west, _ := fleet.ParseScope("province:32")
	w := fleet.BuildOverview(snap, alerts, west, now, th)
	if len(w.Kiosks) != 1 || w.Kiosks[0].ID != "bdg-01" || len(w.Alerts) != 1 || w.Alerts[0].Kiosk != "bdg-01" || w.Offline != 0 {
		t.Errorf("province:32 sees %+v", w)
	}
}

func TestAlertChanges(t *testing.T) {
	a, b, c := fleet.Alert{ID: 1}, fleet.Alert{ID: 2}, fleet.Alert{ID: 3}
	opened, closed := fleet.AlertChanges([]fleet.Alert{a, b}, []fleet.Alert{b, c})
	if len(opened) != 1 || opened[0].ID != 3 || len(closed) != 1 || closed[0] != 1 {
		t.Errorf("opened %v closed %v", opened, closed)
	}
}
