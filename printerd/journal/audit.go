package journal

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/internal/durable"
)

// Audit entry kinds printerd writes (see docs/audit.md).
const (
	KindJobSubmitted        = "job.submitted"
	KindJobDispatched       = "job.dispatched"
	KindJobPrinted          = "job.printed"
	KindJobFailed           = "job.failed"
	KindJobHeld             = "job.held"
	KindJobCanceled         = "job.canceled"
	KindJobInDoubt          = "job.in_doubt"
	KindJobRequeued         = "job.requeued" // a retry, or a stopped printer gave the job back
	KindJobReleased         = "job.released"
	KindJobResolved         = "job.resolved"
	KindJobNoteErased       = "job.note_erased"
	KindCardsLoaded         = "cards.loaded"
	KindCardSpoiled         = "card.spoiled"
	KindCardVoided          = "card.voided"
	KindPrinterResumed      = "printer.resumed"
	KindPrinterFaultInject  = "printer.fault_injected"
	KindPrinterFaultCleared = "printer.fault_cleared"
)

// Checkpoint defaults.
const (
	DefaultCheckpointEvery    = 100
	DefaultCheckpointInterval = 5 * time.Minute
)

// checkpointDir holds a copy of every checkpoint, <size>.note, under the
// journal's directory.
const checkpointDir = "checkpoints"

// Checkpoints configures the signed checkpoints of the audit log.
type Checkpoints struct {
	Signer *audit.Signer
	// VerifierKey is the signer's public key (note format), with which
	// ExportAudit checks the checkpoint it exports.
	VerifierKey string
	// Every is the number of new entries that trigger a checkpoint
	// (default 100); Interval signs whatever is new at least that often
	// (default 5m).
	Every    int
	Interval time.Duration
	// Report, when set, is called after each checkpoint signed by the
	// background loop, or its failure. It must not block.
	Report func(size int64, err error)
}

// WithCheckpoints makes the journal sign checkpoints of its audit log in
// the background, every c.Every entries or c.Interval, and once more on
// Close. Without it entries are still appended; Checkpoint needs a signer.
func WithCheckpoints(c Checkpoints) Option {
	if c.Every <= 0 {
		c.Every = DefaultCheckpointEvery
	}
	if c.Interval <= 0 {
		c.Interval = DefaultCheckpointInterval
	}
	return func(j *Journal) { j.cp = c }
}

// begin starts a write transaction; the caller holds j.mu.
func (j *Journal) begin(ctx context.Context) (*txn, error) {
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	j.txSize = j.auditSize
	return &txn{Tx: tx, s: &j.stmts}, nil
}

