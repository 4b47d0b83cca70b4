package http

import (
	"context"
	"net/url"
	"os"
	"regexp"
	"testing"

	"github.com/anjungan/anjungan/station"
)

// TestConsoleEntriesDocumented runs every console action that writes to
// the station's log and holds each entry to its row of docs/audit.md's
// table of console entries: the fields it has are listed, the fields
// listed as always there are, the subject only on a NIK look-up. Every
// row must be seen.
func TestConsoleEntriesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		always, ifSet map[string]bool
		seen          bool
	}
	names := regexp.MustCompile("`([a-z0-9_]+)`")
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names.FindAllStringSubmatch(s, -1) {
			m[n[1]] = true
		}
		return m
	}
	table := map[string]*row{}
	for _, r := range regexp.MustCompile("(?m)^\\| `(console\\.[a-z_]+)` \\|[^|]+\\|([^|]+)\\|([^|]*)\\|$").FindAllStringSubmatch(string(doc), -1) {
		table[r[1]] = &row{always: set(r[2]), ifSet: set(r[3])}
	}
	if len(table) != 11 {
		t.Fatalf("docs/audit.md lists %d console kinds, want 11", len(table))
	}

	r, log := MustConsoleLog(t)
	siti := r.MustLogin("siti")
	post := func(path string, form url.Values) {
		form.Set(csrfField, siti.csrf)
		r.do(request{method: "POST", path: path, header: sameOrigin, cookies: siti.cookies(), form: form})
	}
	get := func(path string) { r.do(request{method: "GET", path: path, cookies: siti.cookies()}) }
	r.tryLogin("siti", "salah", nil)
	post("/jobs/J1/resolve", url.Values{"action": {"reprint"}, "reason_code": {"jam"}, "note": {"macet"}, "card_serial": {"SIM-9"}, "present": {"yes"}})
	post("/jobs/J2/resolve", url.Values{"action": {"Budi"}, "reason_code": {"Budi bilang macet"}})
	post("/jobs/J3/release", url.Values{})
	post("/jobs/J9/release", url.Values{})
	post("/printers/card-1/resume", url.Values{})
	post("/ledger/loads", url.Values{"printer": {"card-1"}, "count": {"250"}, "first_serial": {"A0001"}, "last_serial": {"A0250"}})
	post("/ledger/loads", url.Values{"count": {"banyak"}})
	post("/integrity/verify", url.Values{})
	get("/audit.csv")
	get("/report.pdf?day=2025-03-01")
	get("/audit")
	post("/audit/nik", url.Values{"nik": {"3171014107990001"}})
	post("/audit/nik", url.Values{"nik": {"3171014107990001"}, "format": {"csv"}})
	post("/pins/lift", url.Values{"nik": {"3171014107990001"}, "reason": {"identity-checked"}})
	post("/pins/lift", url.Values{"nik": {"3171014107990001"}, "reason": {"Budi lupa PIN"}})
	writeCustodyEntries(t, log)

	entries, err := log.Entries(context.Background(), station.AuditFilter{Kind: "console.", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		rw, ok := table[e.Kind]
		if !ok {
			t.Errorf("%s is not in docs/audit.md's table of console entries", e.Kind)
			continue
		}
		rw.seen = true
		for k := range e.Fields {
			if !rw.always[k] && !rw.ifSet[k] {
				t.Errorf("%s has field %s, not in docs/audit.md: %v", e.Kind, k, e.Fields)
			}
		}
		for k := range rw.always {
			if e.Fields[k] == "" {
				t.Errorf("%s lacks %s, which docs/audit.md says is always there: %v", e.Kind, k, e.Fields)
			}
		}
		if (e.Subject != "") != (e.Kind == "console.nik_lookup" || e.Kind == "console.pin_lift") || e.Actor == "" {
			t.Errorf("%s by %q with subject %q", e.Kind, e.Actor, e.Subject)
		}
	}
	for kind, rw := range table {
		if !rw.seen {
			t.Errorf("no %s entry was written", kind)
		}
	}
}
