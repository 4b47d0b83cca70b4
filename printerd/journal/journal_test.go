package journal_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

// clock is a fake time source that moves 1 ms on every reading, so that
// every event has its own time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func MustOpen(tb testing.TB, dir string, opts ...journal.Option) *journal.Journal {
	tb.Helper()
	j, err := journal.Open(dir, newClock().Now, opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = j.Close() })
	return j
}

func MustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func MustSubmit(tb testing.TB, j *journal.Journal, req printerd.SubmitRequest) printerd.Job {
	tb.Helper()
	job, _, err := j.Submit(context.Background(), req)
	if err != nil {
		tb.Fatalf("Submit(%s): %v", req.IdempotencyKey, err)
	}
	return job
}

// MustLoad records n blank cards loaded into card-1: a card job is
// claimed only while the ledger has one left (see TestClaimHoldsWithoutBlanks).
func MustLoad(tb testing.TB, j *journal.Journal, n int) {
	tb.Helper()
	if _, err := j.RecordLoad(context.Background(), printerd.Load{Printer: "card-1", Count: n, Actor: "test"}); err != nil {
		tb.Fatal(err)
	}
}

func cardRequest(tb testing.TB, key string) printerd.SubmitRequest {
	return printerd.SubmitRequest{IdempotencyKey: key, Media: printerd.MediaCard, Title: "KTP-el", DocumentType: "ktp-el", Document: MustRead(tb, "card.pdf")}
}

func TestOpenCreatesFiles(t *testing.T) {
	dir := t.TempDir()
	MustOpen(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "journal.db")); err != nil {
		t.Error(err)
	}
	// Documents are kept in the journal, not in a folder beside it.
	if _, err := os.Stat(filepath.Join(dir, "spool")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("spool: %v, want none", err)
	}
}

// mustDB opens dir's journal.db on a connection of the test's own, as
// another program would, and closes it when the test ends.
func mustDB(tb testing.TB, dir string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "journal.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// storedDocuments counts the documents the journal in dir holds.
func storedDocuments(tb testing.TB, dir string) int {
	tb.Helper()
	var n int
	if err := mustDB(tb, dir).QueryRow("SELECT count(*) FROM documents").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestSubmit(t *testing.T) {
	card, a4 := MustRead(t, "card.pdf"), MustRead(t, "a4.pdf")
	tests := []struct {
		name        string
		first       *printerd.SubmitRequest // submitted before req, if set
		req         printerd.SubmitRequest
		wantErr     error
		wantCreated bool
		sameAsFirst bool
	}{
		{name: "new card job", req: printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaCard, Title: "KTP-el", Document: card}, wantCreated: true},
		{name: "new a4 job", req: printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaA4, Title: "Kartu Keluarga", Document: a4}, wantCreated: true},
		{
			name:        "replay returns the same job",
			first:       &printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaCard, Title: "KTP-el", Document: card},
			req:         printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaCard, Title: "KTP-el", Document: card},
			sameAsFirst: true,
		},
		{
			name:    "same key, other document",
			first:   &printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaCard, Title: "KTP-el", Document: card},
			req:     printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaA4, Title: "Kartu Keluarga", Document: a4},
			wantErr: printerd.ErrIdempotencyConflict,
		},
		{name: "missing key", req: printerd.SubmitRequest{Media: printerd.MediaCard, Document: card}, wantErr: printerd.ErrInvalidJob},
		{name: "key with a space", req: printerd.SubmitRequest{IdempotencyKey: "a b", Media: printerd.MediaCard, Document: card}, wantErr: printerd.ErrInvalidJob},
		{name: "unknown media", req: printerd.SubmitRequest{IdempotencyKey: "k1", Media: "na_letter_8.5x11in", Document: card}, wantErr: printerd.ErrInvalidJob},
		{name: "empty document", req: printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaCard, Document: MustRead(t, "empty.pdf")}, wantErr: printerd.ErrInvalidJob},
		{name: "not a pdf", req: printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaCard, Document: MustRead(t, "not-a-pdf.txt")}, wantErr: printerd.ErrInvalidJob},
		{name: "title with a newline", req: printerd.SubmitRequest{IdempotencyKey: "k1", Media: printerd.MediaCard, Title: "KTP\nel", Document: card}, wantErr: printerd.ErrInvalidJob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			j := MustOpen(t, t.TempDir())
			var first printerd.Job
			if tt.first != nil {
				first = MustSubmit(t, j, *tt.first)
			}
			job, created, err := j.Submit(ctx, tt.req)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Submit error = %v, want %v", err, tt.wantErr)
			}
			jobs, lerr := j.List(ctx, printerd.JobFilter{})
			if lerr != nil {
				t.Fatal(lerr)
			}
			wantJobs := 0
			if tt.first != nil {
				wantJobs++
			}
			if tt.wantCreated {
				wantJobs++
			}
			if len(jobs) != wantJobs {
				t.Errorf("journal holds %d jobs, want %d", len(jobs), wantJobs)
			}
			if errors.Is(err, printerd.ErrIdempotencyConflict) && job != first {
				t.Errorf("conflict names %+v, want the key's job %+v", job, first)
			}
			if err != nil {
				return
			}
			if created != tt.wantCreated {
				t.Errorf("created = %v, want %v", created, tt.wantCreated)
			}
			if tt.sameAsFirst && job != first {
				t.Errorf("replay = %+v, want %+v", job, first)
			}
			if job.State != printerd.JobQueued || !strings.HasPrefix(string(job.ID), "J") || len(job.ID) != 13 {
				t.Errorf("job = %+v, want a queued job with an id J+12", job)
			}
			doc, err := j.Document(ctx, job.ID)
			if err != nil || !bytes.Equal(doc, tt.req.Document) {
				t.Errorf("Document = %d bytes, %v; want the submitted bytes", len(doc), err)
			}
			got, err := j.Get(ctx, job.ID)
			if err != nil || got != job {
				t.Errorf("Get = %+v, %v; want %+v", got, err, job)
			}
		})
	}
}

