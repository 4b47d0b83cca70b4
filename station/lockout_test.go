package station

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

func TestHallLocked(t *testing.T) {
	until := time.Date(2026, 3, 2, 3, 5, 0, 0, time.UTC)
	locked := ErrTooManyAttempts.With(Lockout{Until: until, Why: "NIK: 5 wrong PINs"})
	for _, tc := range []struct {
		name   string
		zone   Zone
		err    error
		id, en string // in the messages; "" when the error must come back as it was
	}{
		{"WIB", WIB, locked, "terkunci sampai 02-03-2026 10:05 WIB", "locked until 02-03-2026 10:05 WIB"},
		{"WIT", WIT, locked, "sampai 02-03-2026 12:05 WIT", "until 02-03-2026 12:05 WIT"},
		{"an upstream limit without an end", WIB, ErrTooManyAttempts.Withf("upstream"), "", ""},
		{"another refusal", WIB, ErrCredentialsRejected.With(Lockout{Until: until}), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Hall{Zone: tc.zone}.Locked(tc.err)
			if tc.id == "" {
				if got != tc.err {
					t.Fatalf("changed %v into %v", tc.err, got)
				}
				return
			}
			e := fault.As(got)
			if !errors.Is(got, ErrTooManyAttempts) || !strings.Contains(e.ID, tc.id) || !strings.Contains(e.EN, tc.en) {
				t.Fatalf("got %q / %q, want %q / %q", e.ID, e.EN, tc.id, tc.en)
			}
			if !strings.Contains(e.ID, "petugas") || !strings.Contains(e.EN, "officer") {
				t.Fatalf("no next step: %q / %q", e.ID, e.EN)
			}
			var l Lockout
			if !errors.As(got, &l) || !l.Until.Equal(until) {
				t.Fatalf("the cause is lost: %v", e.Cause)
			}
		})
	}
}
