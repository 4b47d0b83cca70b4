package http

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/sqlite"
)

// MustConsoleLog is MustConsole with the station's real audit log in a
// real SQLite file instead of the fake: what the console appends is read
// back from the database.
func MustConsoleLog(tb testing.TB) (*consoleRig, *sqlite.AuditLog) {
	tb.Helper()
	r := MustConsole(tb)
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "station.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	skey, vkey, err := note.GenerateKey(rand.Reader, "anjungan.test/station/audit")
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := audit.NewSigner(skey, r.clock.Now)
	if err != nil {
		tb.Fatal(err)
	}
	log, err := sqlite.NewAuditLog(db, []byte("0123456789abcdef0123456789abcdef"), signer, vkey, r.clock.Now)
	if err != nil {
		tb.Fatal(err)
	}
	r.s = NewConsole(r.deps(log), zerolog.Nop())
	return r, log
}

// TestConsoleActionsAudited checks that every console action leaves its
// entry in the station's own log: actor, kind, the job or printer, the
// outcome, and nothing personal.
func TestConsoleActionsAudited(t *testing.T) {
	r, log := MustConsoleLog(t)
	ctx := context.Background()
	siti := r.MustLogin("siti")
	post := func(ss session, path string, form url.Values) *http.Response {
		form.Set(csrfField, ss.csrf)
		return r.do(request{method: "POST", path: path, header: sameOrigin, cookies: ss.cookies(), form: form})
	}
	get := func(ss session, path string) *http.Response {
		return r.do(request{method: "GET", path: path, cookies: ss.cookies()})
	}
	// Longer than the log takes in one entry (16 KiB), within the body
	// limit (64 KiB).
	long := strings.Repeat("SERI-", 12<<10)
	for _, tc := range []struct {
		name   string
		act    func() *http.Response
		status int
		kind   string
		fields map[string]string
	}{
		{"login", func() *http.Response { return r.tryLogin("siti", testPassword, nil) }, redirect,
			"console.login", map[string]string{"outcome": "ok"}},
		{"failed login", func() *http.Response { return r.tryLogin("siti", "salah", nil) }, http.StatusUnauthorized,
			"console.login", map[string]string{"outcome": "refused"}},
		{"resolve reprint", func() *http.Response {
			return post(siti, "/jobs/J1/resolve", url.Values{"action": {"reprint"}, "reason_code": {"jam"}, "note": {"Budi bilang kartunya macet"}, "card_serial": {"SIM-9"}, "present": {"yes"}})
		}, redirect, "console.resolve", map[string]string{"outcome": "ok", "job": "J1", "action": "reprint", "reason_code": "jam", "reprint": "J4", "card_serial": "SIM-9", "printer": "card-1", "present": "yes"}},
		{"resolve refused", func() *http.Response {
			return post(siti, "/jobs/J2/resolve", url.Values{"action": {"reprint"}, "note": {"Budi bilang kartunya macet"}})
		}, http.StatusBadRequest, "console.resolve", map[string]string{"outcome": "failed", "job": "J2", "action": "reprint", "error": "request_invalid"}},
		{"resolve with words for codes", func() *http.Response {
			return post(siti, "/jobs/J2/resolve", url.Values{"action": {"Budi"}, "reason_code": {"Budi bilang macet"}})
		}, http.StatusBadRequest, "console.resolve", map[string]string{"outcome": "failed", "job": "J2", "action": "invalid", "reason_code": "invalid", "error": "request_invalid"}},
		{"release", func() *http.Response { return post(siti, "/jobs/J3/release", url.Values{}) }, redirect,
			"console.release", map[string]string{"outcome": "ok", "job": "J3"}},
		{"resume", func() *http.Response { return post(siti, "/printers/card-1/resume", url.Values{}) }, redirect,
			"console.resume", map[string]string{"outcome": "ok", "printer": "card-1"}},
		{"card load", func() *http.Response {
			return post(siti, "/ledger/loads", url.Values{"printer": {"card-1"}, "count": {"250"}, "first_serial": {"A0001"}, "last_serial": {"A0250"}})
		}, redirect, "console.load", map[string]string{"outcome": "ok", "printer": "card-1", "count": "250", "first_serial": "A0001", "last_serial": "A0250"}},
		{"card load refused", func() *http.Response {
			return post(siti, "/ledger/loads", url.Values{"printer": {"card-1"}, "count": {"banyak"}})
		}, http.StatusBadRequest, "console.load", map[string]string{"outcome": "failed", "printer": "card-1", "error": "request_invalid"}},
		{"refused load with a 60 KiB serial", func() *http.Response {
			return post(siti, "/ledger/loads", url.Values{"printer": {"card-1"}, "count": {"banyak"}, "first_serial": {long}})
		}, http.StatusBadRequest, "console.load", map[string]string{"outcome": "failed", "printer": "card-1", "error": "request_invalid",
			"first_serial": auditField(long)}},
		{"refused resolve with a 60 KiB card serial", func() *http.Response {
			return post(siti, "/jobs/J2/resolve", url.Values{"action": {"void"}, "card_serial": {long}})
		}, http.StatusBadRequest, "console.resolve", map[string]string{"outcome": "failed", "job": "J2", "card_serial": auditField(long)}},
		{"NIK lookup with a 60 KiB format", func() *http.Response {
			return post(siti, "/audit/nik", url.Values{"nik": {testNIK}, "format": {long}})
		}, ok, "console.nik_lookup", map[string]string{"outcome": "ok", "format": auditField(long)}},
		{"verify now", func() *http.Response { return post(siti, "/integrity/verify", url.Values{}) }, redirect,
			"console.verify", map[string]string{"outcome": "ok"}},
		{"CSV export", func() *http.Response { return get(siti, "/audit.csv") }, ok,
			"console.export", map[string]string{"outcome": "ok", "format": "csv"}},
		{"PDF report", func() *http.Response { return get(siti, "/report.pdf?day=2025-03-01") }, ok,
			"console.export", map[string]string{"outcome": "ok", "format": "pdf", "day": "2025-03-01"}},
		{"timeline", func() *http.Response { return get(siti, "/audit") }, ok,
			"console.view", map[string]string{"outcome": "ok", "page": "audit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, err := log.Entries(ctx, station.AuditFilter{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if res := tc.act(); res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			got, err := log.Entries(ctx, station.AuditFilter{Kind: "console.", Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || (len(before) > 0 && got[0].Index <= before[0].Index) {
				t.Fatalf("no new console entry: %+v", got)
			}
			e := got[0]
			if e.Kind != tc.kind || e.Actor != "siti" || (e.Subject != "") != (tc.kind == "console.nik_lookup") {
				t.Errorf("entry %s by %q (subject %q), want %s by siti", e.Kind, e.Actor, e.Subject, tc.kind)
			}
			for k, v := range tc.fields {
				if e.Fields[k] != v {
					t.Errorf("field %s = %q, want %q (fields %v)", k, e.Fields[k], v, e.Fields)
				}
			}
			for k, v := range e.Fields {
				if strings.Contains(v, "Budi") {
					t.Errorf("field %s holds the supervisor's free text %q", k, v)
				}
			}
		})
	}
	if err := log.Verify(ctx); err != nil {
		t.Errorf("the log does not verify: %v", err)
	}
}

func TestAuditField(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes, two per character
	tests := []struct {
		name, in string
		want     func(string) bool
	}{
		{"short kept", "SIM-9", func(s string) bool { return s == "SIM-9" }},
		{"at the bound kept", strings.Repeat("a", maxAuditField), func(s string) bool { return len(s) == maxAuditField }},
		{"long summarised", strings.Repeat("a", 60<<10), func(s string) bool {
			return len(s) < 2*maxAuditField && strings.Contains(s, "(61440 bytes, sha256 ")
		}},
		{"no character cut", long, func(s string) bool {
			return utf8.ValidString(s) && strings.HasPrefix(s, strings.Repeat("é", 32)+"…")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auditField(tt.in); !tt.want(got) {
				t.Errorf("auditField = %q", got)
			}
		})
	}
}
