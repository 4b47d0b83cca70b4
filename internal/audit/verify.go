package audit

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Problem is one thing Verify found wrong.
type Problem struct {
	Kind   string // entry-gap, entry-invalid, entry-noncanonical, hash-mismatch, hash-count, checkpoint-invalid, checkpoint-truncated, checkpoint-mismatch, fork, trusted-invalid, trusted-mismatch
	Detail string
}

// Report is what Verify checked.
type Report struct {
	Entries     int64
	Checkpoints int
	Latest      *Checkpoint // the latest stored checkpoint, verified
	Problems    []Problem
}

// OK reports whether nothing was found wrong.
func (r Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) add(kind, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

// Error summarises the problems.
func (r Report) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "audit: %d problem(s):", len(r.Problems))
	for _, p := range r.Problems {
		b.WriteString(" [" + p.Kind + "] " + p.Detail + ";")
	}
	return b.String()
}

// Verify recomputes every leaf and interior hash from the stored entries,
// compares them with the stored hashes, checks every stored checkpoint's
// signature with vkey and its tree hash against the recomputed tree, finds
// forks (two checkpoints of one size with different hashes), and proves
// that the log extends each trusted checkpoint exported earlier.
func Verify(ctx context.Context, db *sql.DB, vkey string, trusted ...[]byte) (Report, error) {
	var rep Report
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return rep, err
	}
	defer tx.Rollback()

	// Recompute the tree from the entries alone.
	var hashes memHashes
	rows, err := tx.QueryContext(ctx, `SELECT idx, data FROM audit_entries ORDER BY idx`)
	if err != nil {
		return rep, err
	}
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			rows.Close()
			return rep, err
		}
		if idx != rep.Entries {
			// The tree cannot be recomputed past a gap; the checks below
			// report the hashes and checkpoints it leaves unexplained.
			rep.add("entry-gap", "entry %d found where %d was expected", idx, rep.Entries)
			break
		}
		if e, err := Decode(data); err != nil {
			rep.add("entry-invalid", "entry %d: %v", idx, err)
		} else if FormatOf(data) == Format2 {
			// Its hash covers it whatever its form; a form other than the
			// canonical one means a writer that other verifiers cannot follow.
			if canon, err := e.Encode(); err != nil || !bytes.Equal(canon, data) {
				rep.add("entry-noncanonical", "entry %d is not in the canonical form (format 2)", idx)
			}
		}
		hs, err := tlog.StoredHashes(rep.Entries, data, hashes)
		if err != nil {
			rows.Close()
			return rep, err
		}
		hashes = append(hashes, hs...)
		rep.Entries++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, err
	}

	// The stored hashes must be exactly the recomputed ones.
	var stored int64
	rows, err = tx.QueryContext(ctx, `SELECT id, hash FROM audit_hashes ORDER BY id`)
	if err != nil {
		return rep, err
	}
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			rows.Close()
			return rep, err
		}
		switch {
		case id != stored:
			rep.add("hash-count", "stored hash %d found where %d was expected", id, stored)
		case id >= int64(len(hashes)):
			rep.add("hash-count", "stored hash %d has no entry behind it", id)
		case !bytes.Equal(h, hashes[id][:]):
			rep.add("hash-mismatch", "stored hash %d differs from the entries", id)
		}
		stored = id + 1
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, err
	}
	if stored != int64(len(hashes)) {
		rep.add("hash-count", "%d hashes stored, %d expected for %d entries", stored, len(hashes), rep.Entries)
	}

	// Every stored checkpoint must be signed and match the recomputed tree.
	bySize := map[int64]tlog.Hash{}
	check := func(kindPrefix string, signed []byte) *Checkpoint {
		c, err := OpenCheckpoint(signed, vkey)
		if err != nil {
			rep.add(kindPrefix+"-invalid", "%v", err)
			return nil
		}
		if prev, ok := bySize[c.Size]; ok && prev != c.Hash {
			rep.add("fork", "two checkpoints for size %d with different hashes", c.Size)
		}
		bySize[c.Size] = c.Hash
		if c.Size > rep.Entries {
			rep.add(kindPrefix+"-truncated", "checkpoint of size %d but only %d entries: the log was truncated", c.Size, rep.Entries)
			return &c
		}
		h, err := tlog.TreeHash(c.Size, hashes)
		if err != nil || h != c.Hash {
			rep.add(kindPrefix+"-mismatch", "checkpoint of size %d does not match the entries", c.Size)
		}
		return &c
	}
	rows, err = tx.QueryContext(ctx, `SELECT note FROM audit_checkpoints ORDER BY id`)
	if err != nil {
		return rep, err
	}
	for rows.Next() {
		var signed []byte
		if err := rows.Scan(&signed); err != nil {
			rows.Close()
			return rep, err
		}
		rep.Checkpoints++
		if c := check("checkpoint", signed); c != nil {
			rep.Latest = c
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, err
	}
	for _, t := range trusted {
		// A checkpoint kept off the box: the log must still contain exactly
		// the tree it signed (RFC 6962 consistency, recomputed in full).
		check("trusted", t)
	}
	if !rep.OK() {
		return rep, rep
	}
	return rep, nil
}
