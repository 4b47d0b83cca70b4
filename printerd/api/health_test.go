package api_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/api"
)

// TestHealthWhileJournalCannotWrite: while every write of the journal
// fails (a trigger refuses its audit entries, and so the record of the
// failure too), health answers 503 degraded, every media is unavailable
// with journal-error, and a lookup by key answers 503 rather than an
// empty list a restart could contradict. Once a write succeeds, all is
// well again and the lookup is certain.
func TestHealthWhileJournalCannotWrite(t *testing.T) {
	dir := t.TempDir()
	base := MustServeIn(t, dir, "10")
	db, err := sql.Open("sqlite", filepath.Join(dir, "data", "journal.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	submit := printerd.SubmitRequest{IdempotencyKey: "k", Media: printerd.MediaCard, Title: "KTP-el", Document: MustRead(t, "card.pdf")}

	exec(`CREATE TRIGGER refuse BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
	tests := []struct {
		name, method, path string
		body               []byte
		status             int
		check              func([]byte) bool
	}{
		{"submit", "POST", "/v1/jobs", nil, http.StatusServiceUnavailable, func(b []byte) bool {
			return bytes.Contains(b, []byte(`"journal_unavailable"`))
		}},
		{"health", "GET", "/v1/health", nil, http.StatusServiceUnavailable, func(b []byte) bool {
			var h api.Health
			return json.Unmarshal(b, &h) == nil && h.Status == api.HealthDegraded && h.Journal == api.JournalUnwritable &&
				h.JournalFailures == 2 && h.JournalFailingSince != nil
		}},
		{"availability", "GET", "/v1/availability", nil, http.StatusOK, func(b []byte) bool {
			var av []printerd.Availability
			return json.Unmarshal(b, &av) == nil && len(av) == 2 && !av[0].Available && av[0].Reason == printerd.ReasonJournalError &&
				!av[1].Available && av[1].Reason == printerd.ReasonJournalError
		}},
		{"lookup", "GET", "/v1/jobs?key=k", nil, http.StatusServiceUnavailable, func(b []byte) bool {
			return bytes.Contains(b, []byte(`"journal_unavailable"`))
		}},
	}
	for _, tt := range tests {
		status, body := do(t, tt.method, base+tt.path, bytes.NewReader(tt.body))
		if tt.name == "submit" {
			status, body = doSubmit(t, base, submit)
		}
		if status != tt.status || !tt.check(body) {
			t.Errorf("%s while unwritable = %d %s, want %d", tt.name, status, body, tt.status)
		}
	}

	exec(`DROP TRIGGER refuse`)
	if status, body := doSubmit(t, base, submit); status != http.StatusCreated {
		t.Fatalf("submit once writable = %d %s", status, body)
	}
	var h api.Health
	if status, body := do(t, "GET", base+"/v1/health", nil); status != http.StatusOK || json.Unmarshal(body, &h) != nil ||
		h.Status != api.HealthOK || h.Journal != api.JournalOK || h.JournalLastWrite == nil {
		t.Errorf("health once writable = %d %s", status, body)
	}
	var jobs []printerd.Job
	if status, body := do(t, "GET", base+"/v1/jobs?key=k", nil); status != http.StatusOK || json.Unmarshal(body, &jobs) != nil ||
		len(jobs) != 1 || jobs[0].IdempotencyKey != "k" {
		t.Errorf("lookup once writable = %d %s", status, body)
	}
	if status, body := do(t, "GET", base+"/v1/jobs?key=other", nil); status != http.StatusOK || string(bytes.TrimSpace(body)) != "[]" {
		t.Errorf("lookup of an unknown key = %d %s, want []", status, body)
	}
}
