package station

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", ""},
		{"  ", ""},
		{"Mon 07:30-16:00", "Mon 07:30-16:00"},
		{"Mon-Wed 07:30-16:00; Sat 08:00-12:00;", "Mon 07:30-16:00; Tue 07:30-16:00; Wed 07:30-16:00; Sat 08:00-12:00"},
		{"mon,WED 08:00-12:00,13:00-15:00", "Mon 08:00-12:00; Mon 13:00-15:00; Wed 08:00-12:00; Wed 13:00-15:00"},
		{"Tue 12:00-16:00; Tue 08:00-12:00", "Tue 08:00-16:00"}, // adjacent ranges merge
		{"Sun 22:00-24:00; Mon 00:00-06:00", "Mon 00:00-06:00; Sun 22:00-24:00"},
		{"Mon-Sun 00:00-24:00", "Mon 00:00-24:00; Tue 00:00-24:00; Wed 00:00-24:00; Thu 00:00-24:00; Fri 00:00-24:00; Sat 00:00-24:00; Sun 00:00-24:00"},
	} {
		s, err := ParseSchedule(tc.in)
		if err != nil {
			t.Errorf("ParseSchedule(%q): %v", tc.in, err)
			continue
		}
		if got := s.String(); got != tc.want {
			t.Errorf("ParseSchedule(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestParseScheduleCorrupt reads one fixture per failure mode: the file
// name's first part is the code it must be refused with.
func TestParseScheduleCorrupt(t *testing.T) {
	files, err := filepath.Glob("testdata/schedule/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatal("no fixtures", err)
	}
	codes := map[ScheduleCode]bool{}
	for _, f := range files {
		code := ScheduleCode(strings.SplitN(filepath.Base(f), ".", 2)[0])
		codes[code] = true
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseSchedule(string(text))
		var se *ScheduleError
		if !errors.As(err, &se) || se.Code != code {
			t.Errorf("%s: got %v, want code %s", f, err, code)
		}
		if !errors.Is(err, &ScheduleError{Code: code}) {
			t.Errorf("%s: errors.Is by code fails", f)
		}
	}
	for _, c := range []ScheduleCode{ScheduleTooLong, ScheduleSyntax, ScheduleDay, ScheduleTime, ScheduleEmptyRange, ScheduleOverlap} {
		if !codes[c] {
			t.Errorf("no fixture for %s", c)
		}
	}
}

// at is a time in WIB: 2026-11-30 is a Monday.
func at(day int, hhmm string) time.Time {
	tm, err := time.ParseInLocation("2006-01-02 15:04", "2026-11-30 "+hhmm, WIB.Location())
	if err != nil {
		panic(err)
	}
	return tm.AddDate(0, 0, day)
}

func TestScheduleOpenNextClose(t *testing.T) {
	s, err := ParseSchedule("Mon-Fri 07:30-16:00; Sat 08:00-12:00; Sun 22:00-24:00; Mon 00:00-01:00")
	if err != nil {
		t.Fatal(err)
	}
	loc := WIB.Location()
	for _, tc := range []struct {
		t          time.Time
		open       bool
		next, shut time.Time
	}{
		{at(0, "07:29"), false, at(0, "07:30"), time.Time{}},
		{at(0, "07:30"), true, at(0, "07:30"), at(0, "16:00")},
		{at(0, "15:59"), true, at(0, "15:59"), at(0, "16:00")},
		{at(0, "16:00"), false, at(1, "07:30"), time.Time{}},
		{at(4, "17:00"), false, at(5, "08:00"), time.Time{}},
		{at(5, "12:00"), false, at(6, "22:00"), time.Time{}},
		{at(6, "23:00"), true, at(6, "23:00"), at(7, "01:00")}, // across midnight into the next week
		{at(0, "00:30"), true, at(0, "00:30"), at(0, "01:00")},
		{at(-1, "21:00").UTC(), false, at(-1, "22:00"), time.Time{}}, // any zone in, the hall's zone read
	} {
		if got := s.Open(tc.t, loc); got != tc.open {
			t.Errorf("Open(%v) = %v", tc.t, got)
		}
		if got := s.NextOpen(tc.t, loc); !got.Equal(tc.next) {
			t.Errorf("NextOpen(%v) = %v, want %v", tc.t, got, tc.next)
		}
		if got := s.ClosesAt(tc.t, loc); !got.Equal(tc.shut) {
			t.Errorf("ClosesAt(%v) = %v, want %v", tc.t, got, tc.shut)
		}
	}
	always, _ := ParseSchedule("Mon-Sun 00:00-24:00")
	if !always.Always() || !always.ClosesAt(at(2, "03:00"), loc).IsZero() {
		t.Error("a schedule open all week never closes")
	}
}

func TestOpeningHoursAdmit(t *testing.T) {
	s, _ := ParseSchedule("Mon-Fri 07:30-16:00; Sat 08:00-12:00")
	h := OpeningHours{Schedule: s, Zone: WIB, Lead: 10 * time.Minute}
	for _, tc := range []struct {
		now    time.Time
		id, en string // "" when admitted
	}{
		{at(0, "08:00"), "", ""},
		{at(0, "15:49"), "", ""},
		{at(0, "15:50"), "Anjungan tutup. Buka kembali Selasa 07:30 WIB.", "The kiosk is closed. It opens again Tuesday 07:30 WIB."},
		{at(0, "06:00"), "Anjungan tutup. Buka kembali Senin 07:30 WIB.", "The kiosk is closed. It opens again Monday 07:30 WIB."},
		{at(5, "13:00"), "Anjungan tutup. Buka kembali Senin 07:30 WIB.", "The kiosk is closed. It opens again Monday 07:30 WIB."},
		{at(4, "23:59").UTC(), "Anjungan tutup. Buka kembali Sabtu 08:00 WIB.", "The kiosk is closed. It opens again Saturday 08:00 WIB."},
	} {
		err := h.Admit(tc.now)
		if tc.id == "" {
			if err != nil {
				t.Errorf("Admit(%v): %v", tc.now, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrKioskClosed) || e.ID != tc.id || e.EN != tc.en {
			t.Errorf("Admit(%v) = %#v, want %q / %q", tc.now, err, tc.id, tc.en)
		}
	}
	if got := h.Closing(at(0, "06:00")); !got.Equal(at(0, "16:00")) {
		t.Errorf("Closing before opening = %v, want the coming closing", got)
	}
	if got := h.Closing(at(0, "16:00")); !got.Equal(at(1, "16:00")) {
		t.Errorf("Closing after closing = %v, want the next day's", got)
	}
	if (OpeningHours{}).Admit(at(0, "03:00")) != nil || !(OpeningHours{}).Closing(at(0, "03:00")).IsZero() {
		t.Error("no schedule is always open")
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"", "Mon-Fri 07:30-16:00; Sat 08:00-12:00", "Sun 22:00-24:00; Mon 00:00-01:00", "mon,wed 08:00-12:00,13:00-15:00"} {
		f.Add(s)
	}
	loc := WIB.Location()
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseSchedule(text)
		if err != nil {
			var se *ScheduleError
			if !errors.As(err, &se) || se.Code == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// What it writes back reads the same.
		again, err := ParseSchedule(s.String())
		if err != nil || again.String() != s.String() {
			t.Fatalf("round trip of %q: %q, %v", s.String(), again.String(), err)
		}
		now := at(2, "10:17")
		next := s.NextOpen(now, loc)
		if next.Before(now) || !s.Open(next, loc) {
			t.Fatalf("NextOpen(%v) = %v", now, next)
		}
		if c := s.ClosesAt(next, loc); !s.Always() && (!c.After(next) || s.Open(c, loc)) {
			t.Fatalf("ClosesAt(%v) = %v", next, c)
		}
	})
}
