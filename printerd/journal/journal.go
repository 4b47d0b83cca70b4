// Package journal is printerd's durable job journal: SQLite (WAL,
// synchronous=FULL) for jobs, their events and their documents, named by
// their SHA-256.
//
// A submission is one transaction: the document, the job row, its event
// and audit entry commit together, so a committed job always has its
// document, at the cost of one fsync. Every state change and its
// job_events row are one transaction. Writes are serialized by one
// mutex; reads run concurrently (WAL).
package journal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/printerd"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var (
	_ printerd.Journal     = (*Journal)(nil)
	_ printerd.BlankLedger = (*Journal)(nil)
)

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
`

// schemaV2 adds supervisor actions (actor and note on every event, links
// between a job and its reprint) and the blank-card ledger.
const schemaV2 = `
ALTER TABLE jobs ADD COLUMN print_no INTEGER NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN reprint_of TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN first_key TEXT NOT NULL DEFAULT ''; -- key of print 1 ('' for print 1 itself)
ALTER TABLE job_events ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE job_events ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE TABLE card_loads (
	seq          INTEGER PRIMARY KEY,
	printer      TEXT NOT NULL,
	count        INTEGER NOT NULL CHECK (count > 0),
	first_serial TEXT NOT NULL DEFAULT '',
	last_serial  TEXT NOT NULL DEFAULT '',
	actor        TEXT NOT NULL,
	time         INTEGER NOT NULL
);
CREATE TABLE card_uses (
	seq         INTEGER PRIMARY KEY,
	printer     TEXT NOT NULL,
	use         TEXT NOT NULL CHECK (use IN ('printed','rejected','voided')),
	job_id      TEXT NOT NULL REFERENCES jobs (id),
	card_serial TEXT NOT NULL DEFAULT '',
	actor       TEXT NOT NULL DEFAULT '', -- '' for the dispatcher
	time        INTEGER NOT NULL
);
-- A job is one document: it can be counted as printed once.
CREATE UNIQUE INDEX card_uses_printed ON card_uses (job_id) WHERE use = 'printed';
CREATE TABLE printer_events (
	seq     INTEGER PRIMARY KEY,
	time    INTEGER NOT NULL,
	printer TEXT NOT NULL,
	action  TEXT NOT NULL,
	actor   TEXT NOT NULL
);
`

// schemaV3 adds the audit log (internal/audit) and the details of a
// printer action (the fault injected).
var schemaV3 = audit.Schema + `
ALTER TABLE printer_events ADD COLUMN detail TEXT NOT NULL DEFAULT '';
`

// schemaV5 indexes the reprint link every job read looks up.
const schemaV5 = `CREATE INDEX IF NOT EXISTS jobs_reprint_of ON jobs (reprint_of);`

// schemaV7 indexes the document of the jobs that may still need it, so
// the spool check when a job ends, and the sweep at Open, look up an
// index instead of reading every job (Open took minutes with 10k queued).
// Its state list is written out, not ActiveStates: a migration is fixed
// once released, and a change of ActiveStates needs a new index (the
// queries name jobs_document, so a mismatch fails at once, on a new
// journal as on an upgraded one).
const schemaV7 = `CREATE INDEX IF NOT EXISTS jobs_document ON jobs (document_sha256)
	WHERE state IN ('queued', 'dispatching', 'held', 'in_doubt');`

// migrations are the journal's schema versions: migrations[i] takes it
// from version i to i+1 (schemaV4 is in notes.go, schemaV6 in
// presence.go, schemaV8 in custody.go, schemaV9 in fleet.go, schemaV10 in witness.go, schemaV11 in doctype.go, schemaV12 in documents.go). Append only; never edit a released step. The migration
// test (migrate_test.go) upgrades every earlier version, with data in it.
var migrations = []string{schema, schemaV2, schemaV3, schemaV4, schemaV5, schemaV6, schemaV7, schemaV8, schemaV9, schemaV10, schemaV11, schemaV12}

// schemaVersion is the user_version this printerd writes.
var schemaVersion = len(migrations)

// SchemaVersion is the user_version of a journal this printerd writes.
func SchemaVersion() int { return schemaVersion }

// jobColumns are a job's columns; the reprint links let a follower of a
// job in doubt find the print a supervisor queued in its place.
const jobColumns = `id, idempotency_key, media, title, document_sha256, state, reason,
	printer, card_serial, attempts, created, updated, reprint_of,
	COALESCE((SELECT r.id FROM jobs r WHERE r.reprint_of = jobs.id LIMIT 1), ''), presence, document_type`

// Journal is an open journal. It is safe for concurrent use.
type Journal struct {
	db       *sql.DB
	stmts    statements // prepared once; see stmt.go
	dir      string
	now      func() time.Time
	random   io.Reader
	cp       Checkpoints
	walEvery int // see wal.go

	mu        sync.Mutex // serializes writers and the id source
	recovered []printerd.Job
	health    health
	walWrites int       // write transactions since the last WAL checkpoint, under mu
	walExtra  int       // what the open write transaction counts for beyond one (documentWeight), under mu
	eraseDue  bool      // a document was deleted since the WAL was last erased (wal.go), under mu
	eraseNext time.Time // no erase before, after one a reader cut short (wal.go), under mu
	// Audit log sizes, under mu: committed entries, entries once the
	// open write transaction commits, and the latest checkpoint's size.
	auditSize, txSize, signedSize int64

	kick      chan struct{} // buffered 1: Every entries are waiting to be signed
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// busyTimeout is how long a connection waits for a lock another holds.
const busyTimeout = 10 * time.Second

// Option changes how Open sets up a Journal.
type Option func(*Journal)

// WithRandom makes job ids from r instead of crypto/rand (for tests).
func WithRandom(r io.Reader) Option { return func(j *Journal) { j.random = r } }

// Open opens or creates the journal in dir: dir/journal.db (an older
// journal's dir/spool/ is imported and removed: importSpool).
// Jobs found dispatching (a crash cut their print short) become in_doubt
// with reason crash-recovery; Recovered lists them. They are never queued
// again automatically.
func Open(dir string, now func() time.Time, opts ...Option) (*Journal, error) {
	if now == nil {
		now = time.Now
	}
	j := &Journal{dir: dir, now: now, random: rand.Reader,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), walEvery: DefaultWALCheckpointEvery}
	j.health.h.Writable = true // until a write fails
	for _, o := range opts {
		o(j)
	}
	if err := os.MkdirAll(filepath.Join(dir, checkpointDir), 0o750); err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	// Deleted content is overwritten with zeros, so an erased note leaves
	// no copy in free space (notes.go).
	q.Add("_pragma", "secure_delete(1)")
	// The journal checkpoints the WAL itself, outside the submission's
	// commit (wal.go).
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", filepath.Join(dir, "journal.db")+"?"+q.Encode())
	if err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	// Readers run in parallel under WAL; a small pool bounds the open files.
	db.SetMaxOpenConns(8)
	j.db = db
	j.stmts.db = db
	if err := j.setup(); err != nil {
		_ = db.Close()
		return nil, printerd.ErrJournal.With(err)
	}
	if err := j.importSpool(context.Background()); err != nil {
		_ = db.Close()
		return nil, printerd.ErrJournal.With(err)
	}
	if j.cp.Signer != nil {
		j.wg.Add(1)
		go j.checkpointLoop()
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
	if err := j.migrate(ctx); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if err := j.loadAuditSizes(ctx); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return j.recover(ctx)
}

// migrate brings the schema to schemaVersion in one transaction.
func (j *Journal) migrate(ctx context.Context) error {
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > schemaVersion {
		return fmt.Errorf("journal schema %d is newer than this printerd (%d)", version, schemaVersion)
	}
	for ; version < len(migrations); version++ {
		if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
			return fmt.Errorf("migration %d: %w", version+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

func (j *Journal) recover(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	tx, err := j.begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	jobs, err := queryJobs(ctx, tx, "SELECT "+jobColumns+" FROM jobs WHERE state = ? ORDER BY created, rowid", printerd.JobDispatching)
	if err != nil {
		return err
	}
	for i := range jobs {
		if err := j.move(ctx, tx, &jobs[i], change{to: recoveredState, reason: ReasonCrashRecovery}); err != nil {
			return err
		}
	}
	if err := j.commit(tx); err != nil {
		return err
	}
	j.recovered = jobs
	return nil
}

// Recovered returns the jobs Open found dispatching and made in_doubt.
func (j *Journal) Recovered() []printerd.Job { return j.recovered }

// Close stops the checkpoint loop, signs a last checkpoint when entries
// wait for one (a second try after a failure), and closes the database.
// It may be called more than once.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		close(j.stop)
		j.wg.Wait()
		var errs []error
		if j.cp.Signer != nil {
			// Tried twice: after a transient error the second covers the
			// entries, the record of that failure included, rather than
			// leaving them unsigned until the next start.
			_, err := j.Checkpoint(context.Background())
			if err != nil {
				_, err = j.Checkpoint(context.Background())
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		errs = append(errs, j.stmts.close(), j.db.Close())
		j.closeErr = errors.Join(errs...)
	})
	return j.closeErr
}

// Submit implements printerd.Journal.
func (j *Journal) Submit(ctx context.Context, req printerd.SubmitRequest) (printerd.Job, bool, error) {
	if err := req.Validate(); err != nil {
		return printerd.Job{}, false, err
	}
	sum := sha256.Sum256(req.Document)
	sha := hex.EncodeToString(sum[:])

	// A replay needs no write.
	if job, found, err := jobByKey(ctx, &j.stmts, req.IdempotencyKey); err != nil {
		return printerd.Job{}, false, printerd.ErrJournal.With(err)
	} else if found {
		return replay(job, sha)
	}

	j.mu.Lock()
	defer j.mu.Unlock()
	var job printerd.Job
	var replayed bool
	err := j.writeTx(ctx, "submit", func(tx *txn) error {
		// Checked again under the lock: a concurrent submission of the
		// same key may have committed since the read above.
		found, ok, err := jobByKey(ctx, tx, req.IdempotencyKey)
		if err != nil {
			return err
		} else if ok {
			job, replayed = found, true
			return errNoChange
		}
		id, err := j.newID()
		if err != nil {
			return err
		}
		now := j.now().UTC()
		job = printerd.Job{
			ID: id, IdempotencyKey: req.IdempotencyKey, Media: req.Media, Title: req.Title, DocumentType: req.DocumentType,
			DocumentSHA256: sha, State: printerd.JobQueued, Created: now, Updated: now, Presence: req.Presence,
		}
		// The document and its job commit together: a committed job
		// always has its document.
		if err := putDocument(ctx, tx, sha, req.Document); err != nil {
			return err
		}
		j.walExtra = j.documentWeight(len(req.Document))
		_, err = tx.ExecContext(ctx, `INSERT INTO jobs (id, idempotency_key, media, title,
			document_sha256, state, created, updated, presence, document_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			job.ID, job.IdempotencyKey, job.Media, job.Title, job.DocumentSHA256, job.State,
			now.UnixNano(), now.UnixNano(), job.Presence, job.DocumentType)
		if err != nil {
			return err
		}
		c := change{to: printerd.JobQueued, reason: "submitted"}
		if err := insertEvent(ctx, tx, job.ID, now, "", c); err != nil {
			return err
		}
		if err := j.auditSubmitted(ctx, tx, now, &job, c, ""); err != nil {
			return err
		}
		return outJob(ctx, tx, now, &job)
	})
	switch {
	case replayed:
		return replay(job, sha)
	case err != nil:
		return printerd.Job{}, false, journalError(err)
	}
	return job, true, nil
}

