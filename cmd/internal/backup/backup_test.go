package backup

import (
	"bytes"
	"context"
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

func submit(t testing.TB, j *journal.Journal, n int) printerd.Job {
	job, _, err := j.Submit(context.Background(), printerd.SubmitRequest{IdempotencyKey: fmt.Sprintf("key-%d", n),
		Media: printerd.MediaA4, Title: "KK", Document: fmt.Appendf(nil, "%%PDF-1.4 document %d\n%%%%EOF\n", n)})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// TestBackupWhileWriting backs up a journal that takes submissions all
// the while, then restores it: every job committed before the backup
// began is there, each with its spooled document, no private key is, and
// the restored journal and station database open.
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
	// One printed job: its document leaves the spool and stays out of
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
	if hasFile(m, "printerd/spool/"+done.DocumentSHA256) {
		t.Errorf("the printed job's document is in the backup")
	}

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
