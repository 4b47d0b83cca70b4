package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// CosignSchema is the table of a witness's cosignatures of the log's
// checkpoints (docs/fleet.md, "Witness"). It is apart from
// audit_checkpoints, whose notes carry the log's signature only.
const CosignSchema = `
CREATE TABLE IF NOT EXISTS audit_cosignatures (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	size        INTEGER NOT NULL,
	checkpoint  BLOB NOT NULL,
	witness     TEXT NOT NULL,
	cosignature TEXT NOT NULL,
	received    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_cosignatures_witness ON audit_cosignatures (witness, size);`

// Cosigned is one stored cosignature.
type Cosigned struct {
	Size        int64
	Checkpoint  []byte // the signed checkpoint as sent
	Witness     string // the witness's key name
	Cosignature string // the line, as received
	Received    time.Time
}

// WitnessName is the key name of a witness vkey.
func WitnessName(vkey string) (string, error) {
	name, _, _, err := parseWitnessKey(vkey, false)
	return name, err
}

// CosignLog is a service's log as its witness sender sees it: reads on
// Read, the one write (a received cosignature) on Write (the service's
// writer, so that it queues behind the service's own transactions).
type CosignLog struct {
	Read, Write *sql.DB
}

// LatestCheckpoint is the latest stored signed checkpoint, or nil.
func (l CosignLog) LatestCheckpoint(ctx context.Context) ([]byte, error) { return Latest(ctx, l.Read) }

// Prove is the consistency proof from old to n (Prove).
func (l CosignLog) Prove(ctx context.Context, old, n int64) (tlog.TreeProof, error) {
	return Prove(ctx, l.Read, old, n)
}

// CosignedSize is the largest size the witness cosigned, 0 when none.
func (l CosignLog) CosignedSize(ctx context.Context, witness string) (int64, error) {
	var n int64
	err := l.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(size), 0) FROM audit_cosignatures WHERE witness = ?`, witness).Scan(&n)
	return n, err
}

// IsCosigned reports whether the witness's cosignature of checkpoint is stored.
func (l CosignLog) IsCosigned(ctx context.Context, witness string, checkpoint []byte) (bool, error) {
	var n int
	err := l.Read.QueryRowContext(ctx, `SELECT count(*) FROM audit_cosignatures WHERE witness = ? AND checkpoint = ?`, witness, checkpoint).Scan(&n)
	return n > 0, err
}

// Store keeps a cosignature.
func (l CosignLog) Store(ctx context.Context, c Cosigned) error {
	_, err := l.Write.ExecContext(ctx, `INSERT INTO audit_cosignatures (size, checkpoint, witness, cosignature, received) VALUES (?, ?, ?, ?, ?)`,
		c.Size, c.Checkpoint, c.Witness, c.Cosignature, c.Received.UTC().Format(time.RFC3339Nano))
	return err
}

// CheckpointBody is the text of a signed note up to its signatures (the
// checkpoint body that is signed and cosigned).
func CheckpointBody(signed []byte) (string, error) {
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return "", errors.New("audit: checkpoint has no signature block")
	}
	return string(signed[:i+1]), nil
}

// CosignReport is what VerifyCosignatures found.
type CosignReport struct {
	Count    int   // cosignatures by the witness checked
	MaxSize  int64 // the largest cosigned size
	Problems []Problem
}

// VerifyCosignatures checks every stored cosignature by the witness of
// wvkey: its checkpoint verifies with the log's vkey, its tree hash is
// the stored tree's at its size (Verify checks the stored hashes against
// the entries), and the cosignature verifies over it.
func VerifyCosignatures(ctx context.Context, db *sql.DB, vkey, wvkey string) (CosignReport, error) {
	var rep CosignReport
	name, err := WitnessName(wvkey)
	if err != nil {
		return rep, err
	}
	rows, err := db.QueryContext(ctx, `SELECT id, size, checkpoint, cosignature FROM audit_cosignatures WHERE witness = ? ORDER BY id`, name)
	if err != nil {
		return rep, err
	}
	type row struct {
		id, size int64
		cp       []byte
		line     string
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.size, &r.cp, &r.line); err != nil {
			rows.Close()
			return rep, err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, err
	}
	add := func(kind, format string, args ...any) {
		rep.Problems = append(rep.Problems, Problem{Kind: kind, Detail: fmt.Sprintf(format, args...)})
	}
	n, err := Size(ctx, db)
	if err != nil {
		return rep, err
	}
	for _, r := range all {
		rep.Count++
		c, err := OpenCheckpoint(r.cp, vkey)
		if err != nil {
			add("cosigned-checkpoint-invalid", "cosignature %d: %v", r.id, err)
			continue
		}
		if c.Size != r.size {
			add("cosigned-checkpoint-invalid", "cosignature %d: stored size %d, checkpoint size %d", r.id, r.size, c.Size)
			continue
		}
		if c.Size > n {
			add("cosigned-truncated", "cosignature %d: the witness cosigned size %d, the log has %d entries", r.id, c.Size, n)
			continue
		}
		if h, err := TreeHash(ctx, db, c.Size); err != nil || h != c.Hash {
			add("cosigned-mismatch", "cosignature %d: the log's tree at size %d is not the cosigned one (%v)", r.id, c.Size, err)
			continue
		}
		if _, err := VerifyCosignature(c.Body(), r.line, wvkey); err != nil {
			add("cosignature-invalid", "cosignature %d of size %d: %v", r.id, c.Size, err)
			continue
		}
		rep.MaxSize = max(rep.MaxSize, c.Size)
	}
	if rep.Count == 0 {
		add("cosignature-missing", "no cosignature by %s", strings.TrimSpace(name))
	}
	return rep, nil
}
