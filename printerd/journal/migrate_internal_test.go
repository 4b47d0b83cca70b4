package journal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// TestMigrateV3 opens a journal left by a printerd of schema 3 (events
// without reason codes, no resolution_notes) holding an in-doubt job: it
// becomes schema 4 and the job resolves with a code and a note.
func TestMigrateV3(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sha := strings.Repeat("ab", 32) // a void reads no document
	db, err := sql.Open("sqlite", filepath.Join(dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC).UnixNano()
	for _, q := range []string{schema, schemaV2, schemaV3, "PRAGMA user_version = 3"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, reason, printer, created, updated)
		VALUES ('JOLD', 'req-old', 'om_card_54x86mm', 'KTP-el', ?, 'in_doubt', 'offline', 'card-1', ?, ?)`, sha, now, now); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	j, err := Open(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var version int
	if err := j.db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("user_version %d (%v), want %d", version, err, schemaVersion)
	}
	if _, err := j.Resolve(ctx, "JOLD", printerd.Resolution{Action: printerd.ActionVoid, ReasonCode: printerd.ReasonCodeMisprint,
		Note: "smeared", CardSerial: "C-1", Actor: "sari"}); err != nil {
		t.Fatal(err)
	}
	if n, err := j.Note(ctx, "JOLD"); err != nil || n.Text != "smeared" {
		t.Errorf("Note = %+v, %v", n, err)
	}
}

// TestMigrateV6 opens a journal of schema 6 (no index on the documents,
// documents in a spool folder): it becomes the latest schema, the check
// whether a job still needs a document reads index jobs_document, and
// Open moves into the journal the document of the queued job and not the
// one of a job that ended, nor a file whose bytes do not match its name;
// then the spool folder, a crash's temporary file with it, is gone.
func TestMigrateV6(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	spool := filepath.Join(dir, "spool")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{schema, schemaV2, schemaV3, schemaV4, schemaV5, schemaV6, "PRAGMA user_version = 6"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	doc := func(s string) ([]byte, string) {
		b := []byte("%PDF-1.7\n% " + s + "\n")
		sum := sha256.Sum256(b)
		return b, hex.EncodeToString(sum[:])
	}
	queuedDoc, queued := doc("queued")
	endedDoc, ended := doc("ended")
	damagedDoc, damaged := doc("damaged")
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC).UnixNano()
	for _, r := range []struct {
		id, sha, state string
		file           []byte
	}{
		{"JQ", queued, "queued", queuedDoc},
		{"JC", ended, "canceled", endedDoc},
		{"JD", damaged, "held", append(damagedDoc[:len(damagedDoc)-1:len(damagedDoc)-1], 'X')},
	} {
		if _, err := db.Exec(`INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, created, updated)
			VALUES (?, ?, 'om_card_54x86mm', 'KTP-el', ?, ?, ?, ?)`, r.id, "key-"+r.id, r.sha, r.state, now, now); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(spool, r.sha), r.file, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(spool, "."+queued+".123.tmp"), queuedDoc[:4], 0o640); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	j, err := Open(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var version int
	if err := j.db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("user_version %d (%v), want %d", version, err, schemaVersion)
	}
	var plan []string
	rows, err := j.db.Query("EXPLAIN QUERY PLAN "+activeDocument, queued)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX jobs_document") && !strings.Contains(p, "USING COVERING INDEX jobs_document") {
		t.Errorf("the document check reads %q, not index jobs_document", p)
	}
	if got, err := j.Document(ctx, "JQ"); err != nil || !bytes.Equal(got, queuedDoc) {
		t.Errorf("the queued job's document: %q, %v", got, err)
	}
	if _, err := j.Document(ctx, "JD"); !errors.Is(err, printerd.ErrSpoolUnavailable) {
		t.Errorf("the held job's damaged document: %v, want spool_unavailable", err)
	}
	var stored []string
	rows, err = j.db.Query("SELECT sha256 FROM documents")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, sha)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0] != queued {
		t.Errorf("documents stored %v, want only the queued job's %s", stored, queued)
	}
	if _, err := os.Stat(spool); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the spool folder is still there (%v)", err)
	}
}

// TestMigrateV7 opens a journal of schema 7 with a load, a printed card,
// a card the printer rejected and a card voided for wrong data: schema 8
// keeps every card, gives the spoiled ones their causes, and from then
// on refuses an edit of a load.
func TestMigrateV7(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sha := strings.Repeat("ab", 32)
	db, err := sql.Open("sqlite", filepath.Join(dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC).UnixNano()
	for _, q := range []string{schema, schemaV2, schemaV3, schemaV4, schemaV5, schemaV6, schemaV7, "PRAGMA user_version = 7"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO card_loads (printer, count, actor, time) VALUES ('card-1', 10, 'sari', 1)`,
		`INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, reason, printer, created, updated)
			VALUES ('JP', 'k-p', 'om_card_54x86mm', 'KTP-el', '` + sha + `', 'printed', '', 'card-1', 1, 1),
			('JR', 'k-r', 'om_card_54x86mm', 'KTP-el', '` + sha + `', 'failed', 'cover-open', 'card-1', 1, 1),
			('JV', 'k-v', 'om_card_54x86mm', 'KIA', '` + sha + `', 'failed', 'voided', 'card-1', 1, 1)`,
		`INSERT INTO job_events (job_id, time, from_state, to_state, reason, reason_code) VALUES ('JV', 1, 'in_doubt', 'failed', 'voided', 'wrong-data')`,
		`INSERT INTO card_uses (printer, use, job_id, card_serial, time) VALUES ('card-1', 'printed', 'JP', 'S1', 1),
			('card-1', 'rejected', 'JR', 'S2', 1), ('card-1', 'voided', 'JV', 'S3', 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	j, err := Open(dir, func() time.Time { return time.Unix(0, now) })
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var version int
	if err := j.db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("user_version %d (%v), want %d", version, err, schemaVersion)
	}
	ts, err := j.Tallies(ctx)
	if err != nil || len(ts) != 1 || ts[0].Loaded != 10 || ts[0].Printed != 1 || ts[0].Rejected != 1 || ts[0].Voided != 1 || ts[0].Remaining() != 7 {
		t.Errorf("Tallies = %+v, %v; want 10 loaded, 1 printed, 1 rejected, 1 voided, 7 left", ts, err)
	}
	cards, err := j.SpoiledCards(ctx, "card-1", true)
	if err != nil || len(cards) != 2 || cards[0].Cause != printerd.CausePrint || cards[1].Cause != printerd.CauseDataChange {
		t.Errorf("SpoiledCards = %+v, %v; want S2 gagal-cetak, S3 perubahan-elemen-data", cards, err)
	}
	for _, q := range []string{`UPDATE card_loads SET count = 50`, `DELETE FROM card_uses`} {
		if _, err := j.db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", q, err)
		}
	}
}
