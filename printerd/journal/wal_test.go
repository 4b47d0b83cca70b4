package journal_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

// walState is what a checkpoint changes: the WAL header's checkpoint
// sequence number (bytes 12–15, big-endian; it grows when the WAL starts
// over) and the frames copied into the database (nBackfill, at byte 96 of
// the WAL index in journal.db-shm, native byte order), as SQLite's file
// format describes them (https://www.sqlite.org/walformat.html).
type walState struct{ seq, backfill uint32 }

func mustWALState(tb testing.TB, dir string) walState {
	tb.Helper()
	hdr := make([]byte, 16)
	wal, err := os.Open(filepath.Join(dir, "journal.db-wal"))
	if err != nil {
		tb.Fatal(err)
	}
	defer wal.Close()
	if _, err := wal.ReadAt(hdr, 0); err != nil {
		tb.Fatal(err)
	}
	shm, err := os.ReadFile(filepath.Join(dir, "journal.db-shm"))
	if err != nil || len(shm) < 100 {
		tb.Fatalf("journal.db-shm: %d bytes, %v", len(shm), err)
	}
	return walState{seq: binary.BigEndian.Uint32(hdr[12:]), backfill: binary.NativeEndian.Uint32(shm[96:])}
}

// TestWALCheckpointNotInSubmission holds the promise of wal.go: a
// submission's commit never checkpoints the WAL nor starts it over (that
// was its p99); the dispatcher's claims of a queued job do, so the WAL
// stays bounded, and a claim that finds nothing writes nothing.
// Each round is what a citizen's print makes with no blank card: submit,
// a claim that holds the job, a claim that finds nothing. The threshold
// is larger than SQLite's own (1000 pages), so its automatic checkpoint
// would land in some submissions if it were on.
func TestWALCheckpointNotInSubmission(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	j := MustOpen(t, dir, journal.WithWALCheckpointEvery(100))
	doc := MustRead(t, "card.pdf")
	restarts := 0
	for i := range 120 {
		key := "wal-" + strconv.Itoa(i)
		before := mustWALState(t, dir)
		MustSubmit(t, j, printerd.SubmitRequest{IdempotencyKey: key, Media: printerd.MediaCard, Title: "KTP-el",
			Document: append(append([]byte(nil), doc...), key...)})
		if after := mustWALState(t, dir); after != before {
			t.Fatalf("submission %d checkpointed the WAL: %+v -> %+v", i, before, after)
		}
		if _, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); err != nil || !ok {
			t.Fatalf("ClaimNext = %v, %v", ok, err)
		}
		if _, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); err != nil || ok {
			t.Fatalf("ClaimNext of an empty queue = %v, %v", ok, err)
		}
		if mustWALState(t, dir).seq != before.seq {
			restarts++
		}
	}
	// 240 write transactions, a checkpoint every 100: two.
	if restarts < 2 {
		t.Fatalf("the WAL started over %d times in 240 writes, want 2", restarts)
	}
}
