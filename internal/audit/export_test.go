package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/anjungan/anjungan/internal/audit"
)

func TestExportCarriesCheckableProofs(t *testing.T) {
	db, vkey, exported := mustLog(t)
	ctx := context.Background()
	var out bytes.Buffer
	if err := audit.Export(ctx, db, vkey, exported, "jsonl", &out); err != nil {
		t.Fatal(err)
	}
	if c, n, err := audit.CheckExport(bytes.NewReader(out.Bytes()), "jsonl", vkey); err != nil || n != 7 || c.Size != 7 {
		t.Fatalf("CheckExport(jsonl) = %+v, %d, %v; want 7 entries checked", c, n, err)
	}
	sc := bufio.NewScanner(&out)
	sc.Scan()
	var head map[string]string
	if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
		t.Fatal(err)
	}
	c, err := audit.OpenCheckpoint([]byte(head["checkpoint"]), vkey)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for sc.Scan() {
		var x audit.Exported
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatal(err)
		}
		if err := audit.CheckExported(c, x); err != nil {
			t.Errorf("entry %d: %v", x.Index, err)
		}
		// A changed entry no longer checks, with or without its bytes.
		x.Entry.Kind = "job.voided"
		if err := audit.CheckExported(c, x); err == nil {
			t.Errorf("entry %d: a changed entry passed its proof", x.Index)
		}
		x.Data = ""
		if err := audit.CheckExported(c, x); err == nil {
			t.Errorf("entry %d: a changed entry without its bytes passed its proof", x.Index)
		}
		n++
	}
	if n != 7 {
		t.Errorf("exported %d entries, want 7", n)
	}

	out.Reset()
	if err := audit.Export(ctx, db, vkey, exported, "csv", &out); err != nil {
		t.Fatal(err)
	}
	if c, n, err := audit.CheckExport(bytes.NewReader(out.Bytes()), "csv", vkey); err != nil || n != 7 || c.Size != 7 {
		t.Fatalf("CheckExport(csv) = %+v, %d, %v; want 7 entries checked", c, n, err)
	}
	first, rest, _ := strings.Cut(out.String(), "\n")
	signed, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(first, audit.CSVCheckpointPrefix))
	if err != nil || !bytes.Equal(signed, exported) {
		t.Errorf("CSV's first line %q does not carry the checkpoint", first)
	}
	recs, err := csv.NewReader(strings.NewReader(rest)).ReadAll()
	if err != nil || len(recs) != 8 || strings.Join(recs[0], ",") != "index,time,kind,actor,subject,fields,leaf_hash,proof,data" {
		t.Errorf("csv: %d records, %v", len(recs), err)
	}
	// A CSV row whose columns disagree with its stored bytes fails.
	bad := strings.Replace(out.String(), ",job.printed,", ",job.voided,", 1)
	if _, _, err := audit.CheckExport(strings.NewReader(bad), "csv", vkey); err == nil {
		t.Error("a CSV row with a changed kind column checked")
	}
	if err := audit.Export(ctx, db, vkey, exported, "xml", &out); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestExportRefusesALogThatDoesNotVerify: an entry changed behind the
// log's back (stored hashes left alone) used to be exported with proofs
// that could never check; now nothing is exported.
func TestExportRefusesALogThatDoesNotVerify(t *testing.T) {
	for name, tamper := range map[string]string{
		"changed entry":  `UPDATE audit_entries SET data = CAST(replace(CAST(data AS TEXT), 'card-1', 'card-9') AS BLOB) WHERE idx = 2`,
		"deleted entry":  `DELETE FROM audit_entries WHERE idx = 4`,
		"changed hashes": `UPDATE audit_hashes SET hash = zeroblob(32)`,
	} {
		t.Run(name, func(t *testing.T) {
			db, vkey, exported := mustLog(t)
			mustExec(t, db, tamper)
			_, verr := audit.Verify(context.Background(), db, vkey)
			for _, format := range []string{"jsonl", "csv"} {
				var out bytes.Buffer
				err := audit.Export(context.Background(), db, vkey, exported, format, &out)
				if name == "changed hashes" {
					// The entries are intact: the stored hashes are a cache
					// Export does not use, while Verify reports them.
					if err != nil || verr == nil {
						t.Errorf("%s: Export = %v, Verify = %v; want the export, and Verify to complain", format, err, verr)
					}
					continue
				}
				if !errors.Is(err, audit.ErrExportMismatch) || out.Len() != 0 {
					t.Errorf("%s: Export = %v with %d bytes written; want audit_broken and nothing", format, err, out.Len())
				}
			}
		})
	}
}