// journalError passes a *printerd.Error through and makes anything else
// ErrJournal.
func journalError(err error) error {
	var fe *printerd.Error
	if errors.As(err, &fe) {
		return fe
	}
	return printerd.ErrJournal.With(err)
}

// ActiveStates are the states in which a job may still need its stored
// document: to print it, or for a supervisor to reprint it. As an SQL
// list.
const ActiveStates = "'queued', 'dispatching', 'held', 'in_doubt'"

// activeDocument selects the jobs that still need a document; its state
// test is the one of index jobs_document, which it uses.
const activeDocument = "SELECT 1 FROM jobs WHERE document_sha256 = ? AND state IN (" + ActiveStates + ") LIMIT 1"

func replay(job printerd.Job, sha string) (printerd.Job, bool, error) {
	if job.DocumentSHA256 != sha {
		return job, false, printerd.ErrIdempotencyConflict.Withf(
			"key of job %s submitted again with another document", job.ID)
	}
	return job, false, nil
}

// Get implements printerd.Journal.
func (j *Journal) Get(ctx context.Context, id printerd.JobID) (printerd.Job, error) {
	jobs, err := queryJobs(ctx, &j.stmts, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", id)
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
	nanos := func(t time.Time) int64 { // 0: open
		if t.IsZero() {
			return 0
		}
		return t.UnixNano()
	}
	jobs, err := queryJobs(ctx, j.db, "SELECT "+jobColumns+` FROM jobs
		WHERE (?1 = '' OR state = ?1) AND (?3 = 0 OR created >= ?3) AND (?4 = 0 OR created < ?4)
		AND (?5 = '' OR idempotency_key = ?5) AND (?6 = 0 OR updated >= ?6) AND (?7 = 0 OR updated < ?7)
		ORDER BY created DESC, rowid DESC LIMIT ?2`, f.State, limit, nanos(f.Since), nanos(f.Until), f.Key,
		nanos(f.UpdatedSince), nanos(f.UpdatedUntil))
	if err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	// Checked after the read: while the journal is unwritable, a failed
	// write of this key may still surface at the next start (see
	// writeFailed); once a write has succeeded since, none can.
	if f.Key != "" && len(jobs) == 0 && !j.Health().Writable {
		return nil, printerd.ErrJournal.Withf("no job has key %q, but a failed write may hold one until the journal writes again", f.Key)
	}
	return jobs, nil
}

// ClaimNext implements printerd.Journal: a job whose citizen has left is
// held (citizen_absent), and a card job whose printer has no blank card
// left is held (no-blanks), instead.
func (j *Journal) ClaimNext(ctx context.Context, media printerd.Media, printer string) (printerd.Job, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.walDue(ctx, media)
	var job printerd.Job
	err := j.writeTx(ctx, "claim", func(tx *txn) error {
		jobs, err := queryJobs(ctx, tx, "SELECT "+jobColumns+` FROM jobs
			WHERE state = ? AND media = ? ORDER BY created, rowid LIMIT 1`, printerd.JobQueued, media)
		if err != nil {
			return err
		}
		if len(jobs) == 0 {
			return errNoChange
		}
		job = jobs[0]
		// The citizen must be at the kiosk when the job is claimed:
		// checked in the claim's transaction, so a visit that ends first
		// is seen.
		here, err := present(ctx, tx, job.Presence, j.now())
		if err != nil {
			return err
		}
		if !here {
			return j.move(ctx, tx, &job, change{to: printerd.JobHeld, reason: printerd.ReasonCitizenAbsent})
		}
		left := 1
		if media.Counted() {
			// Read in the claim's transaction: a load or a card use that
			// commits first is seen, and none can slip in between.
			if left, err = remaining(ctx, tx, printer); err != nil {
				return err
			}
		}
		if left <= 0 {
			return j.move(ctx, tx, &job, change{to: printerd.JobHeld, reason: printerd.ReasonNoBlanks, printer: printer})
		}
		job.Attempts++
		return j.move(ctx, tx, &job, change{to: printerd.JobDispatching, printer: printer})
	})
	switch {
	case errors.Is(err, errNoChange):
		return printerd.Job{}, false, nil
	case err != nil:
		return printerd.Job{}, false, printerd.ErrJournal.With(err)
	}
	return job, true, nil
}

// remaining is the blank cards of printer in the ledger: loaded (less
// reversed loads) − used;
// 0 when nothing was ever loaded.
func remaining(ctx context.Context, q querier, printer string) (int, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+loadedSQL+` - `+usedSQL, printer)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	if rows.Next() {
		err = rows.Scan(&n)
	}
	if err == nil {
		err = rows.Err()
	}
	return n, err
}

