package auditrec_test

import (
	"errors"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/auditrec"
)

// TestEveryEventKindIsMapped: each kind the kiosk emits has its own entry
// kind, none is logged as kiosk.unknown, and no two share one.
func TestEveryEventKindIsMapped(t *testing.T) {
	l, _, _ := MustLog(t)
	seen := map[string]station.EventKind{}
	for _, k := range station.EventKinds {
		e := auditrec.Entry(l, station.Event{Kind: k})
		if e.Kind == auditrec.UnknownKind {
			t.Errorf("event %s has no audit mapping: it is logged as %s", k, e.Kind)
		}
		if other, dup := seen[e.Kind]; dup {
			t.Errorf("events %s and %s both log as %s", other, k, e.Kind)
		}
		seen[e.Kind] = k
	}
}

// TestKioskEntriesDocumented holds docs/audit.md's table of kiosk
// entries to auditrec: the same events in the same order, and for each
// the entry kind, the outcome and exactly the fields listed (plus
// outcome, and error when the event failed), from an event that has
// every field set.
func TestKioskEntriesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| [^|]+ \\| `([a-z._]+)` \\| `([a-z_]+)` \\| ([^|]*) \\|$")
	rows := row.FindAllStringSubmatch(string(doc), -1)
	var events []station.EventKind
	for _, r := range rows {
		events = append(events, station.EventKind(r[1]))
	}
	if !slices.Equal(events, station.EventKinds) {
		t.Fatalf("docs/audit.md lists kiosk events\n%v\nthe code has\n%v", events, station.EventKinds)
	}
	l, _, _ := MustLog(t)
	full := station.Event{Method: station.AuthCard, Subject: station.MustParseNIK("3171014107990001"), Request: "REQ-1",
		Job: "J1", SHA256: strings.Repeat("ab", 32), Printer: "card-1", CardSerial: "SIM-1"}
	for _, r := range rows {
		full.Kind = station.EventKind(r[1])
		want := map[string]bool{"outcome": true}
		for _, f := range regexp.MustCompile("`([a-z0-9_]+)`").FindAllStringSubmatch(r[4], -1) {
			want[f[1]] = true
		}
		for _, failed := range []bool{false, true} {
			ev := full
			outcome := r[3]
			if failed {
				ev.Err = errors.New("x")
				want["error"] = true
				if outcome == auditrec.OutcomeOK {
					outcome = auditrec.OutcomeFailed
				}
			}
			e := auditrec.Entry(l, ev)
			got := map[string]bool{}
			for k := range e.Fields {
				got[k] = true
			}
			if e.Kind != r[2] || e.Fields["outcome"] != outcome || !maps.Equal(got, want) {
				t.Errorf("event %s (failed %v): entry %s, outcome %s, fields %v; docs/audit.md says %s, %s, %v",
					r[1], failed, e.Kind, e.Fields["outcome"], slices.Sorted(maps.Keys(got)), r[2], outcome, slices.Sorted(maps.Keys(want)))
			}
		}
	}
}
