package journal_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

// MustKeys returns a note signer and verifier key pair for printerd's log.
func MustKeys(tb testing.TB) (skey, vkey string) {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "anjungan.test/printerd/audit")
	if err != nil {
		tb.Fatal(err)
	}
	return skey, vkey
}

// MustCheckpoints is the checkpoint option with a fresh key; it returns
// the verifier key too.
func MustCheckpoints(tb testing.TB, every int, report func(int64, error)) (journal.Option, string) {
	tb.Helper()
	skey, vkey := MustKeys(tb)
	s, err := audit.NewSigner(skey, newClock().Now)
	if err != nil {
		tb.Fatal(err)
	}
	return journal.WithCheckpoints(journal.Checkpoints{Signer: s, VerifierKey: vkey, Every: every,
		Interval: time.Hour, Report: report}), vkey
}

// MustDB opens a journal's database on its own connection, as a verifier
// or a tamperer would.
func MustDB(tb testing.TB, dir string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "journal.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustEntries returns every audit entry of the journal in dir, in order.
func MustEntries(tb testing.TB, dir string) []audit.Entry {
	tb.Helper()
	rows, err := MustDB(tb, dir).Query(`SELECT data FROM audit_entries ORDER BY idx`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			tb.Fatal(err)
		}
		e, err := audit.Decode(data)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func kinds(es []audit.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Kind
	}
	return out
}

// MustClaim claims the next card job on card-1.
func MustClaim(tb testing.TB, j *journal.Journal) printerd.Job {
	tb.Helper()
	job, ok, err := j.ClaimNext(context.Background(), printerd.MediaCard, "card-1")
	if err != nil || !ok {
		tb.Fatalf("ClaimNext: %v, %v", ok, err)
	}
	return job
}

func mustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func finish(tb testing.TB, j *journal.Journal, id printerd.JobID, r printerd.Result) {
	tb.Helper()
	r.Printer = "card-1"
	_, err := j.Finish(context.Background(), id, r)
	mustOK(tb, err)
}

func resolve(tb testing.TB, j *journal.Journal, id printerd.JobID, r printerd.Resolution) {
	tb.Helper()
	_, err := j.Resolve(context.Background(), id, r)
	mustOK(tb, err)
}

// TestAuditEntries drives jobs through every state and checks that each
// change produced exactly the expected entries, in order.
func TestAuditEntries(t *testing.T) {
	ctx := context.Background()
	printed := printerd.Result{State: printerd.JobPrinted, CardSerial: "C-1"}
	inDoubt := printerd.Result{State: printerd.JobInDoubt, Reason: "offline"}
	tests := []struct {
		name  string
		drive func(t *testing.T, j *journal.Journal, dir string)
		want  []string
	}{
		{"printed", func(t *testing.T, j *journal.Journal, _ string) {
			job := MustSubmit(t, j, cardRequest(t, "k"))
			MustClaim(t, j)
			finish(t, j, job.ID, printed)
		}, []string{"job.submitted", "job.dispatched", "job.printed"}},
		{"failed with a spoiled card", func(t *testing.T, j *journal.Journal, _ string) {
			job := MustSubmit(t, j, cardRequest(t, "k"))
			MustClaim(t, j)
			finish(t, j, job.ID, printerd.Result{State: printerd.JobFailed, Reason: "encode-failure", CardSerial: "C-9", Spoiled: true})
		}, []string{"job.submitted", "job.dispatched", "job.failed", "card.spoiled"}},
		{"held, released, printed", func(t *testing.T, j *journal.Journal, _ string) {
			job := MustSubmit(t, j, cardRequest(t, "k"))
			MustClaim(t, j)
			finish(t, j, job.ID, printerd.Result{State: printerd.JobHeld, Reason: "media-empty"})
			_, err := j.Release(ctx, job.ID, "sari")
			mustOK(t, err)
			MustClaim(t, j)
			finish(t, j, job.ID, printed)
		}, []string{"job.submitted", "job.dispatched", "job.held", "job.released", "job.dispatched", "job.printed"}},
		{"retried", func(t *testing.T, j *journal.Journal, _ string) {
			job := MustSubmit(t, j, cardRequest(t, "k"))
			MustClaim(t, j)
			finish(t, j, job.ID, printerd.Result{State: printerd.JobQueued, Reason: "retry"})
		}, []string{"job.submitted", "job.dispatched", "job.requeued"}},
		{"canceled", func(t *testing.T, j *journal.Journal, _ string) {
			job := MustSubmit(t, j, cardRequest(t, "k"))
			_, err := j.Cancel(ctx, job.ID, "station")
			mustOK(t, err)
		}, []string{"job.submitted", "job.canceled"}},
		{"in doubt, confirmed printed", func(t *testing.T, j *journal.Journal, _ string) {
			job := MustSubmit(t, j, cardRequest(t, "k"))
			MustClaim(t, j)
			finish(t, j, job.ID, inDoubt)
			resolve(t, j, job.ID, printerd.Resolution{Action: printerd.ActionPrinted, CardSerial: "C-2", Actor: "sari"})
		}, []string{"job.submitted", "job.dispatched", "job.in_doubt", "job.resolved"}},
		{"in doubt, reprinted with a spoiled card", func(t *testing.T, j *journal.Journal, _ string) {
			job := MustSubmit(t, j, cardRequest(t, "k"))
			MustClaim(t, j)
			finish(t, j, job.ID, inDoubt)
			resolve(t, j, job.ID, printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam, Note: "jammed", CardSerial: "C-3", Actor: "sari"})
		}, []string{"job.submitted", "job.dispatched", "job.in_doubt", "job.submitted", "job.resolved", "card.voided"}},
		{"in doubt, voided", func(t *testing.T, j *journal.Journal, _ string) {
			job := MustSubmit(t, j, cardRequest(t, "k"))
			MustClaim(t, j)
			finish(t, j, job.ID, inDoubt)
			resolve(t, j, job.ID, printerd.Resolution{Action: printerd.ActionVoid, ReasonCode: printerd.ReasonCodeCardDamaged, CardSerial: "C-4", Actor: "sari"})
		}, []string{"job.submitted", "job.dispatched", "job.in_doubt", "job.resolved", "card.voided"}},
		{"in doubt, voided with a note, the note erased", func(t *testing.T, j *journal.Journal, _ string) {
			job := MustSubmit(t, j, cardRequest(t, "k"))
			MustClaim(t, j)
			finish(t, j, job.ID, inDoubt)
			resolve(t, j, job.ID, printerd.Resolution{Action: printerd.ActionVoid, ReasonCode: printerd.ReasonCodeMisprint, Note: "smeared", CardSerial: "C-4", Actor: "sari"})
			for range 2 { // the second erasure finds nothing and writes nothing
				_, err := j.EraseNote(ctx, job.ID, "dpo")
				mustOK(t, err)
			}
		}, []string{"job.submitted", "job.dispatched", "job.in_doubt", "job.resolved", "card.voided", "job.note_erased"}},
		{"in doubt after a crash", func(t *testing.T, j *journal.Journal, dir string) {
			MustSubmit(t, j, cardRequest(t, "k"))
			MustClaim(t, j)
			mustOK(t, j.Close())
			MustOpen(t, dir)
		}, []string{"job.submitted", "job.dispatched", "job.in_doubt"}},
		{"a replayed submission", func(t *testing.T, j *journal.Journal, _ string) {
			MustSubmit(t, j, cardRequest(t, "k"))
			MustSubmit(t, j, cardRequest(t, "k"))
		}, []string{"job.submitted"}},
		{"blank cards loaded", func(t *testing.T, j *journal.Journal, _ string) {
			_, err := j.RecordLoad(ctx, printerd.Load{Printer: "card-1", Count: 50, FirstSerial: "A001", LastSerial: "A050", Actor: "sari"})
			mustOK(t, err)
		}, []string{"cards.loaded"}},
		{"printer actions", func(t *testing.T, j *journal.Journal, _ string) {
			f := printerd.Fault{Kind: printerd.FaultMediaJam, At: printerd.FaultDuringPrint, Count: 2}
			for _, a := range []printerd.PrinterAction{
				{Printer: "card-1", Action: printerd.PrinterFaultInject, Fault: &f},
				{Printer: "card-1", Action: printerd.PrinterFaultClear},
				{Printer: "card-1", Action: printerd.PrinterResume, Actor: "budi"},
			} {
				mustOK(t, j.RecordPrinterAction(ctx, a))
			}
		}, []string{"printer.fault_injected", "printer.fault_cleared", "printer.resumed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := MustOpen(t, dir)
			MustLoad(t, j, 10) // so that card jobs are claimed
			tt.drive(t, j, dir)
			want := append([]string{"cards.loaded"}, tt.want...)
			if got := kinds(MustEntries(t, dir)); !slices.Equal(got, want) {
				t.Errorf("entries\n got %v\nwant %v", got, want)
			}
		})
	}
}

