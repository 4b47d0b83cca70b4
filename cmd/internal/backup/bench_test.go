package backup

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// benchKiosk is a data folder whose journal holds 1000 jobs, 500 of
// them still queued (their documents in the journal).
func benchKiosk(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	for _, d := range []string{"station", "keys", "certs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			b.Fatal(err)
		}
	}
	j, db := openKiosk(b, dir)
	defer j.Close()
	defer db.Close()
	ctx := context.Background()
	for i := range 1000 {
		submit(b, j, i)
	}
	for range 500 {
		job, ok, err := j.ClaimNext(ctx, printerd.MediaA4, "paper-1")
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		if _, err := j.Finish(ctx, job.ID, printedResult); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkBackup takes backups of benchKiosk. Its anchor, timed in
// alternation with each backup so that both see the same disk, copies the
// same two database files (documents included) with plain fsynced copies
// (fast and not consistent); x-of-copy is the ratio of the two totals.
func BenchmarkBackup(b *testing.B) {
	dir := benchKiosk(b)
	var backup, anchor time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := (Taker{Now: clock}).Take(context.Background(), SourceIn(dir), filepath.Join(b.TempDir(), "backup")); err != nil {
			b.Fatal(err)
		}
		backup += time.Since(start)
		b.StopTimer()
		start = time.Now()
		copyAnchor(b, dir)
		anchor += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(backup)/float64(anchor), "x-of-copy")
}

func copyAnchor(b *testing.B, dir string) {
	out := b.TempDir()
	if err := plainCopy(filepath.Join(dir, "printerd", "journal.db"), filepath.Join(out, "journal.db")); err != nil {
		b.Fatal(err)
	}
	if err := plainCopy(filepath.Join(dir, "station", "station.db"), filepath.Join(out, "station.db")); err != nil {
		b.Fatal(err)
	}
}

// plainCopy copies and fsyncs a file, as a backup must.
func plainCopy(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
