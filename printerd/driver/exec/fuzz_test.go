package exec

import (
	"strings"
	"testing"
)

// FuzzReportLine feeds the parser of a vendor program's stderr: it must
// never panic, keep supplies within bounds and keep reasons bare.
func FuzzReportLine(f *testing.F) {
	f.Add("STATE: +media-jam-error")
	f.Fuzz(func(t *testing.T, line string) {
		var r Report
		for _, l := range strings.Split(line, "\n") {
			r.Line(l)
		}
		for _, s := range r.Supplies {
			if s.Level > s.Max {
				t.Errorf("supply %+v above its max", s)
			}
		}
		for _, rs := range r.Reasons {
			if rs.Keyword == "" {
				t.Errorf("empty reason in %+v", r.Reasons)
			}
		}
	})
}
