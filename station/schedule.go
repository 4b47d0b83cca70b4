package station

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Schedule is a station's weekly opening hours, read from the operator's
// -opening-hours, e.g. "Mon-Fri 07:30-16:00; Sat 08:00-12:00". Times are
// the hall's wall clock (Hall.Zone). The zero Schedule is always open.
type Schedule struct {
	spans []span // minutes from Monday 00:00, sorted, disjoint, adjacent ones merged
}

// span is an opening period of the week, [from, to) in minutes after
// Monday 00:00.
type span struct{ from, to int }

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
	// MaxScheduleLen bounds a schedule's text: it is outside data, read
	// before anything else is.
	MaxScheduleLen = 1024
)

// ScheduleCode says why a schedule was refused. Codes are stable: tests,
// fixtures (testdata/schedule/<code>.*.txt) and operators rely on them.
type ScheduleCode string

// The ways a schedule is refused.
const (
	ScheduleTooLong    ScheduleCode = "schedule_too_long"    // more than MaxScheduleLen bytes
	ScheduleSyntax     ScheduleCode = "schedule_syntax"      // a rule is not "DAYS HH:MM-HH:MM[,HH:MM-HH:MM]"
	ScheduleDay        ScheduleCode = "schedule_day"         // an unknown day, or a day range running backwards
	ScheduleTime       ScheduleCode = "schedule_time"        // not a time of day from 00:00 to 24:00
	ScheduleEmptyRange ScheduleCode = "schedule_empty_range" // a range that does not end after it starts
	ScheduleOverlap    ScheduleCode = "schedule_overlap"     // two ranges share some time on one day
)

// ScheduleError is a refused schedule: its stable code, the part of the
// text at fault and what is wrong with it.
type ScheduleError struct {
	Code ScheduleCode
	Part string
	Msg  string
}

func (e *ScheduleError) Error() string {
	return fmt.Sprintf("opening hours: %s: %q: %s", e.Code, e.Part, e.Msg)
}

// Is matches another *ScheduleError by code, so errors.Is works with a
// bare &ScheduleError{Code: ...}.
func (e *ScheduleError) Is(target error) bool {
	t, ok := target.(*ScheduleError)
	return ok && t.Code == e.Code
}

func scheduleErr(code ScheduleCode, part, format string, args ...any) error {
	if len(part) > 64 {
		part = part[:64] + "…"
	}
	return &ScheduleError{Code: code, Part: part, Msg: fmt.Sprintf(format, args...)}
}

var dayNames = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// ParseSchedule reads a weekly schedule: rules separated by ";", each a
// day or day range (Mon … Sun, "Mon-Fri", "Mon,Wed") and one or more time
// ranges separated by ",". A range ends after it starts on the same day
// (24:00 is the end of a day); days not named are closed. An empty text
// is always open.
func ParseSchedule(text string) (Schedule, error) {
	if len(text) > MaxScheduleLen {
		return Schedule{}, scheduleErr(ScheduleTooLong, text, "longer than %d bytes", MaxScheduleLen)
	}
	if strings.TrimSpace(text) == "" {
		return Schedule{}, nil
	}
	var spans []span
	for _, rule := range strings.Split(text, ";") {
		rule = strings.TrimSpace(rule)
		if rule == "" {
			continue // a trailing ";"
		}
		fields := strings.Fields(rule)
		if len(fields) != 2 {
			return Schedule{}, scheduleErr(ScheduleSyntax, rule, `want "DAYS HH:MM-HH:MM", e.g. "Mon-Fri 07:30-16:00"`)
		}
		days, err := parseDays(fields[0])
		if err != nil {
			return Schedule{}, err
		}
		for _, r := range strings.Split(fields[1], ",") {
			from, to, err := parseRange(r)
			if err != nil {
				return Schedule{}, err
			}
			for _, d := range days {
				spans = append(spans, span{d*minutesPerDay + from, d*minutesPerDay + to})
			}
		}
	}
	if len(spans) == 0 {
		return Schedule{}, scheduleErr(ScheduleSyntax, text, "no rule")
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	merged := spans[:1]
	for _, s := range spans[1:] {
		last := &merged[len(merged)-1]
		switch {
		case s.from < last.to:
			return Schedule{}, scheduleErr(ScheduleOverlap, dayTime(s.from),
				"%s-%s overlaps %s-%s", clock(s.from), clock(s.to), clock(last.from), clock(last.to))
		case s.from == last.to:
			last.to = s.to
		default:
			merged = append(merged, s)
		}
	}
	return Schedule{spans: merged}, nil
}

// parseDays reads "Mon", "Mon-Fri" or a comma list of either, as day
// numbers from Monday = 0.
func parseDays(s string) ([]int, error) {
	var days []int
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		from, err := parseDay(a)
		if err != nil {
			return nil, err
		}
		to := from
		if isRange {
			if to, err = parseDay(b); err != nil {
				return nil, err
			}
			if to < from {
				return nil, scheduleErr(ScheduleDay, part, "a day range runs from Monday to Sunday (write Sat-Sun, Mon)")
			}
		}
		for d := from; d <= to; d++ {
			days = append(days, d)
		}
	}
	return days, nil
}

