package audit

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/anjungan/anjungan/internal/fault"
)

// Exported is one entry as exported: its stored bytes, the entry they
// hold, and an RFC 6962 inclusion proof against the checkpoint written
// first in the export, so anyone can check it with the published
// verifier key alone.
type Exported struct {
	Index    int64    `json:"index"`
	Entry    Entry    `json:"entry"`     // Data decoded, for reading
	Data     string   `json:"data"`      // the stored bytes the leaf hash is over
	LeafHash string   `json:"leaf_hash"` // base64
	Proof    []string `json:"proof"`     // base64 hashes
}

// CSVHeader is the column row of a CSV export; CSVCheckpointPrefix starts
// the line before it, which carries the signed checkpoint in base64.
var CSVHeader = []string{"index", "time", "kind", "actor", "subject", "fields", "leaf_hash", "proof", "data"}

const CSVCheckpointPrefix = "# checkpoint: "

// ErrExportMismatch means the stored entries are not the tree the
// checkpoint signed: nothing is exported from a log that does not verify.
var ErrExportMismatch = fault.New("audit_broken",
	"Catatan audit tidak cocok dengan checkpoint-nya. Jalankan anjunganctl audit verify.",
	"The audit entries do not match the checkpoint. Run anjunganctl audit verify.")

// Export writes the checkpoint and then every entry covered by it with
// its inclusion proof, as JSON Lines ("jsonl": the first line is
// {"checkpoint": the signed note}) or CSV ("csv": the first line is
// CSVCheckpointPrefix and the base64 of the signed note, then CSVHeader).
// checkpoint must be a stored, signed checkpoint of this log (Latest
// gives the newest). The tree is recomputed from the entries, never taken
// from the stored hashes: an entry that was changed, or a hash, makes
// Export fail before it writes anything.
func Export(ctx context.Context, db *sql.DB, vkey string, checkpoint []byte, format string, w io.Writer) error {
	if format != "jsonl" && format != "csv" {
		return fmt.Errorf("audit: unknown export format %q (jsonl or csv)", format)
	}
	c, err := OpenCheckpoint(checkpoint, vkey)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	hashes, err := recompute(ctx, tx, c.Size)
	if err != nil {
		return err
	}
	if th, err := tlog.TreeHash(c.Size, hashes); err != nil || th != c.Hash {
		return ErrExportMismatch.Withf("the tree of the first %d entries is not the checkpoint's", c.Size)
	}

	var cw *csv.Writer
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // the text as it is; any JSON reader gets the same string
	if format == "jsonl" {
		if err := enc.Encode(map[string]string{"checkpoint": string(checkpoint)}); err != nil {
			return err
		}
	} else {
		if _, err := io.WriteString(w, CSVCheckpointPrefix+base64.StdEncoding.EncodeToString(checkpoint)+"\n"); err != nil {
			return err
		}
		cw = csv.NewWriter(w)
		if err := cw.Write(CSVHeader); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT idx, data FROM audit_entries WHERE idx < ? ORDER BY idx`, c.Size)
	if err != nil {
		return err
	}
	defer rows.Close()
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
		proof, err := tlog.ProveRecord(c.Size, idx, hashes)
		if err != nil {
			return err
		}
		leaf := tlog.RecordHash(data)
		x := Exported{Index: idx, Entry: e, Data: string(data), LeafHash: base64.StdEncoding.EncodeToString(leaf[:])}
		for _, h := range proof {
			x.Proof = append(x.Proof, base64.StdEncoding.EncodeToString(h[:]))
		}
		if cw == nil {
			if err := enc.Encode(x); err != nil {
				return err
			}
			continue
		}
		proofJSON, _ := json.Marshal(x.Proof) // base64 only: nothing to escape
		if err := cw.Write([]string{strconv.FormatInt(idx, 10), e.Time.UTC().Format(time.RFC3339Nano), e.Kind, e.Actor, e.Subject,
			string(appendFields(nil, e.Fields)), x.LeafHash, string(proofJSON), x.Data}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if cw != nil {
		cw.Flush()
		return cw.Error()
	}
	return nil
}

// recompute reads the first size entries and returns every tree hash
// computed from them alone.
func recompute(ctx context.Context, tx *sql.Tx, size int64) (memHashes, error) {
	rows, err := tx.QueryContext(ctx, `SELECT idx, data FROM audit_entries WHERE idx < ? ORDER BY idx`, size)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hashes memHashes
	var n int64
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return nil, err
		}
		if idx != n {
			return nil, ErrExportMismatch.Withf("entry %d found where %d was expected", idx, n)
		}
		hs, err := tlog.StoredHashes(n, data, hashes)
		if err != nil {
			return nil, err
		}
		hashes = append(hashes, hs...)
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if n != size {
		return nil, ErrExportMismatch.Withf("%d entries, the checkpoint covers %d", n, size)
	}
	return hashes, nil
}

// appendFields appends the fields as a JSON object in the canonical form
// of entries (sorted keys, RFC 8785 strings), empty values included: the
// CSV shows what the entry holds.
func appendFields(b []byte, fields map[string]string) []byte {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sortUTF16(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(append(appendString(b, k), ':'), fields[k])
	}
	return append(b, '}')
}

// CheckExported checks one exported entry against a verified checkpoint:
// that Data holds Entry, that the leaf hash is over Data, and the
// inclusion proof. An export made before Data was exported carries only
// Entry: its bytes are then the entry re-encoded in format 2 or, for an
// older entry, format 1.
func CheckExported(c Checkpoint, x Exported) error {
	var leaf tlog.Hash
	if x.Data != "" {
		e, err := Decode([]byte(x.Data))
		if err != nil {
			return fmt.Errorf("audit: entry %d: %w", x.Index, err)
		}
		if !sameEntry(e, x.Entry) {
			return fmt.Errorf("audit: entry %d differs from its stored bytes", x.Index)
		}
		leaf = tlog.RecordHash([]byte(x.Data))
		if base64.StdEncoding.EncodeToString(leaf[:]) != x.LeafHash {
			return fmt.Errorf("audit: entry %d does not match its leaf hash", x.Index)
		}
	} else {
		found := false
		for _, encode := range []func() ([]byte, error){x.Entry.Encode, x.Entry.encodeFormat1} {
			data, err := encode()
			if err != nil {
				continue
			}
			leaf = tlog.RecordHash(data)
			if base64.StdEncoding.EncodeToString(leaf[:]) == x.LeafHash {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("audit: entry %d does not match its leaf hash", x.Index)
		}
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

func sameEntry(a, b Entry) bool {
	return a.Time.Equal(b.Time) && a.Kind == b.Kind && a.Actor == b.Actor && a.Subject == b.Subject && maps.Equal(a.Fields, b.Fields)
}

// CheckExport reads a whole export in the given format, opens its
// checkpoint with vkey and checks every entry with CheckExported, in
// order from the first. It returns the checkpoint and how many entries
// it checked.
func CheckExport(r io.Reader, format, vkey string) (Checkpoint, int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := br.ReadString('\n')
	if err != nil {
		return Checkpoint{}, 0, fmt.Errorf("audit: export has no checkpoint line: %w", err)
	}
	var signed []byte
	switch format {
	case "jsonl":
		var head struct {
			Checkpoint string `json:"checkpoint"`
		}
		if err := json.Unmarshal([]byte(first), &head); err != nil {
			return Checkpoint{}, 0, fmt.Errorf("audit: export's first line: %w", err)
		}
		signed = []byte(head.Checkpoint)
	case "csv":
		b64, ok := strings.CutPrefix(strings.TrimSuffix(first, "\n"), CSVCheckpointPrefix)
		if !ok {
			return Checkpoint{}, 0, errors.New("audit: CSV export does not start with its checkpoint line")
		}
		if signed, err = base64.StdEncoding.Strict().DecodeString(b64); err != nil {
			return Checkpoint{}, 0, fmt.Errorf("audit: CSV export's checkpoint: %w", err)
		}
	default:
		return Checkpoint{}, 0, fmt.Errorf("audit: unknown export format %q (jsonl or csv)", format)
	}
	c, err := OpenCheckpoint(signed, vkey)
	if err != nil {
		return c, 0, err
	}
	var n int64
	check := func(x Exported) error {
		if err := CheckExported(c, x); err != nil {
			return err
		}
		n++
		return nil
	}
	if format == "jsonl" {
		dec := json.NewDecoder(br)
		for {
			var x Exported
			if err := dec.Decode(&x); errors.Is(err, io.EOF) {
				return c, n, nil
			} else if err != nil {
				return c, n, fmt.Errorf("audit: export line %d: %w", n+2, err)
			}
			if err := check(x); err != nil {
				return c, n, err
			}
		}
	}
	cr := csv.NewReader(br)
	head, err := cr.Read()
	if err != nil || strings.Join(head, ",") != strings.Join(CSVHeader, ",") {
		return c, 0, fmt.Errorf("audit: CSV export's header is %q, want %q", head, CSVHeader)
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return c, n, nil
		}
		if err != nil {
			return c, n, fmt.Errorf("audit: CSV export: %w", err)
		}
		x, err := csvRecord(rec)
		if err != nil {
			return c, n, err
		}
		if err := check(x); err != nil {
			return c, n, err
		}
	}
}

// csvRecord reads one CSV row back; the entry is taken from the columns,
// so CheckExported also checks that they say what the stored bytes say.
func csvRecord(rec []string) (Exported, error) {
	var x Exported
	idx, err := strconv.ParseInt(rec[0], 10, 64)
	if err != nil {
		return x, fmt.Errorf("audit: CSV index %q", rec[0])
	}
	t, err := time.Parse(time.RFC3339Nano, rec[1])
	if err != nil {
		return x, fmt.Errorf("audit: CSV entry %d: time: %w", idx, err)
	}
	x = Exported{Index: idx, Entry: Entry{Time: t, Kind: rec[2], Actor: rec[3], Subject: rec[4]}, LeafHash: rec[6], Data: rec[8]}
	if err := json.Unmarshal([]byte(rec[5]), &x.Entry.Fields); err != nil {
		return x, fmt.Errorf("audit: CSV entry %d: fields: %w", idx, err)
	}
	if err := json.Unmarshal([]byte(rec[7]), &x.Proof); err != nil {
		return x, fmt.Errorf("audit: CSV entry %d: proof: %w", idx, err)
	}
	return x, nil
}