// rawAppend stores data as the next entry with its tree hashes, as a
// writer of an earlier format did.
func rawAppend(tb testing.TB, db *sql.DB, data []byte) {
	tb.Helper()
	ctx := context.Background()
	n, err := audit.Size(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	hashes, err := tlog.StoredHashes(n, data, dbHashes{db})
	if err != nil {
		tb.Fatal(err)
	}
	mustExec(tb, db, `INSERT INTO audit_entries (idx, data) VALUES (?, ?)`, n, data)
	for i, h := range hashes {
		mustExec(tb, db, `INSERT INTO audit_hashes (id, hash) VALUES (?, ?)`, tlog.StoredHashIndex(0, n)+int64(i), h[:])
	}
}

type dbHashes struct{ db *sql.DB }

func (r dbHashes) ReadHashes(ids []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ids))
	for i, id := range ids {
		var b []byte
		if err := r.db.QueryRow(`SELECT hash FROM audit_hashes WHERE id = ?`, id).Scan(&b); err != nil {
			return nil, err
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// TestFormat1EntriesKeepVerifying: a log begun before format 2
// (testdata/format1: Go's HTML escapes, an empty field) and continued
// now verifies, exports and checks; an export made then, which carries
// no bytes, still checks.
func TestFormat1EntriesKeepVerifying(t *testing.T) {
	ctx := context.Background()
	b, err := os.ReadFile("testdata/format1/entries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	db := MustOpenDB(t)
	skey, vkey := MustKeys(t)
	old := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	for _, data := range old {
		if audit.FormatOf(data) != audit.Format1 {
			t.Fatalf("fixture entry is not format 1: %s", data)
		}
		rawAppend(t, db, data)
	}
	mustAppend(t, db, 2)
	s, _ := audit.NewSigner(skey, func() time.Time { return t0 })
	signed, err := s.Checkpoint(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.Verify(ctx, db, vkey); err != nil || rep.Entries != 5 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	for i, data := range entries(t, db) {
		if want := []int{1, 1, 1, 2, 2}[i]; audit.FormatOf(data) != want {
			t.Errorf("entry %d is format %d, want %d: %s", i, audit.FormatOf(data), want, data)
		}
	}
	for _, format := range []string{"jsonl", "csv"} {
		var out bytes.Buffer
		if err := audit.Export(ctx, db, vkey, signed, format, &out); err != nil {
			t.Fatal(err)
		}
		if _, n, err := audit.CheckExport(&out, format, vkey); err != nil || n != 5 {
			t.Errorf("CheckExport(%s) = %d, %v", format, n, err)
		}
	}
	var out bytes.Buffer
	if err := audit.Export(ctx, db, vkey, signed, "jsonl", &out); err != nil {
		t.Fatal(err)
	}
	c, _ := audit.OpenCheckpoint(signed, vkey)
	sc := bufio.NewScanner(&out)
	sc.Scan()
	for sc.Scan() {
		var x audit.Exported
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatal(err)
		}
		x.Data = "" // as exported before format 2
		if err := audit.CheckExported(c, x); err != nil {
			t.Errorf("entry %d without its bytes: %v", x.Index, err)
		}
	}
}