// commit commits a write transaction begun with begin and wakes the
// checkpoint loop when Every entries wait for a signature.
func (j *Journal) commit(tx *txn) error {
	if err := tx.Commit(); err != nil {
		return err
	}
	j.auditSize = j.txSize
	if j.cp.Signer != nil && j.auditSize-j.signedSize >= int64(j.cp.Every) {
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

func (j *Journal) loadAuditSizes(ctx context.Context) error {
	n, err := audit.Size(ctx, j.db)
	if err != nil {
		return err
	}
	var signed sql.NullInt64
	err = j.db.QueryRowContext(ctx, `SELECT size FROM audit_checkpoints ORDER BY id DESC LIMIT 1`).Scan(&signed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	j.auditSize, j.txSize, j.signedSize = n, n, signed.Int64
	return nil
}

// record appends one entry in tx. Empty fields are left out.
func (j *Journal) record(ctx context.Context, tx *txn, t time.Time, kind, actor string, fields map[string]string) error {
	for k, v := range fields {
		if v == "" {
			delete(fields, k)
		}
	}
	idx, err := audit.Append(ctx, tx, audit.Entry{Time: t, Kind: kind, Actor: actor, Fields: fields})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	j.txSize = idx + 1
	return nil
}

// auditSubmitted records a new queued job; reprintOf names the in_doubt
// job it reprints.
func (j *Journal) auditSubmitted(ctx context.Context, tx *txn, t time.Time, job *printerd.Job, c change, reprintOf printerd.JobID) error {
	return j.record(ctx, tx, t, KindJobSubmitted, c.actor, map[string]string{
		"job": string(job.ID), "document_sha256": job.DocumentSHA256, "media": string(job.Media),
		"title": job.Title, "idempotency_key": job.IdempotencyKey, "reason": c.reason,
		"reprint_of": string(reprintOf), "reason_code": string(c.code),
	})
}

// auditMove records a job's state change.
func (j *Journal) auditMove(ctx context.Context, tx *txn, t time.Time, job *printerd.Job, from printerd.JobState, c change) error {
	fields := map[string]string{
		"job": string(job.ID), "document_sha256": job.DocumentSHA256, "from": string(from),
		"state": string(job.State), "reason": c.reason, "printer": job.Printer, "card_serial": job.CardSerial,
	}
	var kind string
	switch {
	case from == printerd.JobInDoubt:
		kind = KindJobResolved
		// The supervisor's note never enters the log: only its keyed hash.
		fields["action"], fields["reprint"] = string(c.action), string(c.reprint)
		fields["reason_code"], fields["note_hmac"] = string(c.code), c.noteHMAC
	case c.to == printerd.JobDispatching:
		kind = KindJobDispatched
		fields["attempt"] = strconv.Itoa(job.Attempts)
	case c.to == printerd.JobQueued && from == printerd.JobHeld:
		kind = KindJobReleased
		if c.reason == printerd.ReasonReattached {
			fields["presence"] = job.Presence // random, names the visit; nothing personal
		}
	case c.to == printerd.JobQueued:
		kind = KindJobRequeued
	default:
		kind = "job." + string(c.to)
	}
	return j.record(ctx, tx, t, kind, c.actor, fields)
}

// auditCardUse records a blank card spoiled by the printer or voided by
// a supervisor; a printed card is in its job's entry.
func (j *Journal) auditCardUse(ctx context.Context, tx *txn, t time.Time, job *printerd.Job, use printerd.CardUse, cause printerd.SpoilCause, serial, actor string) error {
	kind := map[printerd.CardUse]string{printerd.CardRejected: KindCardSpoiled, printerd.CardVoided: KindCardVoided}[use]
	if kind == "" {
		return nil
	}
	return j.record(ctx, tx, t, kind, actor, map[string]string{
		"job": string(job.ID), "printer": job.Printer, "card_serial": serial, "cause": string(cause),
	})
}

func (j *Journal) auditLoad(ctx context.Context, tx *txn, l printerd.Load) error {
	return j.record(ctx, tx, l.Time, KindCardsLoaded, l.Actor, map[string]string{
		"printer": l.Printer, "count": strconv.Itoa(l.Count), "first_serial": l.FirstSerial, "last_serial": l.LastSerial,
		"load": strconv.FormatInt(l.Seq, 10),
	})
}

func (j *Journal) auditPrinterAction(ctx context.Context, tx *txn, t time.Time, a printerd.PrinterAction) error {
	fields := map[string]string{"printer": a.Printer}
	var kind string
	switch a.Action {
	case printerd.PrinterResume:
		kind = KindPrinterResumed
	case printerd.PrinterFaultInject:
		kind = KindPrinterFaultInject
		if a.Fault != nil {
			fields["fault"], fields["at"], fields["count"] = a.Fault.Kind, a.Fault.At, strconv.Itoa(max(a.Fault.Count, 1))
		}
	case printerd.PrinterFaultClear:
		kind = KindPrinterFaultCleared
	default:
		return fmt.Errorf("unknown printer action %q", a.Action)
	}
	return j.record(ctx, tx, t, kind, a.Actor, fields)
}

// Checkpoint signs a checkpoint of the audit log when it has entries no
// checkpoint covers yet, stores it in the database and writes it durably
// to checkpoints/<size>.note in the journal's directory. It returns the
// signed note, or nil when there was nothing new to sign.
func (j *Journal) Checkpoint(ctx context.Context) ([]byte, error) {
	signed, _, err := j.checkpoint(ctx)
	return signed, err
}

func (j *Journal) checkpoint(ctx context.Context) ([]byte, int64, error) {
	if j.cp.Signer == nil {
		return nil, 0, printerd.ErrJournal.Withf("no audit signing key")
	}
	j.mu.Lock()
	size := j.auditSize
	if size == j.signedSize {
		j.mu.Unlock()
		return nil, size, nil
	}
	// Under the lock no entry lands between the size read and the signature.
	signed, err := j.cp.Signer.Checkpoint(ctx, j.db)
	if err == nil {
		j.signedSize = size
		j.wrote(nil)
	} else {
		j.writeFailed(ctx, nil, "checkpoint", err)
	}
	j.mu.Unlock()
	if err != nil {
		return nil, size, printerd.ErrJournal.With(err)
	}
	// The database holds the checkpoint already; the file is a copy for
	// whoever collects it, and outlives the database.
	if err := durable.WriteFile(filepath.Join(j.dir, checkpointDir), strconv.FormatInt(size, 10)+".note", signed, 0o640); err != nil {
		return signed, size, printerd.ErrJournal.With(err)
	}
	return signed, size, nil
}

func (j *Journal) checkpointLoop() {
	defer j.wg.Done()
	tick := time.NewTicker(j.cp.Interval)
	defer tick.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-j.kick:
		case <-tick.C:
		}
		signed, size, err := j.checkpoint(context.Background())
		if j.cp.Report != nil && (signed != nil || err != nil) {
			j.cp.Report(size, err)
		}
	}
}

// LatestCheckpoint returns the latest signed checkpoint, or
// ErrNoCheckpoint.
func (j *Journal) LatestCheckpoint(ctx context.Context) ([]byte, error) {
	signed, err := audit.Latest(ctx, j.db)
	if err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	if signed == nil {
		return nil, printerd.ErrNoCheckpoint.Withf("no checkpoint signed yet")
	}
	return signed, nil
}

// AuditSize returns the number of committed audit entries.
func (j *Journal) AuditSize() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.auditSize
}

