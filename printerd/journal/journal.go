// Package journal is printerd's durable job journal: SQLite (WAL,
// synchronous=FULL) for jobs and their events, and a spool directory of
// documents named by their SHA-256.
//
// Order of writes for a submission: the document is made durable in the
// spool (temp file, fsync, rename, fsync directory) before the job row
// commits, so a committed job always has its document. Every state change
// and its job_events row are one transaction. Writes are serialized by one
// mutex; reads run concurrently (WAL).
package journal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/internal/durable"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var _ printerd.Journal = (*Journal)(nil)

// ReasonCrashRecovery is the reason of a job found dispatching at Open.
const ReasonCrashRecovery = "crash-recovery"

const schema = `
CREATE TABLE IF NOT EXISTS jobs (
	id              TEXT PRIMARY KEY,
	idempotency_key TEXT NOT NULL UNIQUE,
	media           TEXT NOT NULL,
	title           TEXT NOT NULL,
	document_sha256 TEXT NOT NULL,
	state           TEXT NOT NULL CHECK (state IN
		('queued','dispatching','printed','held','failed','canceled','in_doubt')),
	reason          TEXT NOT NULL DEFAULT '',
	printer         TEXT NOT NULL DEFAULT '',
	card_serial     TEXT NOT NULL DEFAULT '',
	attempts        INTEGER NOT NULL DEFAULT 0,
	created         INTEGER NOT NULL, -- Unix nanoseconds
	updated         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (state, media, created);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created);
CREATE TABLE IF NOT EXISTS job_events (
	seq        INTEGER PRIMARY KEY,
	job_id     TEXT NOT NULL REFERENCES jobs (id),
	time       INTEGER NOT NULL, -- Unix nanoseconds
	from_state TEXT NOT NULL, -- '' for the submission
	to_state   TEXT NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	printer    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS job_events_job ON job_events (job_id, seq);
PRAGMA user_version = 1;
`

const jobColumns = `id, idempotency_key, media, title, document_sha256, state, reason,
	printer, card_serial, attempts, created, updated`

// Journal is an open journal. It is safe for concurrent use.
type Journal struct {
	db       *sql.DB
	spoolDir string
	now      func() time.Time
	random   io.Reader

	mu        sync.Mutex // serializes writers and the id source
	recovered []printerd.Job
}

// Option changes how Open sets up a Journal.
type Option func(*Journal)

// WithRandom makes job ids from r instead of crypto/rand (for tests).
func WithRandom(r io.Reader) Option { return func(j *Journal) { j.random = r } }

// Open opens or creates the journal in dir: dir/journal.db and dir/spool/.
// Jobs found dispatching (a crash cut their print short) become in_doubt
// with reason crash-recovery; Recovered lists them. They are never queued
// again automatically.
func Open(dir string, now func() time.Time, opts ...Option) (*Journal, error) {
	if now == nil {
		now = time.Now
	}
	j := &Journal{spoolDir: filepath.Join(dir, "spool"), now: now, random: rand.Reader}
	for _, o := range opts {
		o(j)
	}
	if err := os.MkdirAll(j.spoolDir, 0o750); err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	if err := durable.Sweep(j.spoolDir); err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", filepath.Join(dir, "journal.db")+"?"+q.Encode())
	if err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	// Readers run in parallel under WAL; a small pool bounds the open files.
	db.SetMaxOpenConns(8)
	j.db = db
	if err := j.setup(); err != nil {
		_ = db.Close()
		return nil, printerd.ErrJournal.With(err)
	}
	return j, nil
}

func (j *Journal) setup() error {
	ctx := context.Background()
	var mode string
	if err := j.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	var sync int
	if err := j.db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return err
	}
	if sync < 2 {
		return fmt.Errorf("synchronous is %d, want FULL (2)", sync)
	}
	if _, err := j.db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	return j.recover(ctx)
}

