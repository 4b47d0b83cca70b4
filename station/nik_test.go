package station_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station"
)

func TestParseNIK(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
		female   bool
	}{
		{"man in Jakarta Selatan", "3174011201850001", true, false},
		{"woman (day + 40)", "3273055203900002", true, true},
		{"woman born on the 31st", "3578017101990003", true, true},
		{"29 February in a leap year", "3171012902000004", true, false},
		{"29 February in a common year", "3171012902010004", false, false},
		{"too short", "317101120185000", false, false},
		{"too long", "31710112018500011", false, false},
		{"letters", "31710112018500AB", false, false},
		{"unknown province", "9971011201850001", false, false},
		{"zero regency", "3100011201850001", false, false},
		{"zero district", "3171001201850001", false, false},
		{"day 32", "3171013201850001", false, false},
		{"day 72 (woman, 32)", "3171017201850001", false, false},
		{"month 13", "3171011213850001", false, false},
		{"zero serial", "3171011201850000", false, false},
		{"empty", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := station.ParseNIK(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("ParseNIK(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, station.ErrNIKInvalid) {
					t.Fatalf("error %v is not ErrNIKInvalid", err)
				}
				return
			}
			if n.Reveal() != tt.in || n.Female() != tt.female {
				t.Fatalf("got %s female=%v", n.Masked(), n.Female())
			}
		})
	}
}

func TestNIKBirthDate(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"3174011201850001": "1985-01-12",
		"3273055203200002": "2020-03-12",
		"3273055203300002": "1930-03-12",
	} {
		got := station.MustParseNIK(in).BirthDate(now).Format(time.DateOnly)
		if got != want {
			t.Errorf("BirthDate(%s) = %s, want %s", in[:4], got, want)
		}
	}
}

// TestNIKNeverPrintedInFull checks every way a NIK can reach a log line.
func TestNIKNeverPrintedInFull(t *testing.T) {
	n := station.MustParseNIK("3174011201850001")
	const raw = "3174011201850001"
	const masked = "3174********0001"
	type wrapper struct {
		Subject station.NIK
		Ptr     *station.NIK
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("login", "subject", n)
	js, _ := json.Marshal(wrapper{n, &n})
	txt, _ := n.MarshalText()
	outputs := map[string]string{
		"String":   n.String(),
		"%v":       fmt.Sprintf("%v", n),
		"%+v":      fmt.Sprintf("%+v", wrapper{n, &n}),
		"%#v":      fmt.Sprintf("%#v", n),
		"%s":       fmt.Sprintf("%s", n),
		"%d":       fmt.Sprintf("%d", n),
		"%x":       fmt.Sprintf("%x", n),
		"%q":       fmt.Sprintf("%q", n),
		"json":     string(js),
		"text":     string(txt),
		"slog":     buf.String(),
		"error":    station.ErrNIKInvalid.Withf("subject %v", n).Error(),
		"Sprint":   fmt.Sprint(n, &n),
		"Sprintln": fmt.Sprintln(n),
	}
	for name, out := range outputs {
		if strings.Contains(out, raw) {
			t.Errorf("%s reveals the NIK: %s", name, out)
		}
		if !strings.Contains(out, masked) {
			t.Errorf("%s = %q, want the masked form %s", name, out, masked)
		}
	}
}

func FuzzParseNIK(f *testing.F) {
	for _, s := range []string{"3174011201850001", "3273055203900002", "", "0000000000000000", "31740112018500019"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := station.ParseNIK(s)
		if err != nil {
			var e *station.Error
			if !errors.As(err, &e) || e.Code != station.ErrNIKInvalid.Code {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if n.Reveal() != s || strings.Contains(n.String(), s) {
			t.Fatalf("round trip or masking broken for %q", s)
		}
		if _, err := station.ParseNIK(n.Reveal()); err != nil {
			t.Fatalf("revealed NIK does not parse again: %v", err)
		}
	})
}