func parseDay(s string) (int, error) {
	for i, n := range dayNames {
		if strings.EqualFold(s, n) {
			return i, nil
		}
	}
	return 0, scheduleErr(ScheduleDay, s, "want Mon, Tue, Wed, Thu, Fri, Sat or Sun")
}

// parseRange reads "HH:MM-HH:MM" as minutes of the day.
func parseRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, scheduleErr(ScheduleSyntax, s, "want a time range HH:MM-HH:MM")
	}
	from, err := parseClock(a)
	if err != nil {
		return 0, 0, err
	}
	to, err := parseClock(b)
	if err != nil {
		return 0, 0, err
	}
	if to <= from {
		return 0, 0, scheduleErr(ScheduleEmptyRange, s, "a range ends after it starts, on the same day (24:00 ends a day)")
	}
	return from, to, nil
}

// parseClock reads HH:MM, 00:00 to 24:00, as minutes of the day.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, scheduleErr(ScheduleTime, s, "want HH:MM, e.g. 07:30")
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, scheduleErr(ScheduleTime, s, "not a time of day (00:00 to 24:00)")
	}
	return h*60 + m, nil
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m%minutesPerDay/60, m%60) }

func dayTime(m int) string {
	return dayNames[m/minutesPerDay%7] + " " + clock(m)
}

// String writes the schedule back in the form ParseSchedule reads, one
// rule a day ("" when always open).
func (s Schedule) String() string {
	var rules []string
	for _, sp := range s.spans {
		for from := sp.from; from < sp.to; {
			day := from / minutesPerDay
			to := min(sp.to, (day+1)*minutesPerDay)
			end := clock(to)
			if to%minutesPerDay == 0 {
				end = "24:00"
			}
			rules = append(rules, strings.ToUpper(dayNames[day][:1])+dayNames[day][1:]+" "+clock(from)+"-"+end)
			from = to
		}
	}
	return strings.Join(rules, "; ")
}

// Always reports whether the schedule never closes.
func (s Schedule) Always() bool {
	return len(s.spans) == 0 || (len(s.spans) == 1 && s.spans[0] == span{0, minutesPerWeek})
}

// weekStart is Monday 00:00 of t's week in loc.
func weekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	back := (int(t.Weekday()) + 6) % 7
	return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
}

// periods calls f with each opening period of the weeks around t, in
// order, until f returns false.
func (s Schedule) periods(t time.Time, loc *time.Location, f func(from, to time.Time) bool) {
	ws := weekStart(t, loc)
	for w := -1; w <= 1; w++ {
		base := ws.AddDate(0, 0, 7*w)
		for _, sp := range s.spans {
			if !f(base.Add(time.Duration(sp.from)*time.Minute), base.Add(time.Duration(sp.to)*time.Minute)) {
				return
			}
		}
	}
}

// Open reports whether the schedule is open at t.
func (s Schedule) Open(t time.Time, loc *time.Location) bool {
	if s.Always() {
		return true
	}
	open := false
	s.periods(t, loc, func(from, to time.Time) bool {
		if !t.Before(from) && t.Before(to) {
			open = true
		}
		return !open && !from.After(t)
	})
	return open
}

// NextOpen is t when the schedule is open at t, else when it opens next.
func (s Schedule) NextOpen(t time.Time, loc *time.Location) time.Time {
	if s.Open(t, loc) {
		return t
	}
	var next time.Time
	s.periods(t, loc, func(from, _ time.Time) bool {
		if from.After(t) {
			next = from
			return false
		}
		return true
	})
	return next
}

// ClosesAt is when the opening period holding t ends, following periods
// that meet across midnight; zero when the schedule is closed at t or
// never closes.
func (s Schedule) ClosesAt(t time.Time, loc *time.Location) time.Time {
	if s.Always() || !s.Open(t, loc) {
		return time.Time{}
	}
	end := t
	for i := 0; i <= len(s.spans); i++ {
		var next time.Time
		s.periods(end, loc, func(from, to time.Time) bool {
			if !end.Before(from) && end.Before(to) {
				next = to
				return false
			}
			return !from.After(end)
		})
		if next.IsZero() {
			return end
		}
		end = next
	}
	return end
}