// TestAuditFields checks what the entries of one print and its
// resolution say: ids, hash, printer, card serial, actor, and nothing
// else.
func TestAuditFields(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	j := MustOpen(t, dir)
	MustLoad(t, j, 10)
	job := MustSubmit(t, j, cardRequest(t, "req-1"))
	MustClaim(t, j)
	finish(t, j, job.ID, printerd.Result{State: printerd.JobInDoubt, Reason: "offline"})
	res, err := j.Resolve(ctx, job.ID, printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam, Note: "card jammed", Actor: "sari"})
	mustOK(t, err)
	next := res.Reprint
	note, err := j.Note(ctx, job.ID)
	mustOK(t, err)
	MustClaim(t, j)
	finish(t, j, next.ID, printerd.Result{State: printerd.JobPrinted, CardSerial: "C-77"})

	sha := job.DocumentSHA256
	want := []audit.Entry{
		{Kind: "job.submitted", Fields: map[string]string{"job": string(job.ID), "document_sha256": sha, "media": "om_card_54x86mm",
			"title": "KTP-el", "idempotency_key": "req-1", "reason": "submitted"}},
		{Kind: "job.dispatched", Fields: map[string]string{"job": string(job.ID), "document_sha256": sha, "from": "queued",
			"state": "dispatching", "printer": "card-1", "attempt": "1"}},
		{Kind: "job.in_doubt", Fields: map[string]string{"job": string(job.ID), "document_sha256": sha, "from": "dispatching",
			"state": "in_doubt", "reason": "offline", "printer": "card-1"}},
		{Kind: "job.submitted", Actor: "sari", Fields: map[string]string{"job": string(next.ID), "document_sha256": sha,
			"media": "om_card_54x86mm", "title": "KTP-el", "idempotency_key": "req-1~2", "reason": "reprint",
			"reprint_of": string(job.ID), "reason_code": "jam"}},
		{Kind: "job.resolved", Actor: "sari", Fields: map[string]string{"job": string(job.ID), "document_sha256": sha,
			"from": "in_doubt", "state": "failed", "reason": "reprinted", "printer": "card-1", "action": "reprint",
			"reprint": string(next.ID), "reason_code": "jam", "note_hmac": journal.NoteHMAC(note.Key, "card jammed")}},
		{Kind: "job.dispatched", Fields: map[string]string{"job": string(next.ID), "document_sha256": sha, "from": "queued",
			"state": "dispatching", "printer": "card-1", "attempt": "1"}},
		{Kind: "job.printed", Fields: map[string]string{"job": string(next.ID), "document_sha256": sha, "from": "dispatching",
			"state": "printed", "printer": "card-1", "card_serial": "C-77"}},
	}
	got := MustEntries(t, dir)
	if len(got) == 0 || got[0].Kind != "cards.loaded" {
		t.Fatalf("entries = %v, want the load first", kinds(got))
	}
	got = got[1:]
	if len(got) != len(want) {
		t.Fatalf("entries = %v, want %v", kinds(got), kinds(want))
	}
	for i := range want {
		g := got[i]
		if g.Time.IsZero() {
			t.Errorf("entry %d has no time", i)
		}
		g.Time = time.Time{}
		b1, _ := json.Marshal(g)
		b2, _ := json.Marshal(want[i])
		if !bytes.Equal(b1, b2) {
			t.Errorf("entry %d\n got %s\nwant %s", i, b1, b2)
		}
	}
}

