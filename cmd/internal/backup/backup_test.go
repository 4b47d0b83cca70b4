package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
	"github.com/anjungan/anjungan/station/sqlite"
)

var clock = func() time.Time { return time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC) }

// kiosk makes a data folder in the default layout with a journal and a
// station database open, as the running services hold them.
func kiosk(t *testing.T) (string, *journal.Journal, *sqlite.DB) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"keys/ticket.pub": "public", "keys/ticket.key": "PRIVATE", "keys/audit-station.vkey": "vkey",
		"keys/audit-station.key": "PRIVATE", "keys/binding.key": "SECRET", "keys/subject.key": "SECRET",
		"certs/ca.crt": "cert", "certs/ca.key": "PRIVATE", "certs/console.crt": "cert",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	j, db := openKiosk(t, dir)
	t.Cleanup(func() { j.Close() })
	t.Cleanup(func() { db.Close() })
	return dir, j, db
}

// openKiosk opens the journal and the station database of dir.
func openKiosk(tb testing.TB, dir string) (*journal.Journal, *sqlite.DB) {
	tb.Helper()
	j, err := journal.Open(filepath.Join(dir, "printerd"), clock)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "station"), 0o700); err != nil {
		tb.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(dir, "station", "station.db"))
	if err != nil {
		tb.Fatal(err)
	}
	return j, db
}

// printedResult is a print that went well.
var printedResult = printerd.Result{State: printerd.JobPrinted, Printer: "paper-1"}

// document is the PDF of submission n: no two alike, none inside another.
func document(n int) []byte { return fmt.Appendf(nil, "%%PDF-1.4 document %d\n%%%%EOF\n", n) }