func TestSubmitConcurrentSameKey(t *testing.T) {
	ctx := context.Background()
	j := MustOpen(t, t.TempDir())
	req := cardRequest(t, "same-key")
	const n = 50
	var wg sync.WaitGroup
	jobs := make([]printerd.Job, n)
	created := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jobs[i], created[i], errs[i] = j.Submit(ctx, req)
		}()
	}
	wg.Wait()
	creations := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("submission %d: %v", i, errs[i])
		}
		if jobs[i].ID != jobs[0].ID {
			t.Errorf("submission %d got job %s, want %s", i, jobs[i].ID, jobs[0].ID)
		}
		if created[i] {
			creations++
		}
	}
	if creations != 1 {
		t.Errorf("%d submissions created a job, want 1", creations)
	}
	all, err := j.List(ctx, printerd.JobFilter{})
	if err != nil || len(all) != 1 {
		t.Errorf("List = %d jobs, %v; want 1", len(all), err)
	}
}

func TestReopenTurnsDispatchingInDoubt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	j, err := journal.Open(dir, newClock().Now)
	if err != nil {
		t.Fatal(err)
	}
	MustLoad(t, j, 10)
	claimed := MustSubmit(t, j, cardRequest(t, "crashed"))
	waiting := MustSubmit(t, j, cardRequest(t, "waiting"))
	if got, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); err != nil || !ok || got.ID != claimed.ID {
		t.Fatalf("ClaimNext = %v, %v, %v; want %s", got.ID, ok, err, claimed.ID)
	}
	// The process dies here, with the job dispatching.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j = MustOpen(t, dir)
	got, err := j.Get(ctx, claimed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != printerd.JobInDoubt || got.Reason != journal.ReasonCrashRecovery || got.Printer != "card-1" {
		t.Errorf("after reopen: %+v, want in_doubt, crash-recovery, card-1", got)
	}
	if rec := j.Recovered(); len(rec) != 1 || rec[0].ID != claimed.ID {
		t.Errorf("Recovered = %+v, want [%s]", rec, claimed.ID)
	}
	// The next claim takes the job that waited, never the one in doubt.
	next, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1")
	if err != nil || !ok || next.ID != waiting.ID {
		t.Fatalf("ClaimNext = %v, %v, %v; want %s", next.ID, ok, err, waiting.ID)
	}
	if _, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); ok || err != nil {
		t.Errorf("ClaimNext found another job (%v, %v); the in_doubt job must never be queued again", ok, err)
	}
	events, err := j.Events(ctx, claimed.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []printerd.JobState{printerd.JobQueued, printerd.JobDispatching, printerd.JobInDoubt}
	if len(events) != len(want) {
		t.Fatalf("events = %+v, want %v", events, want)
	}
	for i, e := range events {
		if e.To != want[i] {
			t.Errorf("event %d to %s, want %s", i, e.To, want[i])
		}
	}
	if e := events[2]; e.From != printerd.JobDispatching || e.Reason != journal.ReasonCrashRecovery {
		t.Errorf("recovery event = %+v", e)
	}
}