// TestAuditRollback makes a state change fail after its entry was
// appended (the card ledger refuses the row): the entry rolls back with
// it, the failure is recorded in its place (journal.write_failed), and
// the log stays sound for the next change.
func TestAuditRollback(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opt, vkey := MustCheckpoints(t, 1000, nil)
	j := MustOpen(t, dir, opt)
	MustLoad(t, j, 10)
	job := MustSubmit(t, j, cardRequest(t, "k"))
	MustClaim(t, j)
	db := MustDB(t, dir)
	_, err := db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON card_uses BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
	mustOK(t, err)

	before := MustEntries(t, dir)
	if _, err := j.Finish(ctx, job.ID, printerd.Result{State: printerd.JobPrinted, Printer: "card-1", CardSerial: "C-1"}); !errors.Is(err, printerd.ErrJournal) {
		t.Fatalf("Finish with the ledger refusing = %v, want journal_unavailable", err)
	}
	after := MustEntries(t, dir)
	if len(after) != len(before)+1 || after[len(before)].Kind != journal.KindJournalWriteFailed ||
		after[len(before)].Fields["operation"] != "finish" {
		t.Errorf("entries after a rolled-back change: %v, was %v; want only %s (finish) added", kinds(after), kinds(before), journal.KindJournalWriteFailed)
	}
	if n := j.AuditSize(); n != int64(len(before)+1) {
		t.Errorf("AuditSize = %d after the rollback, want %d", n, len(before)+1)
	}
	if got, _ := j.Get(ctx, job.ID); got.State != printerd.JobDispatching {
		t.Errorf("job is %s, want still dispatching", got.State)
	}

	_, err = db.Exec(`DROP TRIGGER refuse`)
	mustOK(t, err)
	finish(t, j, job.ID, printerd.Result{State: printerd.JobPrinted, CardSerial: "C-1"})
	_, err = j.Checkpoint(ctx)
	mustOK(t, err)
	// The load, the submission, the claim, the failed write, the outcome.
	if rep, err := audit.Verify(ctx, db, vkey); err != nil || rep.Entries != 5 {
		t.Errorf("Verify = %+v, %v; want 5 entries, no problem", rep, err)
	}
}