func (j *Journal) recover(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	jobs, err := queryJobs(ctx, tx, "SELECT "+jobColumns+" FROM jobs WHERE state = ? ORDER BY created, rowid", printerd.JobDispatching)
	if err != nil {
		return err
	}
	for i := range jobs {
		if err := j.move(ctx, tx, &jobs[i], printerd.JobInDoubt, ReasonCrashRecovery, "", ""); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	j.recovered = jobs
	return nil
}

// Recovered returns the jobs Open found dispatching and made in_doubt.
func (j *Journal) Recovered() []printerd.Job { return j.recovered }

// Close closes the database.
func (j *Journal) Close() error { return j.db.Close() }

// Submit implements printerd.Journal.
func (j *Journal) Submit(ctx context.Context, req printerd.SubmitRequest) (printerd.Job, bool, error) {
	if err := req.Validate(); err != nil {
		return printerd.Job{}, false, err
	}
	sum := sha256.Sum256(req.Document)
	sha := hex.EncodeToString(sum[:])

	// A replay needs no spool write.
	if job, found, err := jobByKey(ctx, j.db, req.IdempotencyKey); err != nil {
		return printerd.Job{}, false, printerd.ErrJournal.With(err)
	} else if found {
		return replay(job, sha)
	}
	if err := j.spool(sha, req.Document); err != nil {
		return printerd.Job{}, false, printerd.ErrSpoolUnavailable.With(err)
	}

	j.mu.Lock()
	defer j.mu.Unlock()
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return printerd.Job{}, false, printerd.ErrJournal.With(err)
	}
	defer func() { _ = tx.Rollback() }()
	// Checked again under the lock: a concurrent submission of the same
	// key may have committed since the read above.
	if job, found, err := jobByKey(ctx, tx, req.IdempotencyKey); err != nil {
		return printerd.Job{}, false, printerd.ErrJournal.With(err)
	} else if found {
		return replay(job, sha)
	}
	id, err := j.newID()
	if err != nil {
		return printerd.Job{}, false, printerd.ErrJournal.With(err)
	}
	now := j.now().UTC()
	job := printerd.Job{
		ID: id, IdempotencyKey: req.IdempotencyKey, Media: req.Media, Title: req.Title,
		DocumentSHA256: sha, State: printerd.JobQueued, Created: now, Updated: now,
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO jobs (id, idempotency_key, media, title,
		document_sha256, state, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		job.ID, job.IdempotencyKey, job.Media, job.Title, job.DocumentSHA256, job.State,
		now.UnixNano(), now.UnixNano())
	if err == nil {
		err = insertEvent(ctx, tx, job.ID, now, "", printerd.JobQueued, "submitted", "")
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return printerd.Job{}, false, printerd.ErrJournal.With(err)
	}
	return job, true, nil
}

func replay(job printerd.Job, sha string) (printerd.Job, bool, error) {
	if job.DocumentSHA256 != sha {
		return printerd.Job{}, false, printerd.ErrIdempotencyConflict.Withf(
			"key of job %s submitted again with another document", job.ID)
	}
	return job, false, nil
}

// spool makes the document durable under its SHA-256. A file already
// there was renamed into place whole, so it holds the same bytes.
func (j *Journal) spool(sha string, doc []byte) error {
	if _, err := os.Stat(filepath.Join(j.spoolDir, sha)); err == nil {
		// Its name may come from a write whose directory sync failed.
		return durable.SyncDir(j.spoolDir)
	}
	return durable.WriteFile(j.spoolDir, sha, doc, 0o640)
}

// Document implements printerd.Journal. The spooled bytes are checked
// against the recorded SHA-256.
func (j *Journal) Document(ctx context.Context, id printerd.JobID) ([]byte, error) {
	job, err := j.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	doc, err := os.ReadFile(filepath.Join(j.spoolDir, job.DocumentSHA256))
	if err != nil {
		return nil, printerd.ErrSpoolUnavailable.With(err)
	}
	sum := sha256.Sum256(doc)
	if hex.EncodeToString(sum[:]) != job.DocumentSHA256 {
		return nil, printerd.ErrSpoolUnavailable.Withf("spooled document of job %s does not match its SHA-256", id)
	}
	return doc, nil
}

// Get implements printerd.Journal.
func (j *Journal) Get(ctx context.Context, id printerd.JobID) (printerd.Job, error) {
	jobs, err := queryJobs(ctx, j.db, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", id)
	if err != nil {
		return printerd.Job{}, printerd.ErrJournal.With(err)
	}
	if len(jobs) == 0 {
		return printerd.Job{}, printerd.ErrJobNotFound.Withf("job %q", id)
	}
	return jobs[0], nil
}

// List implements printerd.Journal.
func (j *Journal) List(ctx context.Context, f printerd.JobFilter) ([]printerd.Job, error) {
	if f.State != "" && !f.State.Valid() {
		return nil, printerd.ErrInvalidRequest.Withf("unknown state %q", f.State)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = printerd.DefaultListLimit
	}
	limit = min(limit, printerd.MaxListLimit)
	jobs, err := queryJobs(ctx, j.db, "SELECT "+jobColumns+` FROM jobs
		WHERE ?1 = '' OR state = ?1 ORDER BY created DESC, rowid DESC LIMIT ?2`, f.State, limit)
	if err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	return jobs, nil
}

// ClaimNext implements printerd.Journal.
func (j *Journal) ClaimNext(ctx context.Context, media printerd.Media, printer string) (printerd.Job, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return printerd.Job{}, false, printerd.ErrJournal.With(err)
	}
	defer func() { _ = tx.Rollback() }()
	jobs, err := queryJobs(ctx, tx, "SELECT "+jobColumns+` FROM jobs
		WHERE state = ? AND media = ? ORDER BY created, rowid LIMIT 1`, printerd.JobQueued, media)
	if err != nil {
		return printerd.Job{}, false, printerd.ErrJournal.With(err)
	}
	if len(jobs) == 0 {
		return printerd.Job{}, false, nil
	}
	job := jobs[0]
	job.Attempts++
	err = j.move(ctx, tx, &job, printerd.JobDispatching, "", printer, "")
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return printerd.Job{}, false, printerd.ErrJournal.With(err)
	}
	return job, true, nil
}

