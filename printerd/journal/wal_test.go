package journal_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

// walState is what a checkpoint changes: the WAL header's salt-1 (bytes
// 16–19, big-endian; it changes each time the WAL starts over, after a
// checkpoint or a truncation alike, where the checkpoint sequence number
// at bytes 12–15 starts from 0 again after a truncation) and the frames
// copied into the database (nBackfill, at byte 96 of the WAL index in
// journal.db-shm, native byte order), as SQLite's file format describes
// them (https://www.sqlite.org/walformat.html).
type walState struct{ salt, backfill uint32 }

func mustWALState(tb testing.TB, dir string) walState {
	tb.Helper()
	hdr := make([]byte, 20)
	wal, err := os.Open(filepath.Join(dir, "journal.db-wal"))
	if err != nil {
		tb.Fatal(err)
	}
	defer wal.Close()
	if _, err := wal.ReadAt(hdr, 0); errors.Is(err, io.EOF) {
		return walState{} // truncated: the next write starts it over
	} else if err != nil {
		tb.Fatal(err)
	}
	shm, err := os.ReadFile(filepath.Join(dir, "journal.db-shm"))
	if err != nil || len(shm) < 100 {
		tb.Fatalf("journal.db-shm: %d bytes, %v", len(shm), err)
	}
	return walState{salt: binary.BigEndian.Uint32(hdr[16:]), backfill: binary.NativeEndian.Uint32(shm[96:])}
}

// TestWALCheckpointNotInSubmission holds the promise of wal.go: a
// submission's commit never checkpoints the WAL nor starts it over (that
// was its p99); the dispatcher does, so the WAL stays bounded, and a
// claim that finds nothing writes nothing unless a document is to be
// erased. Each round is what a citizen's print makes: submit, a claim,
// and a claim that finds nothing. With no blank card the claim holds the
// job, and the WAL is checkpointed by the claims once it holds 100
// writes (a threshold larger than SQLite's own 1000 pages, so that its
// automatic checkpoint would land in some submissions if it were on).
// When the card prints, the write that ends the job deletes its document
// and the next poll erases the WAL and starts it over itself.
func TestWALCheckpointNotInSubmission(t *testing.T) {
	for _, tt := range []struct {
		name          string
		every, rounds int
		pad           int // bytes added to the document
		cards         int
		want          int // WAL restarts at least
	}{
		{"held", 100, 120, 0, 0, 2},        // 240 writes, a checkpoint every 100
		{"printed", 100, 120, 0, 200, 120}, // one erase a print
		// A document counts as the threshold at most, never four times it.
		{"large documents", 4, 12, 1 << 20, 0, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			j := MustOpen(t, dir, journal.WithWALCheckpointEvery(tt.every))
			if tt.cards > 0 {
				MustLoad(t, j, tt.cards)
			}
			doc := append(MustRead(t, "card.pdf"), make([]byte, tt.pad)...)
			restarts := 0
			for i := range tt.rounds {
				key := "wal-" + strconv.Itoa(i)
				before := mustWALState(t, dir)
				MustSubmit(t, j, printerd.SubmitRequest{IdempotencyKey: key, Media: printerd.MediaCard, Title: "KTP-el",
					Document: append(append([]byte(nil), doc...), key...)})
				if after := mustWALState(t, dir); after != before {
					t.Fatalf("submission %d checkpointed the WAL or started it over: %+v -> %+v", i, before, after)
				}
				job, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1")
				if err != nil || !ok {
					t.Fatalf("ClaimNext = %v, %v", ok, err)
				}
				if job.State == printerd.JobDispatching {
					if _, err := j.Finish(ctx, job.ID, printerd.Result{State: printerd.JobPrinted, Printer: "card-1"}); err != nil {
						t.Fatal(err)
					}
				}
				if _, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); err != nil || ok {
					t.Fatalf("ClaimNext of an empty queue = %v, %v", ok, err)
				}
				if mustWALState(t, dir).salt != before.salt {
					restarts++
				}
			}
			if restarts < tt.want {
				t.Fatalf("the WAL started over %d times in %d rounds, want %d", restarts, tt.rounds, tt.want)
			}
		})
	}
}

// TestWALEraseWaitsOutAReader: a reader that holds the WAL (a backup,
// Litestream) keeps a document's frames in it, and the dispatcher does not
// wait for that reader at every poll, which would hold up every write:
// after one wait in vain it tries again 10 s later, and then erases.
func TestWALEraseWaitsOutAReader(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := newClock()
	j, err := journal.Open(dir, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	mark := "ERASE-MARK-" + strings.Repeat("5c1d", 16)
	req := cardRequest(t, "k")
	req.Document = append(req.Document, mark...)
	job := MustSubmit(t, j, req)
	if _, err := j.Cancel(ctx, job.ID, "canceled-by-request"); err != nil {
		t.Fatal(err)
	}
	// A read transaction of another connection, begun after the cancel:
	// it uses the WAL until it ends.
	reader, err := mustDB(t, dir).BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRow("SELECT count(*) FROM jobs").Scan(&n); err != nil {
		t.Fatal(err)
	}
	poll := func() {
		t.Helper()
		if _, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); err != nil || ok {
			t.Fatalf("ClaimNext of an empty queue = %v, %v", ok, err)
		}
	}
	poll() // waits for the reader in vain
	if err := reader.Rollback(); err != nil {
		t.Fatal(err)
	}
	poll() // too soon after the wait: no erase
	if files := filesHolding(t, dir, mark); len(files) == 0 {
		t.Fatal("the WAL was erased at the poll right after a wait in vain")
	}
	c.mu.Lock()
	c.t = c.t.Add(10 * time.Second)
	c.mu.Unlock()
	poll()
	if files := filesHolding(t, dir, mark); len(files) != 0 {
		t.Errorf("the document is still in %v 10 s after the reader left", files)
	}
}
