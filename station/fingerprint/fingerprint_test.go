package fingerprint_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/fingerprint"
)

var (
	nikA = station.MustParseNIK("3171012503900001")
	nikB = station.MustParseNIK("3171016505900002")
	t0   = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
)

// clock is the injected time; tests move it with advance.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func mustSimulated(tb testing.TB, c *clock, attempts int) *fingerprint.Simulated {
	tb.Helper()
	s, err := fingerprint.NewSimulated(fingerprint.SimulatedConfig{
		Now: c.Now, Rand: bytes.NewReader(make([]byte, 32)), Attempts: attempts,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// step is one touch of the sensor, after moving the clock by advance.
type step struct {
	advance time.Duration
	nik     station.NIK
	good    bool   // the sample is the enrolment template
	want    string // "match", or the error's code
	left    int    // Remaining of a no-match
	msg     string // in the Bahasa message
}

func match(nik station.NIK) step { return step{nik: nik, good: true, want: "match"} }
func miss(nik station.NIK, left int) step {
	return step{nik: nik, want: "fingerprint_no_match", left: left, msg: "Sisa " + string(rune('0'+left)) + " kali"}
}
func lockedFor(nik station.NIK, good bool, minutes string) step {
	return step{nik: nik, good: good, want: "fingerprint_locked", msg: "dalam " + minutes + " menit"}
}
func after(d time.Duration, s step) step { s.advance = d; return s }

func TestSimulated(t *testing.T) {
	for _, tt := range []struct {
		name     string
		attempts int
		steps    []step
		tracked  int // NIKs remembered at the end
	}{
		{"match at once", 0, []step{match(nikA)}, 0},
		{"a match resets the count", 0, []step{miss(nikA, 3), miss(nikA, 2), miss(nikA, 1), match(nikA), miss(nikA, 3)}, 1},
		{"the fourth miss locks, even a good sample, until the lockout ends", 0, []step{
			miss(nikA, 3), miss(nikA, 2), miss(nikA, 1), lockedFor(nikA, false, "15"),
			lockedFor(nikA, true, "15"),
			after(14*time.Minute+59*time.Second, lockedFor(nikA, true, "1")),
			after(time.Second, match(nikA)),
		}, 0},
		{"attempts while locked do not extend the lockout", 0, []step{
			miss(nikA, 3), miss(nikA, 2), miss(nikA, 1), lockedFor(nikA, false, "15"),
			after(10*time.Minute, lockedFor(nikA, false, "5")),
			after(5*time.Minute, miss(nikA, 3)),
		}, 1},
		{"the lockout is per NIK", 0, []step{
			miss(nikA, 3), miss(nikA, 2), miss(nikA, 1), lockedFor(nikA, false, "15"),
			match(nikB), miss(nikB, 3), lockedFor(nikA, true, "15"),
		}, 2},
		{"misses are forgotten after a lockout period", 0, []step{
			miss(nikA, 3), miss(nikA, 2), after(15*time.Minute, miss(nikA, 3)),
		}, 1},
		{"forgetting frees the memory", 0, []step{
			miss(nikA, 3), miss(nikB, 3), after(15*time.Minute, match(nikA)),
		}, 0},
		{"fewer attempts configured", 2, []step{miss(nikA, 1), lockedFor(nikA, false, "15")}, 1},
		{"more than four attempts are not allowed", 9, []step{
			miss(nikA, 3), miss(nikA, 2), miss(nikA, 1), lockedFor(nikA, false, "15"),
		}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{now: t0}
			s := mustSimulated(t, c, tt.attempts)
			for i, st := range tt.steps {
				c.now = c.now.Add(st.advance)
				sample := []byte("not this finger")
				if st.good {
					sample = fingerprint.Template(st.nik)
				}
				ok, err := s.Match(context.Background(), st.nik, sample)
				if st.want == "match" {
					if !ok || err != nil {
						t.Fatalf("step %d: Match = %v, %v; want a match", i, ok, err)
					}
					continue
				}
				if ok || string(fault.CodeOf(err)) != st.want {
					t.Fatalf("step %d: Match = %v, %v; want %s", i, ok, err, st.want)
				}
				f := fault.As(err)
				if !strings.Contains(f.ID, st.msg) {
					t.Errorf("step %d: message %q lacks %q", i, f.ID, st.msg)
				}
				var left fingerprint.Remaining
				if st.want == "fingerprint_no_match" && (!errors.As(err, &left) || int(left) != st.left) {
					t.Errorf("step %d: Remaining = %d, want %d", i, left, st.left)
				}
				var until fingerprint.LockedUntil
				if st.want == "fingerprint_locked" && !errors.As(err, &until) {
					t.Errorf("step %d: no LockedUntil in %v", i, err)
				}
			}
			if n := s.Tracked(); n != tt.tracked {
				t.Errorf("remembers %d NIKs, want %d", n, tt.tracked)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	c := &clock{now: t0}
	s := mustSimulated(t, c, 0)
	var msgs []string
	for range 4 {
		_, err := s.Match(context.Background(), nikA, nil)
		msgs = append(msgs, fault.As(err).EN)
	}
	c.now = c.now.Add(14*time.Minute + 30*time.Second)
	_, err := s.Match(context.Background(), nikA, nil)
	msgs = append(msgs, fault.As(err).EN)
	want := []string{
		"The fingerprint does not match. 3 attempts left.",
		"The fingerprint does not match. 2 attempts left.",
		"The fingerprint does not match. 1 attempt left.",
		"Too many fingerprint attempts. Please try again in 15 minutes, use your PIN, or ask an officer.",
		"Too many fingerprint attempts. Please try again in 1 minute, use your PIN, or ask an officer.",
	}
	for i := range want {
		if msgs[i] != want[i] {
			t.Errorf("message %d = %q, want %q", i, msgs[i], want[i])
		}
	}
}

// TestTemplate pins the template to the shell recipe in its doc comment:
// printf 'anjungan simulated fingerprint v1\n%s' 3171012503900001 | sha256sum
func TestTemplate(t *testing.T) {
	const want = "4f7aa4961e7b19eb9bfe585683508387179ab4988a56cd5b87ce0439131dcb0d"
	if got := hex.EncodeToString(fingerprint.Template(nikA)); got != want {
		t.Errorf("Template = %s, want %s", got, want)
	}
	if bytes.Equal(fingerprint.Template(nikA), fingerprint.Template(nikB)) {
		t.Error("two NIKs share a template")
	}
}

func TestMatchRefuses(t *testing.T) {
	s := mustSimulated(t, &clock{now: t0}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		name string
		ctx  context.Context
		nik  station.NIK
		want *fault.Error
	}{
		{"no NIK", context.Background(), station.NIK{}, station.ErrNIKInvalid},
		{"canceled", ctx, nikA, fault.Internal},
	} {
		if ok, err := s.Match(tt.ctx, tt.nik, fingerprint.Template(nikA)); ok || !errors.Is(err, tt.want) {
			t.Errorf("%s: Match = %v, %v; want %s", tt.name, ok, err, tt.want.Code)
		}
	}
	if n := s.Tracked(); n != 0 {
		t.Errorf("refused calls left %d NIKs remembered", n)
	}
}
