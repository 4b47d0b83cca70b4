package printerd_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

func TestJobRef(t *testing.T) {
	tests := []struct {
		name string
		id   printerd.JobID
		want string // "" when no reference; "*" when any well-formed one
	}{
		{"empty id", "", ""},
		{"an id", "j-0001", "*"},
		{"another id", "j-0002", "*"},
		{"a long id", printerd.JobID(strings.Repeat("x", 200)), "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := printerd.JobRef(tt.id)
			if tt.want == "" {
				if got != "" {
					t.Fatalf("JobRef(%q) = %q, want none", tt.id, got)
				}
				return
			}
			if len(got) != printerd.RefLen {
				t.Fatalf("JobRef(%q) = %q, want %d symbols", tt.id, got, printerd.RefLen)
			}
			if strings.ContainsAny(got, "01OI") || strings.ToUpper(got) != got {
				t.Fatalf("JobRef(%q) = %q has an ambiguous symbol", tt.id, got)
			}
			if again := printerd.JobRef(tt.id); again != got {
				t.Fatalf("JobRef(%q) = %q then %q: not deterministic", tt.id, got, again)
			}
		})
	}
	// Distinct ids give distinct references (a sample, not a proof).
	seen := map[string]printerd.JobID{}
	for i := range 2000 {
		id := printerd.JobID(fmt.Sprintf("job-%d", i))
		r := printerd.JobRef(id)
		if other, ok := seen[r]; ok {
			t.Fatalf("%s and %s share reference %s", other, id, r)
		}
		seen[r] = id
	}
}
