package station

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station"
)

func TestOpeningHoursFlags(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "station.conf")
	if err := os.WriteFile(conf, []byte("opening-hours = Mon-Fri 07:30-16:00; Sat 08:00-12:00\nclosing-lead = 5m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := NewMain()
	m.Stdout, m.Stderr = io.Discard, io.Discard
	if err := m.ParseFlags([]string{"-config", conf, "-time-zone", "WITA"}); err != nil {
		t.Fatal(err)
	}
	h := m.openingHours()
	if h == nil || h.Schedule.String() != "Mon 07:30-16:00; Tue 07:30-16:00; Wed 07:30-16:00; Thu 07:30-16:00; Fri 07:30-16:00; Sat 08:00-12:00" ||
		h.Lead != 5*time.Minute || h.Zone != station.WITA || m.Hours.Grace != 15*time.Minute {
		t.Errorf("opening hours from the config file: %+v, grace %v", h, m.Hours.Grace)
	}

	m = NewMain()
	m.Stdout, m.Stderr = io.Discard, io.Discard
	err := m.ParseFlags([]string{"-opening-hours", "Mon-Fri 16:00-07:30"})
	if !errors.Is(err, &station.ScheduleError{Code: station.ScheduleEmptyRange}) {
		t.Errorf("a range over midnight: %v, want %s", err, station.ScheduleEmptyRange)
	}

	m = NewMain()
	if err := m.ParseFlags(nil); err != nil || m.openingHours() != nil {
		t.Errorf("no -opening-hours: %v, %+v; want always open", err, m.openingHours())
	}
}
