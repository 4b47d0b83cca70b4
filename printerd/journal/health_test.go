package journal_test

import (
	"context"
	"errors"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

// mustRefuse makes SQLite refuse every insert into table with a trigger
// (a real failed write, seen by the journal as any other); the returned
// func lifts it.
func mustRefuse(tb testing.TB, dir, table string) func() {
	tb.Helper()
	db := MustDB(tb, dir)
	_, err := db.Exec(`CREATE TRIGGER refuse_` + table + ` BEFORE INSERT ON ` + table + ` BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
	mustOK(tb, err)
	return func() {
		tb.Helper()
		_, err := db.Exec(`DROP TRIGGER refuse_` + table)
		mustOK(tb, err)
	}
}

// TestHealthFollowsWrites: the journal's health comes from the outcome of
// its own writes. A failed write is recorded at once (journal.write_failed);
// when that record is written the journal is writable again, when it
// fails too the journal stays unwritable until a later write succeeds.
func TestHealthFollowsWrites(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		refuse   string // the table whose inserts fail
		writable bool   // after the failed submission
		failures int
	}{
		// The job's row fails; the record of the failure is written.
		{"transient", "jobs", true, 0},
		// Every audited write fails, the record of the failure too.
		{"persistent", "audit_entries", false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := MustOpen(t, dir)
			if h := j.Health(); !h.Writable || !h.LastWrite.IsZero() {
				t.Fatalf("fresh journal: %+v, want writable, no write yet", h)
			}
			MustSubmit(t, j, cardRequest(t, "before"))
			lift := mustRefuse(t, dir, tt.refuse)

			_, _, err := j.Submit(ctx, cardRequest(t, "k"))
			if !errors.Is(err, printerd.ErrJournal) {
				t.Fatalf("Submit with %s refusing = %v, want journal_unavailable", tt.refuse, err)
			}
			h := j.Health()
			if h.Writable != tt.writable || h.Failures != tt.failures || (h.Err == nil) == !tt.writable {
				t.Errorf("Health = %+v, want writable %v, %d failures", h, tt.writable, tt.failures)
			}
			if !tt.writable && h.FailingSince.IsZero() {
				t.Error("unwritable with no FailingSince")
			}
			// A lookup by key is certain only while writable.
			jobs, err := j.List(ctx, printerd.JobFilter{Key: "k"})
			if tt.writable && (err != nil || len(jobs) != 0) || !tt.writable && !errors.Is(err, printerd.ErrJournal) {
				t.Errorf("List(key k) = %v, %v; want nothing, or journal_unavailable while unwritable", jobs, err)
			}
			if jobs, err := j.List(ctx, printerd.JobFilter{Key: "before"}); err != nil || len(jobs) != 1 {
				t.Errorf("List(key before) = %v, %v; a job found is certain", jobs, err)
			}
			// Nothing to write is no success.
			if _, ok, err := j.ClaimNext(ctx, printerd.MediaA4, "paper-1"); ok || err != nil {
				t.Fatalf("ClaimNext(A4) = %v, %v", ok, err)
			}
			if got := j.Health(); got.Writable != tt.writable {
				t.Errorf("after an empty claim, Health = %+v", got)
			}

			lift()
			MustSubmit(t, j, cardRequest(t, "k"))
			if h := j.Health(); !h.Writable || h.Failures != 0 || h.LastWrite.IsZero() || h.Err != nil {
				t.Errorf("after a write succeeded, Health = %+v", h)
			}
			var failed []string
			for _, e := range MustEntries(t, dir) {
				if e.Kind == journal.KindJournalWriteFailed {
					failed = append(failed, e.Fields["operation"])
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tt.writable]; len(failed) != want || want == 1 && failed[0] != "submit" {
				t.Errorf("%s entries: %v, want %d for submit", journal.KindJournalWriteFailed, failed, want)
			}
		})
	}
}

// TestAnswersAreNoFailures: refusals that write nothing (an invalid
// request, a key's other document, a job in another state) leave the
// journal writable.
func TestAnswersAreNoFailures(t *testing.T) {
	ctx := context.Background()
	j := MustOpen(t, t.TempDir())
	job := MustSubmit(t, j, cardRequest(t, "k"))
	other := cardRequest(t, "k")
	other.Document = append(append([]byte(nil), other.Document...), " "...)
	for name, err := range map[string]error{
		"conflict": func() error { _, _, err := j.Submit(ctx, other); return err }(),
		"invalid":  func() error { _, _, err := j.Submit(ctx, printerd.SubmitRequest{}); return err }(),
		"state": func() error {
			_, err := j.Finish(ctx, job.ID, printerd.Result{State: printerd.JobPrinted})
			return err
		}(),
		"not found": func() error { _, err := j.Cancel(ctx, "J-none", "x"); return err }(),
	} {
		if err == nil || errors.Is(err, printerd.ErrJournal) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
	if h := j.Health(); !h.Writable || h.Failures != 0 {
		t.Errorf("Health = %+v, want writable", h)
	}
}
