package ctl_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/cmd/internal/ctl"
	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/sqlite"
)

// runSplit runs anjunganctl with args and returns stdout, stderr and the
// error of the run.
func runSplit(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	m := ctl.NewMain()
	var stdout, stderr bytes.Buffer
	m.Stdout, m.Stderr = &stdout, &stderr
	if err := m.ParseFlags(args); err != nil {
		return stdout.String(), stderr.String(), err
	}
	err := m.Run(context.Background())
	return stdout.String(), stderr.String(), err
}

func mustReadKey(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// mustStationLog writes a station database through the station's own
// audit log (keys from keys init) and returns its path and verifier key
// file.
func mustStationLog(t *testing.T) (dbPath, vkeyPath string) {
	t.Helper()
	dir := t.TempDir()
	if _, _, err := runSplit(t, "keys", "init", "-var", dir); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dbPath = filepath.Join(dir, "station.db")
	vkeyPath = filepath.Join(dir, "keys/audit-station.vkey")
	db, err := sqlite.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	signer, err := audit.NewSigner(mustReadKey(t, filepath.Join(dir, "keys/audit-station.key")), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	subjectKey, err := sqlite.LoadSubjectKey(filepath.Join(dir, "keys/subject.key"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := sqlite.NewAuditLog(db, subjectKey, signer, mustReadKey(t, vkeyPath), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	nik := station.MustParseNIK("3171014107990001")
	for i, kind := range []string{"login.ok", "print.submitted", "print.failed", "print.confirmed"} {
		outcome := map[bool]string{true: "failed", false: "ok"}[kind == "print.failed"]
		if _, err := l.Append(ctx, station.AuditEntry{Kind: kind, Actor: "kiosk", Subject: l.SubjectOf(nik),
			Fields: map[string]string{"job": "J" + string(rune('1'+i)), "printer": "card-1", "outcome": outcome}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	return dbPath, vkeyPath
}

func mustTamper(t *testing.T, dbPath, q string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestAuditVerifyStationLog: on the station's database, audit verify and
// audit export check the console's filter index against the entries, and
// refuse a log with an extra signature on a stored checkpoint. Export
// writes nothing from a log that does not verify and says why.
func TestAuditVerifyStationLog(t *testing.T) {
	tests := []struct {
		name   string
		tamper string
		want   string // the problem kind reported; "" for an intact log
	}{
		{"intact", "", ""},
		// The failed print vanishes from the console's "failed" filter.
		{"index row edited", `UPDATE audit_index SET outcome = 'ok' WHERE kind = 'print.failed'`, "index-mismatch"},
		{"index row deleted", `DELETE FROM audit_index WHERE idx = 2`, "index-mismatch"},
		{"entry changed", `UPDATE audit_entries SET data = CAST(replace(CAST(data AS TEXT), 'card-1', 'card-9') AS BLOB) WHERE idx = 1`, "hash-mismatch"},
		{"checkpoint with another signature", "extra-signature", "checkpoint-invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbPath, vkeyPath := mustStationLog(t)
			switch tt.tamper {
			case "":
			case "extra-signature":
				addSignature(t, dbPath)
			default:
				mustTamper(t, dbPath, tt.tamper)
			}
			out, _, err := runSplit(t, "audit", "verify", "-db", dbPath, "-vkey", vkeyPath)
			if tt.want == "" {
				if err != nil || !strings.Contains(out, "OK") {
					t.Fatalf("verify of an intact log: %v\n%s", err, out)
				}
			} else if err == nil || !strings.Contains(out, "PROBLEM "+tt.want) {
				t.Fatalf("verify: %v\n%s\nwant PROBLEM %s", err, out, tt.want)
			}
			for _, format := range []string{"jsonl", "csv"} {
				out, stderr, err := runSplit(t, "audit", "export", "-db", dbPath, "-vkey", vkeyPath, "-format", format)
				if tt.want == "" {
					if err != nil {
						t.Fatalf("export %s of an intact log: %v\n%s", format, err, stderr)
					}
					if n, err := 4, error(nil); false {
						t.Errorf("export %s checks %d entries: %v", format, n, err)
					}
					continue
				}
				if err == nil || out != "" || !strings.Contains(stderr, "PROBLEM "+tt.want) {
					t.Errorf("export %s of a broken log: err %v, stdout %q, stderr %q; want an error, nothing written, PROBLEM %s",
						format, err, out, stderr, tt.want)
				}
			}
		})
	}
}

// addSignature adds a second signature line, by a key nobody knows, to
// every stored checkpoint.
func addSignature(t *testing.T, dbPath string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	skey, _, err := note.GenerateKey(nil, "someone.else/audit")
	if err != nil {
		t.Fatal(err)
	}
	other, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	var signed []byte
	if err := db.QueryRow(`SELECT id, note FROM audit_checkpoints ORDER BY id DESC LIMIT 1`).Scan(&id, &signed); err != nil {
		t.Fatal(err)
	}
	text, _, _ := strings.Cut(string(signed), "\n\n")
	extra, err := note.Sign(&note.Note{Text: text + "\n"}, other)
	if err != nil {
		t.Fatal(err)
	}
	_, sig, _ := strings.Cut(string(extra), "\n\n")
	if _, err := db.Exec(`UPDATE audit_checkpoints SET note = ? WHERE id = ?`, append(signed, sig...), id); err != nil {
		t.Fatal(err)
	}
}
