package fleet_test

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/anjungan/anjungan/fleet"
)

func TestAlerts(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	th := fleet.DefaultThresholds
	recent := now.Add(-time.Minute)
	old := now.Add(-th.Offline - time.Minute)
	revoked := now
	base := func(id string, seen *time.Time) fleet.KioskStatus {
		return fleet.KioskStatus{Kiosk: fleet.Kiosk{ID: id, Regency: "3273", Province: "32", EnrolledAt: now.Add(-24 * time.Hour)}, LastSeen: seen}
	}
	for _, c := range []struct {
		name string
		k    fleet.KioskStatus
		want []string
	}{
		{"healthy", base("k", &recent), nil},
		{"offline", base("k", &old), []string{"kiosk_offline/k"}},
		{"never seen, enrolled long ago", base("k", nil), []string{"kiosk_offline/k"}},
		{"revoked kiosks raise nothing", func() fleet.KioskStatus { k := base("k", &old); k.RevokedAt = &revoked; return k }(), nil},
		{"printer stopped and paper low", func() fleet.KioskStatus {
			k := base("k", &recent)
			k.Printers = []fleet.PrinterStatus{{Printer: "a4-1", Media: "a4", State: "stopped", Supplies: map[string]int{"paper": 5, "toner": 1}},
				{Printer: "a4-2", State: "idle", Supplies: map[string]int{"paper": -1}}}
			return k
		}(), []string{"paper_low/k/a4-1", "printer_stopped/k/a4-1"}},
		{"blank cards: 2 days left at 70 a week", func() fleet.KioskStatus {
			k := base("k", &recent)
			k.Blanks = []fleet.BlankStock{{Printer: "card-1", Balance: 20, Used: 70}, {Printer: "card-2", Balance: 500, Used: 70}}
			return k
		}(), []string{"blank_cards_low/k/card-1"}},
		{"backlog grows above the threshold", func() fleet.KioskStatus {
			k := base("k", &recent)
			k.Backlog, k.BacklogPrev = th.Backlog+1, th.Backlog
			return k
		}(), []string{"backlog_growing/k"}},
		{"backlog large but shrinking", func() fleet.KioskStatus {
			k := base("k", &recent)
			k.Backlog, k.BacklogPrev = th.Backlog+10, th.Backlog+20
			return k
		}(), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, a := range fleet.Alerts(fleet.Snapshot{Kiosks: []fleet.KioskStatus{c.k}}, now, th) {
				got = append(got, a.Key)
				if a.Regency != "3273" || a.Province != "32" || a.Kiosk != "k" {
					t.Errorf("alert %+v", a)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestDaysLeft(t *testing.T) {
	w := 7 * 24 * time.Hour
	for _, c := range []struct {
		b    fleet.BlankStock
		want float64
	}{
		{fleet.BlankStock{Balance: 70, Used: 70}, 7},
		{fleet.BlankStock{Balance: 10, Used: 0}, math.Inf(1)},
		{fleet.BlankStock{Balance: 0, Used: 5}, 0},
		{fleet.BlankStock{Balance: -3, Used: 5}, 0},
	} {
		if got := fleet.DaysLeft(c.b, w); got != c.want {
			t.Errorf("%+v: %v, want %v", c.b, got, c.want)
		}
	}
}