// Finish implements printerd.Journal.
func (j *Journal) Finish(ctx context.Context, id printerd.JobID, state printerd.JobState, reason, printer, cardSerial string) (printerd.Job, error) {
	switch state {
	case printerd.JobPrinted, printerd.JobFailed, printerd.JobHeld, printerd.JobCanceled,
		printerd.JobInDoubt, printerd.JobQueued:
	default:
		return printerd.Job{}, printerd.ErrInvalidRequest.Withf("cannot finish a job as %q", state)
	}
	return j.transition(ctx, id, []printerd.JobState{printerd.JobDispatching}, state, reason, printer, cardSerial)
}

// Cancel implements printerd.Journal.
func (j *Journal) Cancel(ctx context.Context, id printerd.JobID, reason string) (printerd.Job, error) {
	return j.transition(ctx, id, []printerd.JobState{printerd.JobQueued, printerd.JobHeld},
		printerd.JobCanceled, reason, "", "")
}

// transition moves job id from one of the states in from to state.
func (j *Journal) transition(ctx context.Context, id printerd.JobID, from []printerd.JobState, state printerd.JobState, reason, printer, cardSerial string) (printerd.Job, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return printerd.Job{}, printerd.ErrJournal.With(err)
	}
	defer func() { _ = tx.Rollback() }()
	jobs, err := queryJobs(ctx, tx, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", id)
	if err != nil {
		return printerd.Job{}, printerd.ErrJournal.With(err)
	}
	if len(jobs) == 0 {
		return printerd.Job{}, printerd.ErrJobNotFound.Withf("job %q", id)
	}
	job := jobs[0]
	allowed := false
	for _, s := range from {
		allowed = allowed || job.State == s
	}
	if !allowed {
		return printerd.Job{}, printerd.ErrJobState.Withf("job %s is %s, cannot become %s", id, job.State, state)
	}
	err = j.move(ctx, tx, &job, state, reason, printer, cardSerial)
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return printerd.Job{}, printerd.ErrJournal.With(err)
	}
	return job, nil
}