// Finish implements printerd.Journal.
func (j *Journal) Finish(ctx context.Context, id printerd.JobID, r printerd.Result) (printerd.Job, error) {
	if r.State == printerd.JobDispatching || !printerd.CanMove(printerd.JobDispatching, r.State) {
		return printerd.Job{}, printerd.ErrInvalidRequest.Withf("cannot finish a job as %q", r.State)
	}
	return j.update(ctx, "finish", id, func(tx *txn, job *printerd.Job) error {
		if job.State != printerd.JobDispatching {
			return stateError(job, r.State)
		}
		if err := j.move(ctx, tx, job, change{to: r.State, reason: r.Reason, printer: r.Printer, serial: r.CardSerial}); err != nil {
			return err
		}
		switch {
		case r.State == printerd.JobPrinted:
			return j.useCard(ctx, tx, job, printerd.CardPrinted, "", job.CardSerial, "")
		case r.Spoiled:
			return j.useCard(ctx, tx, job, printerd.CardRejected, printerd.RejectCause(r.Reason), r.CardSerial, "")
		}
		return nil
	})
}

// Cancel implements printerd.Journal.
func (j *Journal) Cancel(ctx context.Context, id printerd.JobID, reason string) (printerd.Job, error) {
	return j.update(ctx, "cancel", id, func(tx *txn, job *printerd.Job) error {
		if job.State == printerd.JobDispatching {
			// The transition table allows it for a driver's cancel
			// outcome, not for a request while the printer has the job.
			return stateError(job, printerd.JobCanceled)
		}
		return j.move(ctx, tx, job, change{to: printerd.JobCanceled, reason: reason})
	})
}