// TestSubmitIsOneTransaction: a submission whose document, job, event or
// audit entry cannot be written leaves neither a job nor a document, and
// the jobs from before keep theirs. A trigger of the test's own fails
// each write in turn, as a full disk or an I/O error would.
func TestSubmitIsOneTransaction(t *testing.T) {
	for _, table := range []string{"documents", "jobs", "job_events", "audit_entries"} {
		t.Run(table, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			j := MustOpen(t, dir)
			old := MustSubmit(t, j, cardRequest(t, "before"))
			if _, err := mustDB(t, dir).Exec(`CREATE TRIGGER fail BEFORE INSERT ON ` + table + ` BEGIN SELECT RAISE(ABORT, 'no room'); END`); err != nil {
				t.Fatal(err)
			}
			_, _, err := j.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "after", Media: printerd.MediaA4, Document: MustRead(t, "a4.pdf")})
			if !errors.Is(err, printerd.ErrJournal) {
				t.Fatalf("Submit error = %v, want journal_unavailable", err)
			}
			jobs, err := j.List(ctx, printerd.JobFilter{})
			if err != nil || len(jobs) != 1 || jobs[0].ID != old.ID {
				t.Errorf("List = %+v, %v; want only the job from before", jobs, err)
			}
			if n := storedDocuments(t, dir); n != 1 {
				t.Errorf("%d documents stored, want the one of the job from before", n)
			}
			if doc, err := j.Document(ctx, old.ID); err != nil || !bytes.Equal(doc, MustRead(t, "card.pdf")) {
				t.Errorf("document of the job from before: %v", err)
			}
		})
	}
}

// TestDamagedDocumentIsDetected: a stored document that no longer
// matches its job's SHA-256, or that is gone, is spool_unavailable, never
// other bytes printed.
func TestDamagedDocumentIsDetected(t *testing.T) {
	for _, tt := range []struct{ name, damage string }{
		{"tampered", `UPDATE documents SET body = CAST('%PDF-1.4 tampered' AS BLOB)`},
		{"gone", `DELETE FROM documents`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			j := MustOpen(t, dir)
			job := MustSubmit(t, j, cardRequest(t, "k"))
			if _, err := mustDB(t, dir).Exec(tt.damage); err != nil {
				t.Fatal(err)
			}
			if _, err := j.Document(ctx, job.ID); !errors.Is(err, printerd.ErrSpoolUnavailable) {
				t.Errorf("Document error = %v, want spool_unavailable", err)
			}
		})
	}
}

func TestTransitions(t *testing.T) {
	type step func(ctx context.Context, j *journal.Journal, id printerd.JobID) (printerd.Job, error)
	claim := func(ctx context.Context, j *journal.Journal, id printerd.JobID) (printerd.Job, error) {
		job, _, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1")
		return job, err
	}
	finish := func(s printerd.JobState, reason, serial string) step {
		return func(ctx context.Context, j *journal.Journal, id printerd.JobID) (printerd.Job, error) {
			return j.Finish(ctx, id, printerd.Result{State: s, Reason: reason, Printer: "card-1", CardSerial: serial})
		}
	}
	cancel := func(ctx context.Context, j *journal.Journal, id printerd.JobID) (printerd.Job, error) {
		return j.Cancel(ctx, id, "canceled-by-request")
	}
	tests := []struct {
		name      string
		steps     []step
		wantErr   error // of the last step
		wantState printerd.JobState
	}{
		{"printed with serial", []step{claim, finish(printerd.JobPrinted, "", "SIM-000001")}, nil, printerd.JobPrinted},
		{"retry goes back to queued", []step{claim, finish(printerd.JobQueued, "media-jam", "")}, nil, printerd.JobQueued},
		{"held", []step{claim, finish(printerd.JobHeld, "media-empty", "")}, nil, printerd.JobHeld},
		{"cancel queued", []step{cancel}, nil, printerd.JobCanceled},
		{"cancel held", []step{claim, finish(printerd.JobHeld, "media-empty", ""), cancel}, nil, printerd.JobCanceled},
		{"cancel dispatching", []step{claim, cancel}, printerd.ErrJobState, printerd.JobDispatching},
		{"cancel printed", []step{claim, finish(printerd.JobPrinted, "", ""), cancel}, printerd.ErrJobState, printerd.JobPrinted},
		{"finish a queued job", []step{finish(printerd.JobPrinted, "", "")}, printerd.ErrJobState, printerd.JobQueued},
		{"finish twice", []step{claim, finish(printerd.JobInDoubt, "uncertain", ""), finish(printerd.JobPrinted, "", "")}, printerd.ErrJobState, printerd.JobInDoubt},
		{"finish as dispatching", []step{claim, finish(printerd.JobDispatching, "", "")}, printerd.ErrInvalidRequest, printerd.JobDispatching},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			j := MustOpen(t, t.TempDir())
			MustLoad(t, j, 10)
			job := MustSubmit(t, j, cardRequest(t, "k"))
			var err error
			for i, s := range tt.steps {
				_, err = s(ctx, j, job.ID)
				if i < len(tt.steps)-1 && err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Errorf("last step error = %v, want %v", err, tt.wantErr)
			}
			got, gerr := j.Get(ctx, job.ID)
			if gerr != nil || got.State != tt.wantState {
				t.Errorf("state = %s, %v; want %s", got.State, gerr, tt.wantState)
			}
			_, serr := j.Document(ctx, job.ID)
			if want := !tt.wantState.Terminal() || tt.wantState == printerd.JobInDoubt; (serr == nil) != want {
				t.Errorf("%s job's document in the journal: %v, want it there: %v", tt.wantState, serr, want)
			}
		})
	}
}

