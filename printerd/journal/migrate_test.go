package journal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/migratetest"
	"github.com/anjungan/anjungan/printerd"
)

// migrationTime is when the old printerd wrote its data.
var migrationTime = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// oldJob is a job an old printerd left, by the state it left it in.
type oldJob struct {
	id, state string
	version   int // the schema that wrote it
}

// oldJobs are the jobs of the fillers below: one in every state at
// version 1, a reprint pair at 2, a job of a visit at 6, a KK with its
// document type id at 11, a queued KK with its document in the journal
// at 12.
var oldJobs = []oldJob{
	{"J1Q", "queued", 1}, {"J1D", "dispatching", 1}, {"J1P", "printed", 1}, {"J1H", "held", 1},
	{"J1F", "failed", 1}, {"J1C", "canceled", 1}, {"J1I", "in_doubt", 1},
	{"J2O", "failed", 2}, {"J2R", "queued", 2}, {"J4N", "failed", 4}, {"J4E", "failed", 4}, {"J6P", "held", 6},
	{"J11K", "printed", 11}, {"J12K", "queued", 12},
}

// v12Document is J12K's document, stored in the journal at schema 12.
var v12Document = []byte("%PDF-1.7\n% a KK stored at schema 12\n")

// TestMigrateEveryVersion upgrades a journal of every schema version,
// filled with what a printerd of that version writes (jobs in every
// state, the blank-card ledger, a signed audit log, notes, visits), to
// the latest; no row changes, and printerd then recovers the dispatching
// job into doubt, lists every job, balances the ledger, resolves a job
// in doubt and its audit log verifies against the checkpoint signed
// before the upgrade.
func TestMigrateEveryVersion(t *testing.T) {
	signer, _, vkey := migratetest.AuditSigner(t, "anjungan.test/printerd/audit", migrationTime)
	ctx := context.Background()
	exec := migratetest.Exec
	at := migrationTime.UnixNano()
	sha := strings.Repeat("ab", 32)
	migratetest.Run(t, migratetest.Schema{
		Name:       "printerd/journal/migrate_test.go",
		File:       "journal.db",
		Migrations: migrations,
		Open:       func(path string) (*sql.DB, error) { return sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)") },
		Fill: map[int]func(t *testing.T, db *sql.DB){
			1: func(t *testing.T, db *sql.DB) {
				for i, j := range oldJobs {
					if j.version != 1 {
						continue
					}
					exec(t, db, `INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, reason, printer, card_serial, attempts, created, updated)
						VALUES (?, ?, 'om_card_54x86mm', 'KTP-el', ?, ?, 'offline', 'card-1', 'C-00'||?, 1, ?, ?)`, j.id, "key-"+j.id, sha, j.state, i, at+int64(i), at+int64(i))
					exec(t, db, `INSERT INTO job_events (job_id, time, from_state, to_state, reason, printer) VALUES (?, ?, 'queued', ?, 'offline', 'card-1')`,
						j.id, at+int64(i), j.state)
				}
			},
			2: func(t *testing.T, db *sql.DB) {
				exec(t, db, `INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, reason, printer, created, updated)
					VALUES ('J2O', 'key-J2O', 'om_card_54x86mm', 'KTP-el', ?, 'failed', 'reprinted', 'card-1', ?, ?)`, sha, at, at)
				exec(t, db, `INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, created, updated, print_no, reprint_of, first_key)
					VALUES ('J2R', 'key-J2O/2', 'om_card_54x86mm', 'KTP-el', ?, 'queued', ?, ?, 2, 'J2O', 'key-J2O')`, sha, at, at)
				exec(t, db, `INSERT INTO job_events (job_id, time, from_state, to_state, reason, printer, actor, note)
					VALUES ('J2O', ?, 'in_doubt', 'failed', 'reprint', 'card-1', 'sari', 'jammed')`, at)
				exec(t, db, `INSERT INTO card_loads (printer, count, first_serial, last_serial, actor, time) VALUES ('card-1', 10, 'C-001', 'C-010', 'sari', ?)`, at)
				for _, u := range []struct{ use, job, actor string }{{"printed", "J1P", ""}, {"rejected", "J1F", ""}, {"voided", "J2O", "sari"}} {
					exec(t, db, `INSERT INTO card_uses (printer, use, job_id, card_serial, actor, time) VALUES ('card-1', ?, ?, 'C-1', ?, ?)`, u.use, u.job, u.actor, at)
				}
				exec(t, db, `INSERT INTO printer_events (time, printer, action, actor) VALUES (?, 'card-1', 'resume', 'sari')`, at)
			},
			3: func(t *testing.T, db *sql.DB) {
				tx, err := db.Begin()
				if err != nil {
					t.Fatal(err)
				}
				for _, j := range oldJobs {
					if _, err := audit.Append(ctx, tx, audit.Entry{Time: migrationTime, Kind: KindJobSubmitted,
						Fields: map[string]string{"job": j.id, "document_sha256": sha, "media": "om_card_54x86mm"}}); err != nil {
						t.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
				if _, err := signer.Checkpoint(ctx, db); err != nil {
					t.Fatal(err)
				}
				exec(t, db, `INSERT INTO printer_events (time, printer, action, actor, detail) VALUES (?, 'card-1', 'fault', 'sari', 'media-jam')`, at)
			},
			4: func(t *testing.T, db *sql.DB) {
				for _, id := range []string{"J4N", "J4E"} {
					exec(t, db, `INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, created, updated)
						VALUES (?, ?, 'om_card_54x86mm', 'KTP-el', ?, 'failed', ?, ?)`, id, "key-"+id, sha, at, at)
					exec(t, db, `INSERT INTO job_events (job_id, time, from_state, to_state, actor, reason_code) VALUES (?, ?, 'in_doubt', 'failed', 'sari', 'jam')`, id, at)
				}
				exec(t, db, `INSERT INTO resolution_notes (job_id, note, note_key, actor, time) VALUES ('J4N', 'smeared', x'0102', 'sari', ?)`, at)
				exec(t, db, `INSERT INTO resolution_notes (job_id, note, note_key, actor, time, erased, erased_by) VALUES ('J4E', '', NULL, 'sari', ?, ?, 'budi')`, at, at)
			},
			6: func(t *testing.T, db *sql.DB) {
				exec(t, db, `INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, reason, created, updated, presence)
					VALUES ('J6P', 'key-J6P', 'om_card_54x86mm', 'KTP-el', ?, 'held', 'citizen_absent', ?, ?, 'visit-1')`, sha, at, at)
				exec(t, db, `INSERT INTO presence (id, until, ended) VALUES ('visit-1', ?, 1), ('visit-2', ?, 0)`, at, at)
			},
			8: func(t *testing.T, db *sql.DB) {
				// A load reversed, the rejected card destroyed by two
				// supervisors, a reconciliation.
				exec(t, db, `INSERT INTO card_loads (printer, count, actor, time) VALUES ('card-1', 5, 'sari', ?)`, at)
				exec(t, db, `INSERT INTO card_load_reversals (load_seq, reason, actor, time)
					VALUES ((SELECT MAX(seq) FROM card_loads), 'typed twice', 'sari', ?)`, at)
				exec(t, db, `INSERT INTO card_destructions (id, printer, proposed_by, proposed, expires) VALUES ('D8', 'card-1', 'sari', ?, ?)`, at, at+1)
				exec(t, db, `INSERT INTO card_destruction_items (destruction, use_seq) SELECT 'D8', seq FROM card_uses WHERE use = 'rejected'`)
				exec(t, db, `INSERT INTO card_destruction_confirms (destruction, confirmed_by, time) VALUES ('D8', 'budi', ?)`, at)
				exec(t, db, `INSERT INTO card_destroyed (use_seq, destruction) SELECT use_seq, 'D8' FROM card_destruction_items`)
				exec(t, db, `INSERT INTO card_reconciliations (printer, counter, fed, difference, baseline, reject_box, locked, awaiting, actor, time)
					VALUES ('card-1', 3, 3, 0, 1, 1, 1, 1, 'sari', ?)`, at)
			},
			9: func(t *testing.T, db *sql.DB) {
				// An event sent and not yet acknowledged, a snapshot not yet sent.
				exec(t, db, `INSERT INTO outbox (seq, at, kind, key, data) VALUES (1, ?, 'job_state', '', '{"job_ref":"K7M2QX","document_type":"KTP-el","media":"card","state":"queued"}')`, at)
				exec(t, db, `INSERT INTO outbox (at, kind, key, data) VALUES (?, 'printer_state', 'printer_state/card-1', '{"printer":"card-1","media":"card","state":"stopped"}')`, at)
				exec(t, db, `UPDATE outbox_cursor SET assigned = 1`)
			},
			10: func(t *testing.T, db *sql.DB) {
				// A cosignature of the latest checkpoint.
				exec(t, db, `INSERT INTO audit_cosignatures (size, checkpoint, witness, cosignature, received)
					SELECT size, note, 'hub.test/witness', '— hub.test/witness AAAA', '2025-03-01T08:00:00Z' FROM audit_checkpoints ORDER BY id DESC LIMIT 1`)
			},
			11: func(t *testing.T, db *sql.DB) {
				exec(t, db, `INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, created, updated, document_type)
					VALUES ('J11K', 'key-J11K', 'iso_a4_210x297mm', 'Kartu Keluarga', ?, 'printed', ?, ?, 'kk')`, sha, at, at)
			},
			12: func(t *testing.T, db *sql.DB) {
				sum := sha256.Sum256(v12Document)
				exec(t, db, `INSERT INTO documents (sha256, body) VALUES (?, ?)`, hex.EncodeToString(sum[:]), v12Document)
				exec(t, db, `INSERT INTO jobs (id, idempotency_key, media, title, document_sha256, state, created, updated, document_type)
					VALUES ('J12K', 'key-J12K', 'iso_a4_210x297mm', 'Kartu Keluarga', ?, 'queued', ?, ?, 'kk')`, hex.EncodeToString(sum[:]), at, at)
			},
		},
		Defaults: map[string]string{},
		Upgrade: func(path string) error {
			db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)")
			if err != nil {
				return err
			}
			defer db.Close()
			return (&Journal{db: db}).migrate(ctx)
		},
		Check: func(t *testing.T, path string, from int) {
			checkUpgraded(t, path, from, vkey)
		},
	})
}

func checkUpgraded(t *testing.T, path string, from int, vkey string) {
	ctx := context.Background()
	var trusted [][]byte
	if from >= 3 {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := audit.Latest(ctx, db)
		db.Close()
		if err != nil || cp == nil {
			t.Fatalf("checkpoint of schema %d: %v", from, err)
		}
		trusted = append(trusted, cp)
	}
	j, err := Open(filepath.Dir(path), func() time.Time { return migrationTime.Add(time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if r := j.Recovered(); len(r) != 1 || r[0].ID != "J1D" {
		t.Errorf("recovered %v, want the dispatching job J1D", r)
	}
	jobs, err := j.List(ctx, printerd.JobFilter{Limit: printerd.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	got := map[printerd.JobID]printerd.JobState{}
	types := map[printerd.JobID]string{}
	for _, job := range jobs {
		got[job.ID], types[job.ID] = job.State, job.DocumentType
	}
	want := 0
	for _, o := range oldJobs {
		if o.version > from {
			continue
		}
		want++
		state := printerd.JobState(o.state)
		if state == printerd.JobDispatching {
			state = printerd.JobInDoubt // crash recovery, never queued again
		}
		if got[printerd.JobID(o.id)] != state {
			t.Errorf("job %s: %q, want %q", o.id, got[printerd.JobID(o.id)], state)
		}
		// Jobs from before schema 11 take the id of their title (all
		// "KTP-el"); J11K was written with its own.
		if want := map[bool]string{true: "kk", false: "ktp-el"}[o.id == "J11K" || o.id == "J12K"]; types[printerd.JobID(o.id)] != want {
			t.Errorf("job %s: document type %q, want %q", o.id, types[printerd.JobID(o.id)], want)
		}
	}
	if len(jobs) != want {
		t.Errorf("%d jobs, want %d", len(jobs), want)
	}
	if from >= 2 {
		tallies, err := j.Tallies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := printerd.Tally{Printer: "card-1", Loaded: 10, Printed: 1, Rejected: 1, Voided: 1}
		if from >= 8 {
			want.Destroyed = 1
		}
		if len(tallies) != 1 || tallies[0] != want {
			t.Errorf("ledger %+v", tallies)
		}
		reprint, err := j.Get(ctx, "J2R")
		if err != nil || reprint.ReprintOf != "J2O" {
			t.Errorf("reprint link: %+v, %v", reprint, err)
		}
	}
	if from >= 4 {
		if n, err := j.Note(ctx, "J4N"); err != nil || n.Text != "smeared" {
			t.Errorf("note of J4N: %+v, %v", n, err)
		}
	}
	if from >= 12 {
		if doc, err := j.Document(ctx, "J12K"); err != nil || !bytes.Equal(doc, v12Document) {
			t.Errorf("document of J12K: %q, %v", doc, err)
		}
	}
	// The upgraded journal takes a supervisor's decision.
	if _, err := j.Resolve(ctx, "J1I", printerd.Resolution{Action: printerd.ActionVoid, ReasonCode: printerd.ReasonCodeMisprint,
		Note: "smeared", CardSerial: "C-9", Actor: "sari"}); err != nil {
		t.Errorf("resolve after the upgrade: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := audit.Verify(ctx, db, vkey, trusted...)
	if err != nil {
		t.Errorf("audit log after the upgrade from %d: %v", from, err)
	}
	if from >= 3 && rep.Entries <= int64(len(oldJobs)) {
		t.Errorf("audit log holds %d entries", rep.Entries)
	}
}