// Release implements printerd.Journal.
func (j *Journal) Release(ctx context.Context, id printerd.JobID, actor string) (printerd.Job, error) {
	return j.update(ctx, "release", id, func(tx *txn, job *printerd.Job) error {
		if job.State != printerd.JobHeld {
			return stateError(job, printerd.JobQueued)
		}
		if job.Reason == printerd.ReasonCitizenAbsent {
			// The supervisor hands the document over in person: it no
			// longer waits for the visit that ended.
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET presence = '' WHERE id = ?`, job.ID); err != nil {
				return err
			}
			job.Presence = ""
			return j.move(ctx, tx, job, change{to: printerd.JobQueued, reason: printerd.ReasonHandedOver, actor: actor})
		}
		return j.move(ctx, tx, job, change{to: printerd.JobQueued, reason: printerd.ReasonReleased, actor: actor})
	})
}

// Resolve implements printerd.Journal.
func (j *Journal) Resolve(ctx context.Context, id printerd.JobID, r printerd.Resolution) (printerd.Resolved, error) {
	if err := r.Validate(); err != nil {
		return printerd.Resolved{}, err
	}
	var reprint *printerd.Job
	job, err := j.update(ctx, "resolve", id, func(tx *txn, job *printerd.Job) error {
		if job.State != printerd.JobInDoubt {
			return stateError(job, printerd.JobPrinted)
		}
		c := change{actor: r.Actor, action: r.Action, code: r.ReasonCode}
		// The note is kept apart from the events, where it can be erased;
		// the events and the audit log get its keyed hash.
		if note := strings.TrimSpace(r.Note); note != "" {
			var err error
			if c.noteHMAC, err = saveNote(ctx, tx, job.ID, note, r.Actor, j.now()); err != nil {
				return err
			}
		}
		use := printerd.CardUse("")
		switch r.Action {
		case printerd.ActionPrinted:
			c.to, c.reason, c.serial, use = printerd.JobPrinted, printerd.ReasonConfirmed, r.CardSerial, printerd.CardPrinted
		case printerd.ActionVoid:
			c.to, c.reason, c.serial, use = printerd.JobFailed, printerd.ReasonVoided, r.CardSerial, printerd.CardVoided
		case printerd.ActionReprint:
			c.to, c.reason = printerd.JobFailed, printerd.ReasonReprinted
			if r.CardSerial != "" {
				use = printerd.CardVoided // a spoiled card of the first attempt
			}
			next, err := j.queueReprint(ctx, tx, job, r)
			if err != nil {
				return err
			}
			reprint = &next
			c.reprint = next.ID
			c.note = "reprinted as " + string(next.ID)
		}
		if err := j.move(ctx, tx, job, c); err != nil {
			return err
		}
		if use != "" {
			serial := r.CardSerial
			if use == printerd.CardPrinted {
				serial = job.CardSerial
			}
			return j.useCard(ctx, tx, job, use, r.ReasonCode.Cause(), serial, r.Actor)
		}
		return nil
	})
	if err != nil {
		return printerd.Resolved{}, err
	}
	return printerd.Resolved{Job: job, Reprint: reprint}, nil
}

// queueReprint inserts the next print of job's document as a new queued
// job, under a key derived from the first print's key and the print
// number.
func (j *Journal) queueReprint(ctx context.Context, tx *txn, job *printerd.Job, r printerd.Resolution) (printerd.Job, error) {
	var printNo int
	var firstKey string
	if err := tx.QueryRowContext(ctx, "SELECT print_no, first_key FROM jobs WHERE id = ?", job.ID).Scan(&printNo, &firstKey); err != nil {
		return printerd.Job{}, err
	}
	if firstKey == "" {
		firstKey = job.IdempotencyKey
	}
	key := printerd.ReprintKey(firstKey, printNo+1)
	if _, found, err := jobByKey(ctx, tx, key); err != nil {
		return printerd.Job{}, err
	} else if found {
		return printerd.Job{}, printerd.ErrIdempotencyConflict.Withf("reprint key of job %s is taken", job.ID)
	}
	id, err := j.newID()
	if err != nil {
		return printerd.Job{}, err
	}
	now := j.now().UTC()
	next := printerd.Job{
		ID: id, IdempotencyKey: key, Media: job.Media, Title: job.Title, DocumentType: job.DocumentType,
		DocumentSHA256: job.DocumentSHA256, State: printerd.JobQueued, Created: now, Updated: now,
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO jobs (id, idempotency_key, media, title,
		document_sha256, state, created, updated, print_no, reprint_of, first_key, document_type)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		next.ID, next.IdempotencyKey, next.Media, next.Title, next.DocumentSHA256, next.State,
		now.UnixNano(), now.UnixNano(), printNo+1, job.ID, firstKey, next.DocumentType)
	if err != nil {
		return printerd.Job{}, err
	}
	c := change{to: printerd.JobQueued, reason: printerd.ReasonReprint,
		actor: r.Actor, note: "reprint of " + string(job.ID), code: r.ReasonCode}
	if err := insertEvent(ctx, tx, next.ID, now, "", c); err != nil {
		return printerd.Job{}, err
	}
	if err := outJob(ctx, tx, now, &next); err != nil {
		return printerd.Job{}, err
	}
	return next, j.auditSubmitted(ctx, tx, now, &next, c, job.ID)
}

// useCard counts one blank card of job's printer, when its media is
// counted.
func (j *Journal) useCard(ctx context.Context, tx *txn, job *printerd.Job, use printerd.CardUse, cause printerd.SpoilCause, serial, actor string) error {
	if !job.Media.Counted() {
		return nil
	}
	if use == printerd.CardPrinted {
		cause = ""
	}
	now := j.now().UTC()
	_, err := tx.ExecContext(ctx, `INSERT INTO card_uses (printer, use, job_id, card_serial, cause, actor, time)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, job.Printer, use, job.ID, serial, cause, actor, now.UnixNano())
	if err != nil {
		return err
	}
	kind := "spoil"
	if use == printerd.CardPrinted {
		kind = "print"
	}
	if err := outBlank(ctx, tx, now, job.Printer, kind, 1, string(cause)); err != nil {
		return err
	}
	return j.auditCardUse(ctx, tx, now, job, use, cause, serial, actor)
}

// RecordLoad implements printerd.Journal.
func (j *Journal) RecordLoad(ctx context.Context, l printerd.Load) (printerd.Load, error) {
	if err := l.Validate(); err != nil {
		return printerd.Load{}, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	l.Time = j.now().UTC()
	err := j.writeTx(ctx, "load", func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO card_loads (printer, count, first_serial, last_serial, actor, time)
			VALUES (?, ?, ?, ?, ?, ?)`, l.Printer, l.Count, l.FirstSerial, l.LastSerial, l.Actor, l.Time.UnixNano())
		if err != nil {
			return err
		}
		if l.Seq, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := outBlank(ctx, tx, l.Time, l.Printer, "load", l.Count, ""); err != nil {
			return err
		}
		return j.auditLoad(ctx, tx, l)
	})
	if err != nil {
		return printerd.Load{}, printerd.ErrJournal.With(err)
	}
	return l, nil
}

// Tallies implements printerd.Journal.
func (j *Journal) Tallies(ctx context.Context) ([]printerd.Tally, error) {
	rows, err := j.db.QueryContext(ctx, `
		SELECT printer, SUM(loaded), SUM(printed), SUM(rejected), SUM(voided), SUM(spoiled), SUM(destroyed) FROM (
			SELECT printer, count AS loaded, 0 AS printed, 0 AS rejected, 0 AS voided, 0 AS spoiled, 0 AS destroyed FROM card_loads l
				WHERE NOT EXISTS (SELECT 1 FROM card_load_reversals r WHERE r.load_seq = l.seq)
			UNION ALL
			SELECT printer, 0, use = 'printed', use = 'rejected', use = 'voided', use = 'spoiled',
				EXISTS (SELECT 1 FROM card_destroyed x WHERE x.use_seq = u.seq) FROM card_uses u)
		GROUP BY printer ORDER BY printer`)
	if err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	defer rows.Close()
	var out []printerd.Tally
	for rows.Next() {
		var t printerd.Tally
		if err := rows.Scan(&t.Printer, &t.Loaded, &t.Printed, &t.Rejected, &t.Voided, &t.Spoiled, &t.Destroyed); err != nil {
			return nil, printerd.ErrJournal.With(err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	return out, nil
}

// RecordPrinterAction implements printerd.Journal.
func (j *Journal) RecordPrinterAction(ctx context.Context, a printerd.PrinterAction) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now().UTC()
	detail := ""
	if a.Fault != nil {
		detail = a.Fault.String()
	}
	err := j.writeTx(ctx, "printer-action", func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO printer_events (time, printer, action, actor, detail)
			VALUES (?, ?, ?, ?, ?)`, now.UnixNano(), a.Printer, a.Action, a.Actor, detail)
		if err != nil {
			return err
		}
		return j.auditPrinterAction(ctx, tx, now, a)
	})
	if err != nil {
		return printerd.ErrJournal.With(err)
	}
	return nil
}

func stateError(job *printerd.Job, to printerd.JobState) error {
	return printerd.ErrJobState.Withf("job %s is %s, cannot become %s", job.ID, job.State, to)
}

// update runs fn on job id in one write transaction and commits. fn's
// *fault.Error values pass through; other errors are ErrJournal.
func (j *Journal) update(ctx context.Context, op string, id printerd.JobID, fn func(tx *txn, job *printerd.Job) error) (printerd.Job, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var job printerd.Job
	dropped := false
	err := j.writeTx(ctx, op, func(tx *txn) error {
		jobs, err := queryJobs(ctx, tx, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", id)
		if err != nil {
			return err
		}
		if len(jobs) == 0 {
			return printerd.ErrJobNotFound.Withf("job %q", id)
		}
		job = jobs[0]
		if err := fn(tx, &job); err != nil {
			return err
		}
		if job.State.Terminal() && job.State != printerd.JobInDoubt {
			dropped, err = dropDocument(ctx, tx, job.DocumentSHA256)
		}
		return err
	})
	if err != nil {
		return printerd.Job{}, journalError(err)
	}
	j.eraseDue = j.eraseDue || dropped
	return job, nil
}

// change is one state change of a job. Empty printer or serial keep the
// recorded ones; actor is "" for printerd's own changes. action, code,
// reprint and noteHMAC are set by a supervisor's resolution; note is
// printerd's own words (the link to a reprint), never the supervisor's.
type change struct {
	to              printerd.JobState
	reason, note    string
	printer, serial string
	actor           string
	action          printerd.Action
	code            printerd.ReasonCode
	reprint         printerd.JobID
	noteHMAC        string // keyed hash of the supervisor's note (notes.go)
}

// move writes job's new state and its event in tx, after checking the
// transition table.
func (j *Journal) move(ctx context.Context, tx *txn, job *printerd.Job, c change) error {
	from := job.State
	if !printerd.CanMove(from, c.to) {
		return stateError(job, c.to)
	}
	now := j.now().UTC()
	job.State, job.Reason, job.Updated = c.to, c.reason, now
	if c.printer != "" {
		job.Printer = c.printer
	}
	if c.serial != "" {
		job.CardSerial = c.serial
	}
	_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = ?, reason = ?, printer = ?,
		card_serial = ?, attempts = ?, updated = ? WHERE id = ?`,
		job.State, job.Reason, job.Printer, job.CardSerial, job.Attempts, now.UnixNano(), job.ID)
	if err != nil {
		return err
	}
	c.printer = job.Printer
	if err := insertEvent(ctx, tx, job.ID, now, from, c); err != nil {
		return err
	}
	if err := outJob(ctx, tx, now, job); err != nil {
		return err
	}
	return j.auditMove(ctx, tx, now, job, from, c)
}

func insertEvent(ctx context.Context, tx *txn, id printerd.JobID, t time.Time, from printerd.JobState, c change) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO job_events (job_id, time, from_state, to_state,
		reason, printer, actor, note, reason_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, t.UnixNano(), from, c.to, c.reason, c.printer, c.actor, c.note, c.code)
	return err
}

// Event is one state change of a job, as job_events records it.
type Event = printerd.JobEvent

var _ printerd.JobHistorian = (*Journal)(nil)

// Events returns the state changes of a job, oldest first.
func (j *Journal) Events(ctx context.Context, id printerd.JobID) ([]Event, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT time, from_state, to_state, reason, printer, actor, note, reason_code
		FROM job_events WHERE job_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var t int64
		if err := rows.Scan(&t, &e.From, &e.To, &e.Reason, &e.Printer, &e.Actor, &e.Note, &e.ReasonCode); err != nil {
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
			&job.Attempts, &created, &updated, &job.ReprintOf, &job.ReprintedAs, &job.Presence, &job.DocumentType); err != nil {
			return nil, err
		}
		job.Created, job.Updated = time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
		out = append(out, job)
	}
	return out, rows.Err()
}