// TestDocumentKeptWhileNeeded: a document leaves the journal when the
// last job that may print it ends, and not before; a new submission of
// the same document stores it again. Once it has left, the dispatcher's
// next poll erases the WAL, and its bytes are found in none of the
// journal's files (secure_delete zeroed its pages in journal.db).
func TestDocumentKeptWhileNeeded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	j := MustOpen(t, dir)
	// A mark no other write holds, to look for in the files.
	mark := "DOCUMENT-MARK-" + strings.Repeat("7f3a", 16)
	req := func(key string) printerd.SubmitRequest {
		r := cardRequest(t, key)
		r.Document = append(bytes.Clone(r.Document), mark...)
		return r
	}
	first := MustSubmit(t, j, req("first"))
	second := MustSubmit(t, j, req("second")) // the same document
	if _, err := j.Cancel(ctx, first.ID, "canceled-by-request"); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Document(ctx, second.ID); err != nil {
		t.Fatalf("document deleted while a second job still needs it: %v", err)
	}
	if _, err := j.Cancel(ctx, second.ID, "canceled-by-request"); err != nil {
		t.Fatal(err)
	}
	if n := storedDocuments(t, dir); n != 0 {
		t.Fatalf("%d documents stored after every job ended", n)
	}
	// Until the dispatcher polls, the WAL still holds the frames of the
	// submission: the search below can see what it looks for.
	if files := filesHolding(t, dir, mark); len(files) == 0 {
		t.Fatal("the document is in none of the journal's files before the erase: the search sees nothing")
	}
	if _, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); err != nil || ok {
		t.Fatalf("ClaimNext of an empty queue = %v, %v", ok, err)
	}
	if files := filesHolding(t, dir, mark); len(files) != 0 {
		t.Errorf("the document of ended jobs is still in %v after the dispatcher's poll", files)
	}
	third := MustSubmit(t, j, req("third"))
	if _, err := j.Document(ctx, third.ID); err != nil {
		t.Fatalf("document of a new job with an earlier document: %v", err)
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	j := MustOpen(t, t.TempDir())
	if _, err := j.Get(ctx, "JNOSUCHJOB000"); !errors.Is(err, printerd.ErrJobNotFound) {
		t.Errorf("Get error = %v", err)
	}
	if _, err := j.Cancel(ctx, "JNOSUCHJOB000", ""); !errors.Is(err, printerd.ErrJobNotFound) {
		t.Errorf("Cancel error = %v", err)
	}
	if _, err := j.Document(ctx, "JNOSUCHJOB000"); !errors.Is(err, printerd.ErrJobNotFound) {
		t.Errorf("Document error = %v", err)
	}
}