// ExportAudit writes the latest checkpoint and the entries it covers from
// index from on, each with its inclusion proof (audit.Export), as "jsonl"
// or "csv". The export starts with the checkpoint (and the CSV's header).
func (j *Journal) ExportAudit(ctx context.Context, from int64, format string, w io.Writer) error {
	if format != "jsonl" && format != "csv" {
		return printerd.ErrInvalidRequest.Withf("format %q: jsonl or csv", format)
	}
	if from < 0 {
		return printerd.ErrInvalidRequest.Withf("from %d", from)
	}
	if j.cp.VerifierKey == "" {
		return printerd.ErrJournal.Withf("no audit verifier key")
	}
	signed, err := j.LatestCheckpoint(ctx)
	if err != nil {
		return err
	}
	f := &fromFilter{w: w, from: from, csv: format == "csv"}
	if err := audit.Export(ctx, j.db, j.cp.VerifierKey, signed, format, f); err != nil {
		return printerd.ErrJournal.With(err)
	}
	return f.flush()
}

// fromFilter passes the head of an export (the checkpoint line, and the
// column header of a CSV) and then only the lines of entries at index
// from or later. audit.Export writes whole entries in order; lines are
// cut here because the CSV writer buffers.
type fromFilter struct {
	w     io.Writer
	from  int64
	csv   bool
	buf   []byte
	lines int
}

func (f *fromFilter) Write(p []byte) (int, error) {
	f.buf = append(f.buf, p...)
	for {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if err := f.line(f.buf[:i+1]); err != nil {
			return 0, err
		}
		f.buf = f.buf[i+1:]
	}
}

func (f *fromFilter) line(l []byte) error {
	f.lines++
	head := 1
	if f.csv {
		head = 2
	}
	if f.lines > head {
		idx, err := f.index(l)
		if err != nil {
			return err
		}
		if idx < f.from {
			return nil
		}
	}
	_, err := f.w.Write(l)
	return err
}

// index reads the entry index of an export line. Neither format puts a
// raw newline inside an entry: JSON escapes it and CSV quotes fields
// that are JSON.
func (f *fromFilter) index(l []byte) (int64, error) {
	if f.csv {
		rec, err := csv.NewReader(bytes.NewReader(l)).Read()
		if err != nil || len(rec) == 0 {
			return 0, fmt.Errorf("export line: %v", err)
		}
		return strconv.ParseInt(rec[0], 10, 64)
	}
	var x struct {
		Index int64 `json:"index"`
	}
	err := json.Unmarshal(l, &x)
	return x.Index, err
}

func (f *fromFilter) flush() error {
	if len(f.buf) == 0 {
		return nil
	}
	return f.line(f.buf)
}