// MustAuditedJournal drives a few jobs through a journal with
// checkpoints and closes it; it returns the directory and the verifier
// key.
func MustAuditedJournal(tb testing.TB) (string, string) {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	opt, vkey := MustCheckpoints(tb, 1000, nil)
	j, err := journal.Open(dir, newClock().Now, opt)
	mustOK(tb, err)
	_, err = j.RecordLoad(ctx, printerd.Load{Printer: "card-1", Count: 10, Actor: "sari"})
	mustOK(tb, err)
	a := MustSubmit(tb, j, cardRequest(tb, "a"))
	b := MustSubmit(tb, j, printerd.SubmitRequest{IdempotencyKey: "b", Media: printerd.MediaCard, Title: "KIA",
		Document: append(MustRead(tb, "card.pdf"), '\n')})
	MustClaim(tb, j)
	finish(tb, j, a.ID, printerd.Result{State: printerd.JobPrinted, CardSerial: "C-1"})
	_, err = j.Checkpoint(ctx)
	mustOK(tb, err)
	MustClaim(tb, j)
	finish(tb, j, b.ID, printerd.Result{State: printerd.JobInDoubt, Reason: "offline"})
	resolve(tb, j, b.ID, printerd.Resolution{Action: printerd.ActionVoid, ReasonCode: printerd.ReasonCodeMisprint, CardSerial: "C-2", Actor: "sari"})
	mustOK(tb, j.Close()) // signs the last checkpoint
	return dir, vkey
}

