package printerd_test

import (
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

func TestCanMove(t *testing.T) {
	states := []printerd.JobState{"", printerd.JobQueued, printerd.JobDispatching, printerd.JobPrinted,
		printerd.JobHeld, printerd.JobFailed, printerd.JobCanceled, printerd.JobInDoubt}
	// allowed is the whole table: every pair not listed is refused.
	allowed := map[[2]printerd.JobState]bool{
		{"", printerd.JobQueued}:                        true,
		{printerd.JobQueued, printerd.JobDispatching}:   true,
		{printerd.JobQueued, printerd.JobCanceled}:      true,
		{printerd.JobQueued, printerd.JobHeld}:          true, // no blank card left
		{printerd.JobDispatching, printerd.JobPrinted}:  true,
		{printerd.JobDispatching, printerd.JobFailed}:   true,
		{printerd.JobDispatching, printerd.JobHeld}:     true,
		{printerd.JobDispatching, printerd.JobCanceled}: true,
		{printerd.JobDispatching, printerd.JobInDoubt}:  true,
		{printerd.JobDispatching, printerd.JobQueued}:   true,
		{printerd.JobHeld, printerd.JobQueued}:          true,
		{printerd.JobHeld, printerd.JobCanceled}:        true,
		{printerd.JobInDoubt, printerd.JobPrinted}:      true,
		{printerd.JobInDoubt, printerd.JobFailed}:       true,
	}
	for _, from := range states {
		for _, to := range states {
			if got, want := printerd.CanMove(from, to), allowed[[2]printerd.JobState{from, to}]; got != want {
				t.Errorf("CanMove(%q, %q) = %v, want %v", from, to, got, want)
			}
		}
	}
	// in_doubt never goes back to the queue: only a new job reprints.
	if printerd.CanMove(printerd.JobInDoubt, printerd.JobQueued) || printerd.CanMove(printerd.JobInDoubt, printerd.JobDispatching) {
		t.Error("an in_doubt job may be printed again automatically")
	}
}

func TestReprintKey(t *testing.T) {
	long := string(make([]byte, printerd.MaxIdempotencyKey))
	tests := []struct {
		name, key string
		n         int
		want      string
	}{
		{"short key", "req-1", 2, "req-1~2"},
		{"third print", "req-1", 3, "req-1~3"},
		{"key too long for the suffix", long, 2, ""}, // its SHA-256, checked below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := printerd.ReprintKey(tt.key, tt.n)
			if tt.name == "key too long for the suffix" {
				if len(got) > printerd.MaxIdempotencyKey || len(got) != 64+2 {
					t.Errorf("ReprintKey = %q (%d bytes)", got, len(got))
				}
				return
			}
			if got != tt.want {
				t.Errorf("ReprintKey = %q, want %q", got, tt.want)
			}
		})
	}
}
