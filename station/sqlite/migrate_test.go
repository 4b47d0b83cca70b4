package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/migratetest"
	"github.com/anjungan/anjungan/station"
)

var migrationTime = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// stages are the settlements an old station left, one in every stage.
var stages = []station.SettlementStage{station.SettleSubmitting, station.SettleFollowing, station.SettleOwed,
	station.SettleInDoubt, station.SettleDone}

// TestMigrateEveryVersion upgrades a station database of every schema
// version, filled with what a station of that version writes (used
// tickets, a signed audit log and its index, accounts and sessions, the
// login throttle, settlements in every stage), to the latest; no row
// changes, and the station then reads them all, appends to the audit log,
// and the log verifies against the checkpoint signed before the upgrade.
func TestMigrateEveryVersion(t *testing.T) {
	signer, skey, vkey := migratetest.AuditSigner(t, "anjungan.test/station/audit", migrationTime)
	ctx := context.Background()
	exec := migratetest.Exec
	at := migrationTime.UnixNano()
	ticket := strings.Repeat("ab", 16)
	migratetest.Run(t, migratetest.Schema{
		Name:       "station/sqlite/migrate_test.go",
		File:       "station.db",
		Migrations: migrations,
		Open: func(path string) (*sql.DB, error) {
			return sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
		},
		Fill: map[int]func(t *testing.T, db *sql.DB){
			1: func(t *testing.T, db *sql.DB) {
				exec(t, db, `INSERT INTO used_tickets (ticket_id, used_at) VALUES (?, ?)`, ticket, migrationTime.Unix())
			},
			2: func(t *testing.T, db *sql.DB) {
				tx, err := db.Begin()
				if err != nil {
					t.Fatal(err)
				}
				for i, kind := range []string{"login.ticket", "print.confirmed", "supervisor.resolved"} {
					e := audit.Entry{Time: migrationTime.Add(time.Duration(i) * time.Second), Kind: kind, Actor: "kiosk",
						Subject: strings.Repeat("5", 64), Fields: map[string]string{"outcome": "ok", "printer": "card-1"}}
					idx, err := audit.Append(ctx, tx, e)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := tx.Exec(`INSERT INTO audit_index (idx, time, kind, outcome, printer, subject) VALUES (?, ?, ?, ?, ?, ?)`,
						idx, e.Time.UnixNano(), e.Kind, "ok", "card-1", e.Subject); err != nil {
						t.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
				if _, err := signer.Checkpoint(ctx, db); err != nil {
					t.Fatal(err)
				}
			},
			3: func(t *testing.T, db *sql.DB) {
				exec(t, db, `INSERT INTO console_accounts (name, role, hash, created, disabled) VALUES
					('sari', 'supervisor', '$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA', ?, 0),
					('budi', 'auditor', '$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA', ?, 1)`, migrationTime.Unix(), migrationTime.Unix())
				exec(t, db, `INSERT INTO console_sessions (id_hash, account, role, csrf, created, last_seen) VALUES (?, 'sari', 'supervisor', 'csrf-1', ?, ?)`,
					strings.Repeat("cd", 32), at, at)
			},
			4: func(t *testing.T, db *sql.DB) {
				exec(t, db, `INSERT INTO login_failures (key_hmac, at) VALUES (?, ?)`, strings.Repeat("ef", 32), at)
			},
			5: func(t *testing.T, db *sql.DB) {
				for i, st := range stages {
					exec(t, db, `INSERT INTO settlements (`+settlementColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
						fmt.Sprintf("%032x", i+1), fmt.Sprintf("req-%d/1", i), 1, "intent-1", "auth-1", fmt.Sprintf("req-%d", i), "KTP-el", ticket,
						strings.Repeat("ab", 32), fmt.Sprintf("J%d", i), string(st), "printed", "card-1", "C-1", "offline", 2, "upstream_unavailable",
						at, at, at)
				}
			},
			6: func(t *testing.T, db *sql.DB) {
				exec(t, db, `INSERT INTO officer_calls (request, at, document, job, ref, state) VALUES (?, ?, ?, ?, ?, ?)`,
					"req-1/1", at, "KTP-el", "J1", "K7M2QX", "held")
			},
			7: func(t *testing.T, db *sql.DB) {
				// An event sent and not yet acknowledged, a snapshot not yet sent.
				exec(t, db, `INSERT INTO outbox (seq, at, kind, key, data) VALUES (1, ?, 'login_outcome', '', '{"method":"ticket","code":"ok"}')`, at)
				exec(t, db, `INSERT INTO outbox (at, kind, key, data) VALUES (?, 'kiosk_state', 'kiosk_state', '{"state":"in_service"}')`, at)
				exec(t, db, `UPDATE outbox_cursor SET assigned = 1`)
			},
			8: func(t *testing.T, db *sql.DB) {
				// A cosignature of the checkpoint signed at version 2.
				exec(t, db, `INSERT INTO audit_cosignatures (size, checkpoint, witness, cosignature, received)
					SELECT size, note, 'hub.test/witness', '— hub.test/witness AAAA', '2025-03-01T08:00:00Z' FROM audit_checkpoints LIMIT 1`)
			},
		},
		Upgrade: func(path string) error {
			w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
			if err != nil {
				return err
			}
			defer w.Close()
			return (&DB{write: w}).migrate(ctx)
		},
		Check: func(t *testing.T, path string, from int) {
			checkUpgraded(t, path, from, skey, vkey)
		},
	})
}

func checkUpgraded(t *testing.T, path string, from int, skey, vkey string) {
	ctx := context.Background()
	var trusted [][]byte
	if from >= 2 {
		raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		cp, err := audit.Latest(ctx, raw)
		raw.Close()
		if err != nil || cp == nil {
			t.Fatalf("checkpoint of schema %d: %v", from, err)
		}
		trusted = append(trusted, cp)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if used, err := NewUsedTickets(db).Used(ctx, strings.Repeat("ab", 16)); err != nil || !used {
		t.Errorf("used ticket: %v, %v", used, err)
	}
	if from >= 3 {
		a, err := NewAccounts(db).Account(ctx, "budi")
		if err != nil || !a.Disabled {
			t.Errorf("account budi: %+v, %v", a, err)
		}
		if s, err := NewAccounts(db).Session(ctx, strings.Repeat("cd", 32)); err != nil || s.Account != "sari" {
			t.Errorf("session: %+v, %v", s, err)
		}
	}
	if from >= 5 {
		open, err := Settlements{DB: db}.OpenSettlements(ctx)
		if err != nil || len(open) != len(stages)-1 {
			t.Errorf("open settlements: %d, %v", len(open), err)
		}
		if s, ok, err := (Settlements{DB: db}).Settlement(ctx, fmt.Sprintf("%032x", 4)); err != nil || !ok || s.Stage != station.SettleInDoubt {
			t.Errorf("settlement in doubt: %+v, %v, %v", s, ok, err)
		}
	}
	signer, err := audit.NewSigner(skey, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	log, err := NewAuditLog(db, make([]byte, SubjectKeySize), signer, vkey, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := log.Append(ctx, station.AuditEntry{Kind: "upgrade.checked", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyAudit(ctx, db.read, vkey, trusted...)
	if err != nil {
		t.Errorf("audit log after the upgrade from %d: %v", from, err)
	}
	if from >= 2 && rep.Entries != 4 {
		t.Errorf("audit log holds %d entries, want 4", rep.Entries)
	}
}