func TestAuditVerifies(t *testing.T) {
	dir, vkey := MustAuditedJournal(t)
	db := MustDB(t, dir)
	rep, err := audit.Verify(context.Background(), db, vkey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != 9 || rep.Checkpoints != 2 || rep.Latest == nil || rep.Latest.Size != 9 {
		t.Errorf("report = %+v, want 9 entries and 2 checkpoints, the latest of size 9", rep)
	}
	// Each checkpoint has its file copy.
	for _, size := range []string{"5", "9"} {
		b, err := os.ReadFile(filepath.Join(dir, "checkpoints", size+".note"))
		if err != nil {
			t.Fatal(err)
		}
		if c, err := audit.OpenCheckpoint(b, vkey); err != nil || c.Size != map[string]int64{"5": 5, "9": 9}[size] {
			t.Errorf("checkpoints/%s.note: %+v, %v", size, c, err)
		}
	}
}

// TestAuditTamper changes the stored entries of a job after the fact;
// Verify must find every change.
func TestAuditTamper(t *testing.T) {
	tests := []struct {
		name     string
		tamper   string
		wantKind string
	}{
		{"card serial of a printed job changed",
			`UPDATE audit_entries SET data = CAST(REPLACE(CAST(data AS TEXT), '"C-1"', '"C-9"') AS BLOB) WHERE CAST(data AS TEXT) LIKE '%job.printed%'`,
			"hash-mismatch"},
		{"resolution's actor changed",
			`UPDATE audit_entries SET data = CAST(REPLACE(CAST(data AS TEXT), '"actor":"sari"', '"actor":"xxxx"') AS BLOB) WHERE CAST(data AS TEXT) LIKE '%job.resolved%'`,
			"hash-mismatch"},
		{"dispatch entry deleted",
			`DELETE FROM audit_entries WHERE idx = (SELECT MIN(idx) FROM audit_entries WHERE CAST(data AS TEXT) LIKE '%job.dispatched%')`,
			"entry-gap"},
		{"last entries truncated",
			`DELETE FROM audit_entries WHERE idx >= 7`,
			"checkpoint-truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, vkey := MustAuditedJournal(t)
			db := MustDB(t, dir)
			res, err := db.Exec(tt.tamper)
			mustOK(t, err)
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatal("the tamper changed nothing")
			}
			rep, err := audit.Verify(context.Background(), db, vkey)
			if err == nil {
				t.Fatal("Verify passed a tampered log")
			}
			found := false
			for _, p := range rep.Problems {
				found = found || p.Kind == tt.wantKind
			}
			if !found {
				t.Errorf("problems %+v, want one of kind %s", rep.Problems, tt.wantKind)
			}
		})
	}
}

// TestCheckpointEvery: the background loop signs once Every entries are
// waiting, and the file and the database agree.
func TestCheckpointEvery(t *testing.T) {
	ctx := context.Background()
	signed := make(chan int64, 10)
	opt, vkey := MustCheckpoints(t, 4, func(size int64, err error) {
		if err != nil {
			t.Error(err)
		}
		signed <- size
	})
	dir := t.TempDir()
	j := MustOpen(t, dir, opt)
	MustLoad(t, j, 10)
	job := MustSubmit(t, j, cardRequest(t, "k"))
	MustClaim(t, j)
	finish(t, j, job.ID, printerd.Result{State: printerd.JobPrinted, CardSerial: "C-1"})
	select {
	case size := <-signed:
		if size != 4 {
			t.Errorf("signed at size %d, want 4", size)
		}
	case <-time.After(30 * time.Second): // only stops a hung test
		t.Fatal("no checkpoint after 4 entries")
	}
	latest, err := j.LatestCheckpoint(ctx)
	mustOK(t, err)
	file, err := os.ReadFile(filepath.Join(dir, "checkpoints", "4.note"))
	mustOK(t, err)
	if !bytes.Equal(latest, file) {
		t.Errorf("checkpoints/4.note differs from the stored checkpoint")
	}
	if c, err := audit.OpenCheckpoint(latest, vkey); err != nil || c.Size != 4 {
		t.Errorf("latest = %+v, %v", c, err)
	}
	// Nothing new: nothing signed.
	if again, err := j.Checkpoint(ctx); again != nil || err != nil {
		t.Errorf("Checkpoint with nothing new = %q, %v", again, err)
	}
}

