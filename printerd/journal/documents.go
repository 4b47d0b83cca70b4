package journal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"

	"github.com/anjungan/anjungan/printerd"
)

// schemaV12 keeps each document in the journal, in the transaction that
// records its job: a submission then costs one fsync, the WAL's at its
// commit, where a spool file beside the database cost three (the file,
// its directory, the WAL; docs/printerd.md). A row holds one document
// under its SHA-256 while a job may still print it; the write that ends
// the last such job deletes it, and secure_delete zeroes its pages.
// Earlier journals kept documents in dir/spool; Open moves the ones still
// needed into this table (importSpool).
// wal_erased holds when eraseWAL last started the WAL over (wal.go).
const schemaV12 = `CREATE TABLE documents (
	sha256 TEXT PRIMARY KEY,
	body   BLOB NOT NULL
);
CREATE TABLE wal_erased (at INTEGER NOT NULL);
INSERT INTO wal_erased (at) VALUES (0);`

// putDocument stores doc under sha in tx, unless the journal holds it
// already (a second job of the same PDF).
func putDocument(ctx context.Context, tx *txn, sha string, doc []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO documents (sha256, body) VALUES (?, ?)
		ON CONFLICT (sha256) DO NOTHING`, sha, doc)
	return err
}

// dropDocument deletes a document in tx once no job needs it, and reports
// whether it did: it holds personal data and stays no longer than the
// print. It runs in the write that ends a job, so no crash can leave a
// document without its job or keep one after the last. The caller then
// has the WAL erased (wal.go).
func dropDocument(ctx context.Context, tx *txn, sha string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE sha256 = ? AND NOT EXISTS (`+activeDocument+`)`, sha, sha)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Document implements printerd.Journal. The stored bytes are checked
// against the recorded SHA-256.
func (j *Journal) Document(ctx context.Context, id printerd.JobID) ([]byte, error) {
	job, err := j.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	var doc []byte
	err = j.stmts.QueryRowContext(ctx, `SELECT body FROM documents WHERE sha256 = ?`, job.DocumentSHA256).Scan(&doc)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, printerd.ErrSpoolUnavailable.Withf("document of job %s is not in the journal", id)
	case err != nil:
		return nil, printerd.ErrJournal.With(err)
	}
	sum := sha256.Sum256(doc)
	if hex.EncodeToString(sum[:]) != job.DocumentSHA256 {
		return nil, printerd.ErrSpoolUnavailable.Withf("stored document of job %s does not match its SHA-256", id)
	}
	return doc, nil
}

// importSpool moves the documents of a journal written before schemaV12
// from dir/spool into the documents table: in one transaction the ones a
// job may still print (a file whose bytes match its name), then every
// file and the folder go. A crash before the commit leaves the files for
// the next start; one after it leaves files already stored, which the
// next start removes. A journal without the folder does nothing.
func (j *Journal) importSpool(ctx context.Context) error {
	dir := filepath.Join(j.dir, "spool")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	needed, err := j.neededDocuments(ctx)
	if err != nil {
		return err
	}
	err = j.writeTx(ctx, "import-spool", func(tx *txn) error {
		for _, e := range entries {
			n := e.Name()
			if !e.Type().IsRegular() || !needed[n] {
				continue // an ended job's document, a crash's temporary file
			}
			doc, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				return err
			}
			if sum := sha256.Sum256(doc); hex.EncodeToString(sum[:]) != n {
				continue // a damaged file: its job's Document says so
			}
			if err := putDocument(ctx, tx, n, doc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// neededDocuments are the SHA-256 of the documents some job may still
// print (index jobs_document). The caller holds j.mu.
func (j *Journal) neededDocuments(ctx context.Context) (map[string]bool, error) {
	rows, err := j.db.QueryContext(ctx, "SELECT document_sha256 FROM jobs INDEXED BY jobs_document WHERE state IN ("+ActiveStates+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	needed := map[string]bool{}
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return nil, err
		}
		needed[sha] = true
	}
	return needed, rows.Err()
}
