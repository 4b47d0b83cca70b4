package journal

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// A supervisor's note on a resolution is free text and may name the
// citizen. The audit log is append-only and can never forget, so the
// note is kept here instead, in resolution_notes, where it can be erased;
// the job.resolved entry holds its reason code and note_hmac, the
// HMAC-SHA256 of the note under a random key of that note alone. While
// the note is kept, anyone with the journal can check it against the
// log; once erased, note and key are gone, and nobody (printerd
// included) can test a guess of the words against the hash.

// schemaV4 adds reason codes to events and the erasable notes.
const schemaV4 = `
ALTER TABLE job_events ADD COLUMN reason_code TEXT NOT NULL DEFAULT '';
CREATE TABLE resolution_notes (
	job_id    TEXT PRIMARY KEY REFERENCES jobs (id), -- the job resolved
	note      TEXT NOT NULL,                         -- the supervisor's words; '' once erased
	note_key  BLOB,                                  -- the key of note_hmac; NULL once erased
	actor     TEXT NOT NULL,
	time      INTEGER NOT NULL,
	erased    INTEGER NOT NULL DEFAULT 0,            -- Unix nanoseconds of the erasure; 0 while kept
	erased_by TEXT NOT NULL DEFAULT ''
);
`

// noteKeySize is the size of a note's HMAC key.
const noteKeySize = 32

// NoteHMAC is the note_hmac of an audit entry: hex HMAC-SHA256 of the
// note's UTF-8 bytes under its key.
func NoteHMAC(key []byte, note string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(note))
	return hex.EncodeToString(m.Sum(nil))
}

// saveNote stores the note of job's resolution under a new random key
// and returns its HMAC.
func saveNote(ctx context.Context, tx *txn, job printerd.JobID, note, actor string, now time.Time) (string, error) {
	key := make([]byte, noteKeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("note key: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO resolution_notes (job_id, note, note_key, actor, time)
		VALUES (?, ?, ?, ?, ?)`, job, note, key, actor, now.UTC().UnixNano())
	if err != nil {
		return "", err
	}
	return NoteHMAC(key, note), nil
}

// Note is the note of a job's resolution as the journal keeps it.
type Note struct {
	Job   printerd.JobID
	Text  string // "" once erased
	Key   []byte // the HMAC key; nil once erased
	Actor string // who wrote it
	Time  time.Time
	// Erased is when it was erased (zero while kept), ErasedBy by whom.
	Erased   time.Time
	ErasedBy string
}

// ErrNoNote: the job's resolution has no note (none was given, or the
// job was not resolved).
var ErrNoNote = errors.New("journal: no note")

// Note returns the note of job id's resolution, or ErrNoNote.
func (j *Journal) Note(ctx context.Context, id printerd.JobID) (Note, error) {
	n := Note{Job: id}
	var t, erased int64
	err := j.db.QueryRowContext(ctx, `SELECT note, note_key, actor, time, erased, erased_by
		FROM resolution_notes WHERE job_id = ?`, id).Scan(&n.Text, &n.Key, &n.Actor, &t, &erased, &n.ErasedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return Note{}, ErrNoNote
	}
	if err != nil {
		return Note{}, printerd.ErrJournal.With(err)
	}
	n.Time = time.Unix(0, t).UTC()
	if erased != 0 {
		n.Erased = time.Unix(0, erased).UTC()
	}
	return n, nil
}

// EraseNote implements printerd.Journal. The note and its key are
// overwritten (secure_delete is on, so SQLite zeroes the old bytes), the
// erasure is audited as job.note_erased, and the write-ahead log is
// checkpointed and truncated so that no older copy of the page stays in
// it. The job's own rows and the audit log are unchanged. Erasing again
// finds nothing and returns false; it still truncates the log, so a
// retry after a failed truncation completes the erasure.
func (j *Journal) EraseNote(ctx context.Context, id printerd.JobID, actor string) (bool, error) {
	erased := false
	_, err := j.update(ctx, "erase-note", id, func(tx *txn, job *printerd.Job) error {
		now := j.now().UTC()
		res, err := tx.ExecContext(ctx, `UPDATE resolution_notes SET note = '', note_key = NULL, erased = ?, erased_by = ?
			WHERE job_id = ? AND erased = 0`, now.UnixNano(), actor, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		erased = true
		return j.record(ctx, tx, now, KindJobNoteErased, actor, map[string]string{
			"job": string(job.ID), "document_sha256": job.DocumentSHA256,
		})
	})
	if err != nil {
		return false, err
	}
	if err := j.truncateWAL(ctx); err != nil {
		return erased, printerd.ErrJournal.Withf("note erased; truncating the write-ahead log failed, erase again: %w", err)
	}
	return erased, nil
}

// truncateWAL copies the write-ahead log into the database and empties
// it, waiting (busy_timeout) for readers.
func (j *Journal) truncateWAL(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var busy, frames, done int
	if err := j.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil {
		return err
	}
	if busy != 0 {
		return errors.New("wal_checkpoint(TRUNCATE): busy")
	}
	return nil
}