func TestNoCheckpointYet(t *testing.T) {
	opt, _ := MustCheckpoints(t, 100, nil)
	j := MustOpen(t, t.TempDir(), opt)
	if _, err := j.LatestCheckpoint(context.Background()); !errors.Is(err, printerd.ErrNoCheckpoint) {
		t.Errorf("LatestCheckpoint = %v, want audit_checkpoint_missing", err)
	}
	if err := j.ExportAudit(context.Background(), 0, "jsonl", &bytes.Buffer{}); !errors.Is(err, printerd.ErrNoCheckpoint) {
		t.Errorf("ExportAudit = %v, want audit_checkpoint_missing", err)
	}
}

// TestExportAuditFrom exports from an index on: the checkpoint (or the
// CSV header) first, then only the later entries, each with a proof that
// checks against the checkpoint.
func TestExportAuditFrom(t *testing.T) {
	ctx := context.Background()
	dir, vkey := MustAuditedJournal(t)
	// Reopen with the verifier key of the log (a new signer would not
	// match the stored checkpoints).
	j, err := journal.Open(dir, newClock().Now, journal.WithCheckpoints(journal.Checkpoints{VerifierKey: vkey}))
	mustOK(t, err)
	defer j.Close()

	var buf bytes.Buffer
	mustOK(t, j.ExportAudit(ctx, 7, "jsonl", &buf))
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	if !sc.Scan() {
		t.Fatal("empty export")
	}
	var head struct{ Checkpoint string }
	mustOK(t, json.Unmarshal(sc.Bytes(), &head))
	c, err := audit.OpenCheckpoint([]byte(head.Checkpoint), vkey)
	mustOK(t, err)
	var idx []int64
	for sc.Scan() {
		var x audit.Exported
		mustOK(t, json.Unmarshal(sc.Bytes(), &x))
		if err := audit.CheckExported(c, x); err != nil {
			t.Error(err)
		}
		idx = append(idx, x.Index)
	}
	if !slices.Equal(idx, []int64{7, 8}) {
		t.Errorf("exported indexes %v, want [7 8]", idx)
	}

	buf.Reset()
	mustOK(t, j.ExportAudit(ctx, 8, "csv", &buf))
	if _, n, err := audit.CheckExport(bytes.NewReader(buf.Bytes()), "csv", vkey); err != nil || n != 1 {
		t.Errorf("csv export from 8: %d entries checked, %v", n, err)
	}
	first, rest, _ := strings.Cut(buf.String(), "\n")
	if !strings.HasPrefix(first, audit.CSVCheckpointPrefix) {
		t.Errorf("csv export starts with %q, want its checkpoint", first)
	}
	recs, err := csv.NewReader(strings.NewReader(rest)).ReadAll()
	mustOK(t, err)
	if len(recs) != 2 || recs[0][0] != "index" || recs[1][0] != "8" || recs[1][2] != "card.voided" {
		t.Errorf("csv export from 8 = %q", recs)
	}

	for _, bad := range []struct {
		from   int64
		format string
	}{{0, "xml"}, {-1, "jsonl"}} {
		if err := j.ExportAudit(ctx, bad.from, bad.format, &buf); !errors.Is(err, printerd.ErrInvalidRequest) {
			t.Errorf("ExportAudit(%d, %q) = %v, want request_invalid", bad.from, bad.format, err)
		}
	}
}

// BenchmarkSubmitAudited is BenchmarkSubmit with checkpoints signed
// every 100 entries, as printerd runs.
func BenchmarkSubmitAudited(b *testing.B) {
	ctx := context.Background()
	opt, _ := MustCheckpoints(b, journal.DefaultCheckpointEvery, nil)
	j := MustOpen(b, b.TempDir(), opt)
	doc := MustRead(b, "card.pdf")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		n := strconv.Itoa(i)
		d := append(bytes.Clone(doc), n...)
		if _, _, err := j.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "bench-" + n, Media: printerd.MediaCard, Document: d}); err != nil {
			b.Fatal(err)
		}
	}
}
