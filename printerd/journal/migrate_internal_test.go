package journal

import (
	"context"
	"database/sql"
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

// TestMigrateV6 opens a journal of schema 6 (no index on the documents):
// it becomes schema 7, the spool check reads index jobs_document, and the
// sweep at Open keeps the document of a queued job and removes the one
// of a job that ended.
func TestMigrateV6(t *testing.T) {
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
	queued, ended := strings.Repeat("0a", 32), strings.Repeat("0b", 32)
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC).UnixNano()
	for _, r := range []struct{ id, sha, state string }{{"JQ", queued, "queued"}, {"JC", ended, "canceled"}} {
		if _, err := db.Exec(`INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, created, updated)
			VALUES (?, ?, 'om_card_54x86mm', 'KTP-el', ?, ?, ?, ?)`, r.id, "key-"+r.id, r.sha, r.state, now, now); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(spool, r.sha), []byte("%PDF-1.7\n"), 0o640); err != nil {
			t.Fatal(err)
		}
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
		t.Errorf("the spool check reads %q, not index jobs_document", p)
	}
	if _, err := os.Stat(filepath.Join(spool, queued)); err != nil {
		t.Errorf("the queued job's document: %v", err)
	}
	if _, err := os.Stat(filepath.Join(spool, ended)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the ended job's document is still spooled (%v)", err)
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
