package audit

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Exported is one entry as exported: its data and an RFC 6962 inclusion
// proof against the checkpoint written first in the export, so anyone can
// check it with the published verifier key alone.
type Exported struct {
	Index    int64    `json:"index"`
	Entry    Entry    `json:"entry"`
	LeafHash string   `json:"leaf_hash"` // base64
	Proof    []string `json:"proof"`     // base64 hashes
}

// Export writes the checkpoint (signed note, as a JSON string on the first
// line) and then every entry covered by it with its inclusion proof, as
// JSON Lines ("jsonl") or CSV ("csv"). checkpoint must be a stored, signed
// checkpoint of this log (Latest gives the newest).
func Export(ctx context.Context, db *sql.DB, vkey string, checkpoint []byte, format string, w io.Writer) error {
	c, err := OpenCheckpoint(checkpoint, vkey)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if th, err := TreeHash(ctx, tx, c.Size); err != nil || th != c.Hash {
		return fmt.Errorf("audit: the log does not match the checkpoint of size %d; run verify", c.Size)
	}
	rows, err := tx.QueryContext(ctx, `SELECT idx, data FROM audit_entries WHERE idx < ? ORDER BY idx`, c.Size)
	if err != nil {
		return err
	}
	defer rows.Close()

	var cw *csv.Writer
	enc := json.NewEncoder(w)
	switch format {
	case "jsonl":
		if err := enc.Encode(map[string]string{"checkpoint": string(checkpoint)}); err != nil {
			return err
		}
	case "csv":
		cw = csv.NewWriter(w)
		if err := cw.Write([]string{"index", "time", "kind", "actor", "subject", "fields", "leaf_hash", "proof"}); err != nil {
			return err
		}
	default:
		return fmt.Errorf("audit: unknown export format %q (jsonl or csv)", format)
	}
	hr := txHashReader{ctx, tx}
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return err
		}
		e, err := Decode(data)
		if err != nil {
			return fmt.Errorf("audit: entry %d: %w", idx, err)
		}
		proof, err := tlog.ProveRecord(c.Size, idx, hr)
		if err != nil {
			return err
		}
		leaf := tlog.RecordHash(data)
		x := Exported{Index: idx, Entry: e, LeafHash: base64.StdEncoding.EncodeToString(leaf[:])}
		for _, h := range proof {
			x.Proof = append(x.Proof, base64.StdEncoding.EncodeToString(h[:]))
		}
		if cw == nil {
			if err := enc.Encode(x); err != nil {
				return err
			}
			continue
		}
		fields, _ := json.Marshal(e.Fields)
		proofJSON, _ := json.Marshal(x.Proof)
		if err := cw.Write([]string{strconv.FormatInt(idx, 10), e.Time.UTC().Format(time.RFC3339Nano), e.Kind, e.Actor, e.Subject,
			string(fields), x.LeafHash, string(proofJSON)}); err != nil {
			return err
		}
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CheckExported checks one exported entry against a verified checkpoint:
// the leaf hash of its canonical encoding and its inclusion proof.
func CheckExported(c Checkpoint, x Exported) error {
	data, err := x.Entry.Encode()
	if err != nil {
		return err
	}
	leaf := tlog.RecordHash(data)
	if base64.StdEncoding.EncodeToString(leaf[:]) != x.LeafHash {
		return fmt.Errorf("audit: entry %d does not match its leaf hash", x.Index)
	}
	proof := make(tlog.RecordProof, len(x.Proof))
	for i, p := range x.Proof {
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil || len(b) != tlog.HashSize {
			return fmt.Errorf("audit: entry %d: proof hash %d is malformed", x.Index, i)
		}
		copy(proof[i][:], b)
	}
	if err := tlog.CheckRecord(proof, c.Size, c.Hash, x.Index, leaf); err != nil {
		return fmt.Errorf("audit: entry %d: %w", x.Index, err)
	}
	return nil
}