func TestClaimOrder(t *testing.T) {
	ctx := context.Background()
	j := MustOpen(t, t.TempDir())
	MustLoad(t, j, 10)
	first := MustSubmit(t, j, cardRequest(t, "1"))
	MustSubmit(t, j, printerd.SubmitRequest{IdempotencyKey: "kk", Media: printerd.MediaA4, Document: MustRead(t, "a4.pdf")})
	second := MustSubmit(t, j, cardRequest(t, "2"))
	for _, want := range []printerd.JobID{first.ID, second.ID} {
		got, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1")
		if err != nil || !ok || got.ID != want || got.Attempts != 1 || got.State != printerd.JobDispatching {
			t.Fatalf("ClaimNext = %+v, %v, %v; want %s dispatching, attempt 1", got, ok, err, want)
		}
	}
	if _, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); ok || err != nil {
		t.Errorf("ClaimNext on an empty card queue = %v, %v", ok, err)
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	j := MustOpen(t, t.TempDir())
	MustLoad(t, j, 10)
	a := MustSubmit(t, j, cardRequest(t, "a"))
	b := MustSubmit(t, j, cardRequest(t, "b"))
	c := MustSubmit(t, j, cardRequest(t, "c"))
	claimed, _, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1")
	if err != nil || claimed.ID != a.ID {
		t.Fatal(claimed, err)
	}
	tests := []struct {
		filter  printerd.JobFilter
		want    []printerd.JobID
		wantErr error
	}{
		{printerd.JobFilter{}, []printerd.JobID{c.ID, b.ID, a.ID}, nil},
		{printerd.JobFilter{Limit: 2}, []printerd.JobID{c.ID, b.ID}, nil},
		{printerd.JobFilter{State: printerd.JobQueued}, []printerd.JobID{c.ID, b.ID}, nil},
		{printerd.JobFilter{State: printerd.JobDispatching}, []printerd.JobID{a.ID}, nil},
		{printerd.JobFilter{State: printerd.JobPrinted}, nil, nil},
		{printerd.JobFilter{State: "lost"}, nil, printerd.ErrInvalidRequest},
		// The clock moves 1 ms per call: created in [b, c) is b alone.
		{printerd.JobFilter{Since: b.Created, Until: c.Created}, []printerd.JobID{b.ID}, nil},
		{printerd.JobFilter{Since: b.Created}, []printerd.JobID{c.ID, b.ID}, nil},
		{printerd.JobFilter{Until: b.Created}, []printerd.JobID{a.ID}, nil},
		{printerd.JobFilter{Since: c.Created.Add(time.Hour)}, nil, nil},
		// a was claimed after c was submitted: it last changed after c.
		{printerd.JobFilter{UpdatedSince: claimed.Updated}, []printerd.JobID{a.ID}, nil},
		{printerd.JobFilter{UpdatedUntil: claimed.Updated}, []printerd.JobID{c.ID, b.ID}, nil},
		{printerd.JobFilter{State: printerd.JobQueued, UpdatedSince: b.Updated, UpdatedUntil: c.Updated}, []printerd.JobID{b.ID}, nil},
		{printerd.JobFilter{Until: b.Created, UpdatedSince: c.Updated}, []printerd.JobID{a.ID}, nil},
	}
	for _, tt := range tests {
		got, err := j.List(ctx, tt.filter)
		if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
			t.Errorf("List(%+v) error = %v, want %v", tt.filter, err, tt.wantErr)
			continue
		}
		var ids []printerd.JobID
		for _, job := range got {
			ids = append(ids, job.ID)
		}
		if strings.Join(idStrings(ids), ",") != strings.Join(idStrings(tt.want), ",") {
			t.Errorf("List(%+v) = %v, want %v", tt.filter, ids, tt.want)
		}
	}
}

func idStrings(ids []printerd.JobID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

func TestInjectedRandomness(t *testing.T) {
	j := MustOpen(t, t.TempDir(), journal.WithRandom(bytes.NewReader(make([]byte, 64))))
	job := MustSubmit(t, j, cardRequest(t, "k"))
	if job.ID != "JAAAAAAAAAAAA" {
		t.Errorf("id from zero bytes = %s, want JAAAAAAAAAAAA", job.ID)
	}
}

func BenchmarkSubmit(b *testing.B) {
	ctx := context.Background()
	j := MustOpen(b, b.TempDir())
	doc := MustRead(b, "card.pdf")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		// A distinct document each time, so every submission stores one
		// in its committed transaction.
		n := strconv.Itoa(i)
		d := append(bytes.Clone(doc), n...)
		if _, _, err := j.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "bench-" + n, Media: printerd.MediaCard, Document: d}); err != nil {
			b.Fatal(err)
		}
	}
}
