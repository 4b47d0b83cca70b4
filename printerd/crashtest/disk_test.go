package crashtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// TestJournalSyncError fails every sync of the journal's WAL with EIO:
// a submission, whose document commits with its job in one transaction,
// is refused with journal_unavailable and no job is listed for it; the
// jobs printerd had keep their documents and, once the disk works again,
// each prints once. Two of them share a PDF: the first one's print must
// leave the document to the second.
func TestJournalSyncError(t *testing.T) {
	bin := MustBuild(t)
	r := MustRig(t, bin)
	c := client.New(r.sock)
	defer c.CloseIdleConnections()
	ctx := context.Background()
	// No blank card is loaded: each claim holds its job (no-blanks), and
	// the job waits with its document.
	p := r.start(t)
	if !r.ready(p, c) {
		t.Fatal("printerd did not start")
	}
	held := []printerd.SubmitRequest{
		{IdempotencyKey: "held-1", Document: document(t, "pdf-1")},
		{IdempotencyKey: "held-2", Document: document(t, "pdf-1")}, // the same PDF again
		{IdempotencyKey: "held-3", Document: document(t, "pdf-2")},
	}
	ids := map[string]printerd.JobID{}
	for _, req := range held {
		req.Media, req.Title = printerd.MediaCard, "KTP-el"
		job, err := c.Submit(ctx, req)
		if err != nil {
			t.Fatalf("Submit %s: %v", req.IdempotencyKey, err)
		}
		r.settle(p, c, job.ID)
		if job, err = c.Job(ctx, job.ID); err != nil || job.State != printerd.JobHeld {
			t.Fatalf("job %s with no blank card = %s, %v; want held", req.IdempotencyKey, job.State, err)
		}
		ids[req.IdempotencyKey] = job.ID
	}
	p.stop()

	// Once printerd runs (its start writes), every sync of the WAL
	// fails: a commit's, whatever it commits.
	p = r.start(t)
	if !r.ready(p, c) {
		t.Fatal("printerd did not start again")
	}
	in := injection{calls: []string{"fsync", "fdatasync"}, paths: []string{filepath.Join(r.data, "journal.db-wal")}, at: 1, errno: "EIO", all: true}
	tr := in.attach(t, p)
	refused := printerd.SubmitRequest{IdempotencyKey: "refused", Media: printerd.MediaCard, Title: "KTP-el", Document: document(t, "pdf-3")}
	if _, err := c.Submit(ctx, refused); !errors.Is(err, printerd.ErrJournal) {
		t.Errorf("Submit with failing WAL syncs = %v, want journal_unavailable", err)
	}
	jobs, err := c.Jobs(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, j := range jobs {
		listed = append(listed, j.IdempotencyKey+" "+string(j.State))
	}
	sort.Strings(listed)
	if want := []string{"held-1 held", "held-2 held", "held-3 held"}; !slices.Equal(listed, want) {
		t.Errorf("jobs after the refused submission = %v, want %v", listed, want)
	}
	p.stop()
	if pts := tr.points(t); len(pts) == 0 || !pts[0].acted {
		t.Fatalf("no sync of the WAL was failed (%d calls): the test tested nothing", len(pts))
	}
	// What is on disk: the held jobs' documents, whole.
	for _, b := range documents(t, r.data) {
		t.Error(b)
	}

	// The disk works again. The station submits the refused key again (a
	// failed commit's frames may have come back at the start: "unknown"
	// until a write succeeds, docs/printerd.md); a supervisor loads cards
	// and releases the held jobs one by one: each prints once, the second
	// of the shared PDF too.
	p = r.start(t)
	if !r.ready(p, c) {
		t.Fatal("printerd did not start again")
	}
	if _, err := c.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: loaded, Actor: "crashtest"}); err != nil {
		t.Fatalf("load cards: %v", err)
	}
	accepted := map[string]bool{refused.IdempotencyKey: true}
	for _, req := range held {
		accepted[req.IdempotencyKey] = true
		id := ids[req.IdempotencyKey]
		if _, err := c.Release(ctx, id, "crashtest"); err != nil {
			t.Fatalf("release %s: %v", req.IdempotencyKey, err)
		}
		r.settle(p, c, id)
		if job, err := c.Job(ctx, id); err != nil || job.State != printerd.JobPrinted {
			t.Errorf("held job %s after its release = %s (%s), %v; want printed", req.IdempotencyKey, job.State, job.Reason, err)
		}
	}
	job, err := c.Submit(ctx, refused)
	if err != nil {
		t.Fatalf("Submit again once the WAL syncs: %v", err)
	}
	r.settle(p, c, job.ID)
	p.stop()
	verifyAudit(t, r, "after the WAL syncs failed", true)
	for _, b := range findings(t, r, accepted) {
		t.Error(b)
	}
}

