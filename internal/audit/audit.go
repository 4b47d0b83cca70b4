// Package audit is the tamper-evident log each service keeps: an RFC 6962
// Merkle tree (golang.org/x/mod/sumdb/tlog) over its entries, stored in the
// service's own SQLite database and appended in the same transaction as
// the state change an entry records, with checkpoints signed in the
// signed-note format. Verify recomputes everything and detects a changed,
// deleted, inserted or reordered entry, a truncated log and a fork.
//
// Entries never hold personal data: the subject is an HMAC of the NIK
// under a station key (SubjectOf), and fields carry codes, ids and hashes.
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Entry is one audited event. Encode gives the bytes stored and hashed;
// the JSON tags are for reading entries (Decode) and for exports.
type Entry struct {
	Time    time.Time         `json:"time"`
	Kind    string            `json:"kind"`              // e.g. job.printed, login.refused
	Actor   string            `json:"actor,omitempty"`   // a supervisor's account, a service name
	Subject string            `json:"subject,omitempty"` // SubjectOf(key, NIK); never the NIK
	Fields  map[string]string `json:"fields,omitempty"`  // codes, ids, hashes; never personal data
}

// Record is an entry as stored: its index and the exact bytes hashed.
type Record struct {
	Index int64
	Data  []byte
}

// Decode parses a stored record's bytes.
func Decode(data []byte) (Entry, error) {
	var e Entry
	if len(data) > MaxEntrySize {
		return e, fmt.Errorf("audit: entry of %d bytes exceeds %d", len(data), MaxEntrySize)
	}
	err := json.Unmarshal(data, &e)
	return e, err
}

// MaxEntrySize bounds one entry; an entry holds ids and hashes, not documents.
const MaxEntrySize = 16 << 10

// SubjectOf is the audit subject of a NIK: hex HMAC-SHA256 under the
// station's subject key. A plain hash of a NIK would not be pseudonymous:
// the NIK's structure makes it easy to enumerate.
func SubjectOf(key []byte, nikDigits string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(nikDigits))
	return hex.EncodeToString(m.Sum(nil))
}

// Schema creates the audit tables in a service's database.
const Schema = `
CREATE TABLE IF NOT EXISTS audit_entries (
	idx  INTEGER PRIMARY KEY,
	data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_hashes (
	id   INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	size    INTEGER NOT NULL,
	note    BLOB NOT NULL,
	created TEXT NOT NULL
);`

// Migrate creates the audit tables if they are missing.
func Migrate(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, Schema)
	return err
}

// Querier is what Append needs of a transaction.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Append adds e to the log inside tx, so the entry commits or rolls back
// with the state change it records. It returns the entry's index.
func Append(ctx context.Context, tx Querier, e Entry) (int64, error) {
	data, err := e.Encode()
	if err != nil {
		return 0, err
	}
	if len(data) > MaxEntrySize {
		return 0, fmt.Errorf("audit: entry of %d bytes exceeds %d", len(data), MaxEntrySize)
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx)+1, 0) FROM audit_entries`).Scan(&n); err != nil {
		return 0, err
	}
	hashes, err := tlog.StoredHashes(n, data, txHashReader{ctx, tx})
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_entries (idx, data) VALUES (?, ?)`, n, data); err != nil {
		return 0, err
	}
	first := tlog.StoredHashIndex(0, n)
	for i, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_hashes (id, hash) VALUES (?, ?)`, first+int64(i), h[:]); err != nil {
			return 0, err
		}
	}
	return n, nil
}

type txHashReader struct {
	ctx context.Context
	tx  Querier
}

func (r txHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, id := range indexes {
		var b []byte
		if err := r.tx.QueryRowContext(r.ctx, `SELECT hash FROM audit_hashes WHERE id = ?`, id).Scan(&b); err != nil {
			return nil, fmt.Errorf("audit: stored hash %d: %w", id, err)
		}
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("audit: stored hash %d has %d bytes", id, len(b))
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// Size returns the number of entries.
func Size(ctx context.Context, q Querier) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx)+1, 0) FROM audit_entries`).Scan(&n)
	return n, err
}

// TreeHash returns the tree hash of the first n entries from the stored hashes.
func TreeHash(ctx context.Context, q Querier, n int64) (tlog.Hash, error) {
	return tlog.TreeHash(n, txHashReader{ctx, q})
}

// memHashes is a HashReader over hashes recomputed in memory.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, id := range indexes {
		if id < 0 || id >= int64(len(m)) {
			return nil, errors.New("audit: hash index out of range")
		}
		out[i] = m[id]
	}
	return out, nil
}