func submit(t testing.TB, j *journal.Journal, n int) printerd.Job {
	job, _, err := j.Submit(context.Background(), printerd.SubmitRequest{IdempotencyKey: fmt.Sprintf("key-%d", n),
		Media: printerd.MediaA4, Title: "KK", Document: document(n)})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// TestBackupWhileWriting backs up a journal that takes submissions all
// the while, then restores it: every job committed before the backup
// began is there, each job that may still print with its document in the
// journal's snapshot, a printed job's document is not (neither as a row
// nor as bytes left in the file), no private key is, and the restored
// journal and station database open.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir, j, db := kiosk(t)
	if err := sqlite.NewUsedTickets(db).MarkUsed(ctx, strings.Repeat("ab", 16), clock()); err != nil {
		t.Fatal(err)
	}
	before := 50
	for i := range before {
		submit(t, j, i)
	}
	// One printed job: its document leaves the journal and stays out of
	// the backup.
	done, ok, err := j.ClaimNext(ctx, printerd.MediaA4, "paper-1")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := j.Finish(ctx, done.ID, printedResult); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := before; ; i++ {
			select {
			case <-stop:
				return
			default:
				submit(t, j, i)
			}
		}
	}()
	out := filepath.Join(t.TempDir(), "backup")
	m, err := Taker{Now: clock, Version: "test"}.Take(ctx, SourceIn(dir), out)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		if strings.HasSuffix(f.Path, ".key") {
			t.Errorf("the backup holds %s", f.Path)
		}
	}
	for _, want := range []string{"keys/ticket.pub", "keys/audit-station.vkey", "certs/ca.crt", StationDB, JournalDB} {
		if !hasFile(m, want) {
			t.Errorf("the backup lacks %s", want)
		}
	}
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, "printerd/spool/") {
			t.Errorf("the backup holds %s: the journal's snapshot carries the documents", f.Path)
		}
	}
	checkDocuments(t, filepath.Join(out, filepath.FromSlash(JournalDB)), done, before-1)

	to := filepath.Join(t.TempDir(), "var")
	if _, err := Restore(ctx, out, to); err != nil {
		t.Fatal(err)
	}
	rj, err := journal.Open(filepath.Join(to, "printerd"), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer rj.Close()
	jobs, err := rj.List(ctx, printerd.JobFilter{Limit: printerd.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) < before {
		t.Fatalf("restored %d jobs, %d were committed before the backup", len(jobs), before)
	}
	for _, job := range jobs {
		if job.State == printerd.JobPrinted {
			continue
		}
		if _, err := rj.Document(ctx, job.ID); err != nil {
			t.Errorf("job %s (%s): %v", job.ID, job.State, err)
		}
	}
	rdb, err := sqlite.Open(filepath.Join(to, "station", "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if used, err := sqlite.NewUsedTickets(rdb).Used(ctx, strings.Repeat("ab", 16)); err != nil || !used {
		t.Errorf("used ticket after restore: %v, %v", used, err)
	}
}

// checkDocuments checks the documents of a backup's journal.db against
// its jobs: each job that may still print (queued, dispatching, held, in
// doubt) has its document, the bytes submitted, and the printed job's
// document is neither a row nor raw bytes in the file (VACUUM INTO copies
// no free page). At least active jobs are checked, the raw search
// seeing their documents first.
func checkDocuments(t *testing.T, path string, printed printerd.Job, active int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	docs := map[string][]byte{}
	rows, err := db.Query(`SELECT sha256, body FROM documents`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var sha string
		var body []byte
		if err := rows.Scan(&sha, &body); err != nil {
			t.Fatal(err)
		}
		docs[sha] = body
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err = db.Query(`SELECT idempotency_key, document_sha256 FROM jobs
		WHERE state IN ('queued', 'dispatching', 'held', 'in_doubt')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	needed := map[string]bool{}
	for rows.Next() {
		var key, sha string
		if err := rows.Scan(&key, &sha); err != nil {
			t.Fatal(err)
		}
		needed[sha] = true
		var n int
		if _, err := fmt.Sscanf(key, "key-%d", &n); err != nil {
			t.Fatalf("job %s: %v", key, err)
		}
		body, ok := docs[sha]
		sum := sha256.Sum256(body)
		switch {
		case !ok:
			t.Errorf("job %s may still print and its document is not in the backup's journal", key)
		case hex.EncodeToString(sum[:]) != sha || !bytes.Equal(body, document(n)):
			t.Errorf("job %s: the backup's journal holds %q, submitted %q", key, body, document(n))
		case !bytes.Contains(raw, document(n)):
			t.Errorf("job %s: its document is not found raw in %s: the search below cannot see one", key, path)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(needed) < active {
		t.Errorf("%d jobs that may still print in the backup, want at least %d", len(needed), active)
	}
	for sha := range docs {
		if !needed[sha] {
			t.Errorf("the backup's journal holds document %s, which no job may print any more", sha)
		}
	}
	if _, ok := docs[printed.DocumentSHA256]; ok {
		t.Errorf("the printed job's document is in the backup's journal")
	}
	var n int
	if _, err := fmt.Sscanf(string(printed.IdempotencyKey), "key-%d", &n); err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(raw, document(n)); i >= 0 {
		t.Errorf("the printed job's document is in the bytes of the backup's journal.db at %d", i)
	}
}

func hasFile(m Manifest, p string) bool {
	for _, f := range m.Files {
		if f.Path == p {
			return true
		}
	}
	return false
}

// TestRestoreRefuses holds the checks restore makes before it writes.
func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	dir, j, _ := kiosk(t)
	submit(t, j, 1)
	good := filepath.Join(t.TempDir(), "backup")
	if _, err := (Taker{Now: clock, Version: "test"}).Take(ctx, SourceIn(dir), good); err != nil {
		t.Fatal(err)
	}
	if _, err := (Taker{Now: clock}).Take(ctx, SourceIn(dir), good); !errors.Is(err, ErrTargetNotEmpty) {
		t.Errorf("backup into a used folder: %v", err)
	}
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		want   error
	}{
		{"target-not-empty", func(t *testing.T, dir string) {}, ErrTargetNotEmpty},
		{"database-changed", func(t *testing.T, dir string) {
			flipByte(t, filepath.Join(dir, "printerd", "journal.db"), 200)
		}, ErrMismatch},
		{"file-missing", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "keys", "ticket.pub")); err != nil {
				t.Fatal(err)
			}
		}, ErrMismatch},
		{"file-added", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "keys", "ticket.key"), []byte("planted"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, ErrMismatch},
		{"manifest-missing", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, ManifestName)); err != nil {
				t.Fatal(err)
			}
		}, ErrManifest},
		{"schema-newer", func(t *testing.T, dir string) {
			p := filepath.Join(dir, ManifestName)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			v := fmt.Sprint(journal.SchemaVersion())
			b = bytes.Replace(b, []byte(`"schema": `+v+`,
      "latest": `+v), []byte(`"schema": 99,
      "latest": 99`), 1)
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, ErrSchemaNewer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "backup")
			if err := os.CopyFS(src, os.DirFS(good)); err != nil {
				t.Fatal(err)
			}
			tt.change(t, src)
			to := filepath.Join(t.TempDir(), "var")
			if tt.want == ErrTargetNotEmpty {
				if err := os.MkdirAll(to, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(to, "station.db"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Restore(ctx, src, to)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Restore = %v, want %v", err, tt.want)
			}
			if tt.want != ErrTargetNotEmpty {
				if ents, _ := os.ReadDir(to); len(ents) > 0 {
					t.Errorf("a refused restore wrote %s", ents[0].Name())
				}
			}
		})
	}
}

func flipByte(t *testing.T, path string, at int64) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreOldSpoolBackup restores a backup taken before the journal
// kept its documents, made here by hand from a new one: a schema 11
// journal.db without the documents table and the document of its queued
// job in printerd/spool/. Restore puts the file back, and printerd's
// next start moves it into the journal: the job still prints.
func TestRestoreOldSpoolBackup(t *testing.T) {
	ctx := context.Background()
	dir, j, _ := kiosk(t)
	queued := submit(t, j, 1)
	out := filepath.Join(t.TempDir(), "backup")
	if _, err := (Taker{Now: clock, Version: "test"}).Take(ctx, SourceIn(dir), out); err != nil {
		t.Fatal(err)
	}

	// Undo schema 12 (printerd/journal/documents.go) in the backup's
	// journal and move the document out into the spool.
	jdb := filepath.Join(out, filepath.FromSlash(JournalDB))
	db, err := sql.Open("sqlite", "file:"+jdb)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TABLE documents", "DROP TABLE wal_erased", "PRAGMA user_version = 11", "VACUUM"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	spooled := "printerd/spool/" + queued.DocumentSHA256
	if err := os.MkdirAll(filepath.Join(out, "printerd", "spool"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, filepath.FromSlash(spooled)), document(1), 0o600); err != nil {
		t.Fatal(err)
	}
	mf, err := os.Open(filepath.Join(out, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(mf)
	mf.Close()
	if err != nil {
		t.Fatal(err)
	}
	m.Files = append(m.Files, File{Path: spooled})
	for i, f := range m.Files {
		if f.Path == JournalDB || f.Path == spooled {
			if m.Files[i], err = hashFile(filepath.Join(out, filepath.FromSlash(f.Path)), f.Path); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range m.Databases {
		if m.Databases[i].Path == JournalDB {
			m.Databases[i].Schema, m.Databases[i].Latest = 11, 11
		}
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, ManifestName), data, 0o600); err != nil {
		t.Fatal(err)
	}

	to := filepath.Join(t.TempDir(), "var")
	if _, err := Restore(ctx, out, to); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(to, filepath.FromSlash(spooled))); err != nil || !bytes.Equal(got, document(1)) {
		t.Fatalf("restored %s: %q, %v", spooled, got, err)
	}
	rj, err := journal.Open(filepath.Join(to, "printerd"), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer rj.Close()
	if got, err := rj.Document(ctx, queued.ID); err != nil || !bytes.Equal(got, document(1)) {
		t.Errorf("document of the queued job after the restore: %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(to, "printerd", "spool")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("printerd/spool after printerd's start: %v, want it gone", err)
	}
}