// BenchmarkRSS measures the real printerd's resident memory (VmRSS from
// /proc) once its journal holds 1,000 printed jobs and it has listed
// them.
func BenchmarkRSS(b *testing.B) {
	bin := MustBuild(b)
	for b.Loop() {
		r := MustRig(b, bin)
		p := r.start(b)
		c := client.New(r.sock)
		if !r.ready(p, c) {
			b.Fatal("printerd did not start")
		}
		ctx := context.Background()
		doc, _ := os.ReadFile("testdata/card.pdf")
		if _, err := c.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 1000, Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
		for i := range 1000 {
			d := append(append([]byte(nil), doc...), fmt.Sprint(i)...)
			if _, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: fmt.Sprint("rss-", i), Media: printerd.MediaCard, Document: d}); err != nil {
				b.Fatal(err)
			}
		}
		for {
			jobs, err := c.Jobs(ctx, printerd.JobQueued)
			if err != nil {
				b.Fatal(err)
			}
			if len(jobs) == 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := c.Ledger(ctx); err != nil {
			b.Fatal(err)
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.printerd()))
		if err != nil {
			b.Fatal(err)
		}
		var kb float64
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				_, _ = fmt.Sscan(v, &kb)
			}
		}
		b.ReportMetric(kb/1024, "RSS-MB")
		p.stop()
	}
}

// TestDiskFull puts printerd's data directory on a small tmpfs and fills
// it: a new job is refused with journal_unavailable (its document and its
// job are one transaction), the jobs printerd had stay, and once space is
// freed the same submission is accepted and printed once; the journal
// holds no document but the ones its jobs may still print, and no spool
// folder appears (findings). A real full file system, not an injected
// error: SQLite's WAL meets ENOSPC where it would.
func TestDiskFull(t *testing.T) {
	bin := MustBuild(t)
	r := MustRig(t, bin)
	mustTmpfs(t, r.data, "16m")
	c := client.New(r.sock)
	defer c.CloseIdleConnections()
	p := r.prepare(t, c)
	before := r.work(t, p, c)
	if len(before) != len(keys) {
		t.Fatalf("accepted %d of %d jobs before the disk filled", len(before), len(keys))
	}
	filler := filepath.Join(r.data, "filler")
	mustFill(t, filler)

	ctx := context.Background()
	doc := document(t, strings.Repeat("x", 256<<10))
	req := printerd.SubmitRequest{IdempotencyKey: "full", Media: printerd.MediaCard, Title: "KTP-el", Document: doc}
	_, err := c.Submit(ctx, req)
	if !errors.Is(err, printerd.ErrJournal) {
		t.Fatalf("Submit on a full disk = %v, want journal_unavailable", err)
	}
	t.Logf("refused on a full disk: %v", err)
	jobs, err := c.Jobs(ctx, "")
	if err != nil || len(jobs) != len(before) {
		t.Errorf("jobs on a full disk = %d, %v; want the %d from before", len(jobs), err, len(before))
	}
	for _, j := range jobs {
		if j.IdempotencyKey == req.IdempotencyKey {
			t.Errorf("the refused submission left job %s (%s)", j.ID, j.State)
		}
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	job, err := c.Submit(ctx, req)
	if err != nil {
		t.Fatalf("Submit after space was freed: %v", err)
	}
	r.settle(p, c, job.ID)
	accepted := r.work(t, p, c) // the earlier keys again: idempotent
	accepted[req.IdempotencyKey] = true
	p.stop()
	verifyAudit(t, r, "after the disk was full", true)
	for _, b := range findings(t, r, accepted) {
		t.Error(b)
	}
}

// mustTmpfs mounts a tmpfs of size on dir for the test. It needs root and
// CAP_SYS_ADMIN; without them the test is skipped, saying so.
func mustTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0750"); err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			t.Fatalf("cannot mount a tmpfs to fill (needs root and CAP_SYS_ADMIN) and ANJUNGAN_REQUIRE_PEERS=1: %v", err)
		}
		t.Skipf("cannot mount a tmpfs to fill (needs root and CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// mustFill writes zeros to name until the file system is full.
func mustFill(t *testing.T, name string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			break
		}
	}
	for _, n := range []int{4096, 512, 1} { // the last partial blocks
		for {
			if _, err := f.Write(block[:n]); err != nil {
				break
			}
		}
	}
}