// move writes job's new state and its event in tx. An empty printer or
// card serial keeps the recorded one.
func (j *Journal) move(ctx context.Context, tx *sql.Tx, job *printerd.Job, to printerd.JobState, reason, printer, cardSerial string) error {
	from := job.State
	now := j.now().UTC()
	job.State, job.Reason, job.Updated = to, reason, now
	if printer != "" {
		job.Printer = printer
	}
	if cardSerial != "" {
		job.CardSerial = cardSerial
	}
	_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = ?, reason = ?, printer = ?,
		card_serial = ?, attempts = ?, updated = ? WHERE id = ?`,
		job.State, job.Reason, job.Printer, job.CardSerial, job.Attempts, now.UnixNano(), job.ID)
	if err != nil {
		return err
	}
	return insertEvent(ctx, tx, job.ID, now, from, to, reason, job.Printer)
}

func insertEvent(ctx context.Context, tx *sql.Tx, id printerd.JobID, t time.Time, from, to printerd.JobState, reason, printer string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO job_events (job_id, time, from_state, to_state,
		reason, printer) VALUES (?, ?, ?, ?, ?, ?)`, id, t.UnixNano(), from, to, reason, printer)
	return err
}

// Event is one state change of a job, as job_events records it.
type Event struct {
	Time    time.Time
	From    printerd.JobState // "" for the submission
	To      printerd.JobState
	Reason  string
	Printer string
}

// Events returns the state changes of a job, oldest first.
func (j *Journal) Events(ctx context.Context, id printerd.JobID) ([]Event, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT time, from_state, to_state, reason, printer
		FROM job_events WHERE job_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var t int64
		if err := rows.Scan(&t, &e.From, &e.To, &e.Reason, &e.Printer); err != nil {
			return nil, printerd.ErrJournal.With(err)
		}
		e.Time = time.Unix(0, t).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	return out, nil
}

// idEncoding spells job ids in upper-case base32 without padding.
var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns "J" and 12 base32 characters (60 random bits). The caller
// holds j.mu, so an injected reader need not be safe for concurrent use.
func (j *Journal) newID() (printerd.JobID, error) {
	var b [8]byte
	if _, err := io.ReadFull(j.random, b[:]); err != nil {
		return "", fmt.Errorf("job id: %w", err)
	}
	return printerd.JobID("J" + idEncoding.EncodeToString(b[:])[:12]), nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func jobByKey(ctx context.Context, q querier, key string) (printerd.Job, bool, error) {
	jobs, err := queryJobs(ctx, q, "SELECT "+jobColumns+" FROM jobs WHERE idempotency_key = ?", key)
	if err != nil || len(jobs) == 0 {
		return printerd.Job{}, false, err
	}
	return jobs[0], true, nil
}

func queryJobs(ctx context.Context, q querier, query string, args ...any) ([]printerd.Job, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []printerd.Job
	for rows.Next() {
		var job printerd.Job
		var created, updated int64
		if err := rows.Scan(&job.ID, &job.IdempotencyKey, &job.Media, &job.Title,
			&job.DocumentSHA256, &job.State, &job.Reason, &job.Printer, &job.CardSerial,
			&job.Attempts, &created, &updated); err != nil {
			return nil, err
		}
		job.Created, job.Updated = time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
		out = append(out, job)
	}
	return out, rows.Err()
}
