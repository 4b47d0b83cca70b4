package journal_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

// canaryNote is a supervisor's note that names a citizen, as a careless
// one would.
const canaryNote = "Bu SITI CANARYWATI (NIK 3174014512850003) bilang kartunya macet"

// filesHolding returns the files under dir whose bytes hold s.
func filesHolding(tb testing.TB, dir, s string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(s)) {
			out = append(out, filepath.Base(path))
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestNoteStaysOutOfTheAuditLog: a reprint's note naming a citizen is in
// the journal (its table and its files) but in no audit entry and no
// export; the entry has the reason code and the note's keyed hash. Once
// erased, no file of the journal holds it, the key is gone, and the
// erasure is itself audited.
func TestNoteStaysOutOfTheAuditLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cp, _ := MustCheckpoints(t, 1000, nil)
	j := MustOpen(t, dir, cp)
	MustLoad(t, j, 10)
	job := MustInDoubt(t, j, "req-1")
	res, err := j.Resolve(ctx, job.ID, printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam,
		Note: "  " + canaryNote + " ", Actor: "sari"})
	mustOK(t, err)

	n, err := j.Note(ctx, job.ID)
	mustOK(t, err)
	if n.Text != canaryNote || len(n.Key) != 32 || n.Actor != "sari" || !n.Erased.IsZero() {
		t.Fatalf("note = %+v, want the words (trimmed), a key, not erased", n)
	}
	if _, err := j.Note(ctx, res.Reprint.ID); !errors.Is(err, journal.ErrNoNote) {
		t.Errorf("Note of the reprint = %v, want ErrNoNote", err)
	}
	if got := filesHolding(t, dir, "CANARYWATI"); len(got) == 0 {
		t.Error("no file of the journal holds the note: the search cannot see it")
	}

	var resolved, submitted map[string]string
	for _, e := range MustEntries(t, dir) {
		switch {
		case e.Kind == "job.resolved":
			resolved = e.Fields
		case e.Kind == "job.submitted" && e.Fields["reprint_of"] != "":
			submitted = e.Fields
		}
	}
	if want := journal.NoteHMAC(n.Key, canaryNote); resolved["note_hmac"] != want || resolved["reason_code"] != "jam" || resolved["note"] != "" {
		t.Errorf("job.resolved fields = %v, want reason_code jam and note_hmac %s", resolved, want)
	}
	if submitted["reason_code"] != "jam" || submitted["note"] != "" || submitted["note_hmac"] != "" {
		t.Errorf("reprint's job.submitted fields = %v, want reason_code jam only", submitted)
	}
	if _, err := j.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"jsonl", "csv"} {
		var buf bytes.Buffer
		mustOK(t, j.ExportAudit(ctx, 0, format, &buf))
		if !strings.Contains(buf.String(), "job.resolved") {
			t.Fatalf("%s export has no job.resolved entry:\n%s", format, buf.String())
		}
		for _, s := range []string{"CANARYWATI", "3174014512850003", "macet"} {
			if strings.Contains(buf.String(), s) {
				t.Errorf("%s export holds %q from the note", format, s)
			}
		}
	}
	for _, id := range []printerd.JobID{job.ID, res.Reprint.ID} {
		evs, _ := j.Events(ctx, id)
		for _, e := range evs {
			if strings.Contains(e.Note, "CANARYWATI") {
				t.Errorf("event %+v holds the note", e)
			}
		}
		if last := evs[len(evs)-1]; last.ReasonCode != printerd.ReasonCodeJam {
			t.Errorf("event %+v, want reason code jam", last)
		}
	}

	erased, err := j.EraseNote(ctx, job.ID, "dpo")
	if err != nil || !erased {
		t.Fatalf("EraseNote = %v, %v; want true", erased, err)
	}
	n, err = j.Note(ctx, job.ID)
	mustOK(t, err)
	if n.Text != "" || n.Key != nil || n.Erased.IsZero() || n.ErasedBy != "dpo" {
		t.Errorf("note after erasure = %+v", n)
	}
	for _, s := range []string{"CANARYWATI", "3174014512850003"} {
		if got := filesHolding(t, dir, s); len(got) > 0 {
			t.Errorf("after erasure %v still hold %q", got, s)
		}
	}
	entries := MustEntries(t, dir)
	if last := entries[len(entries)-1]; last.Kind != "job.note_erased" || last.Actor != "dpo" || last.Fields["job"] != string(job.ID) {
		t.Errorf("last entry = %+v, want job.note_erased by dpo", last)
	}
	if again, err := j.EraseNote(ctx, job.ID, "dpo"); err != nil || again {
		t.Errorf("second EraseNote = %v, %v; want false", again, err)
	}
	if len(MustEntries(t, dir)) != len(entries) {
		t.Error("a second erasure was audited: nothing was erased")
	}
	// The closed journal's files hold it no more either.
	mustOK(t, j.Close())
	if got := filesHolding(t, dir, "CANARYWATI"); len(got) > 0 {
		t.Errorf("after close %v hold the note", got)
	}
}

func TestEraseNote(t *testing.T) {
	ctx := context.Background()
	j := MustOpen(t, t.TempDir())
	MustLoad(t, j, 10)
	if _, err := j.EraseNote(ctx, "JNOPE", "dpo"); !errors.Is(err, printerd.ErrJobNotFound) {
		t.Errorf("EraseNote of an unknown job = %v, want job_not_found", err)
	}
	job := MustInDoubt(t, j, "req-1")
	if erased, err := j.EraseNote(ctx, job.ID, "dpo"); err != nil || erased {
		t.Errorf("EraseNote of an unresolved job = %v, %v; want false", erased, err)
	}
	resolve(t, j, job.ID, printerd.Resolution{Action: printerd.ActionVoid, ReasonCode: printerd.ReasonCodeMisprint, CardSerial: "C-1", Actor: "sari"})
	if _, err := j.Note(ctx, job.ID); !errors.Is(err, journal.ErrNoNote) {
		t.Errorf("Note without one = %v, want ErrNoNote", err)
	}
	if erased, err := j.EraseNote(ctx, job.ID, "dpo"); err != nil || erased {
		t.Errorf("EraseNote of a resolution without a note = %v, %v; want false", erased, err)
	}
}
