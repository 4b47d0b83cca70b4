package journal

import (
	"context"
	"database/sql"
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
