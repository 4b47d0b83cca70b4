package crashtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// TestSpoolIOError fails the spool's fsyncs with EIO: new jobs are
// refused with spool_unavailable and the jobs printerd had stay.
func TestSpoolIOError(t *testing.T) {
	bin := MustBuild(t)
	r := MustRig(t, bin)
	c := client.New(r.sock)
	defer c.CloseIdleConnections()
	p := r.prepare(t, c)
	before := r.work(t, p, c)
	p.stop()
	// Every fsync of the spool directory fails (-P limits tracing, and
	// so injection, to calls on that path): the one that makes a new
	// document's name durable.
	trace := filepath.Join(r.dir, "trace")
	p = r.start(t, "strace", "-f", "-qq", "-o", trace, "-P", filepath.Join(r.data, "spool"),
		"-e", "trace=fsync", "-e", "inject=fsync:error=EIO")
	if !r.ready(p, c) {
		t.Fatal("printerd did not start with failing fsyncs")
	}
	ctx := context.Background()
	doc, _ := os.ReadFile("testdata/card.pdf")
	doc = append(doc, "\n% another document\n"...)
	_, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "new", Media: printerd.MediaCard, Title: "KTP-el", Document: doc})
	if !errors.Is(err, printerd.ErrSpoolUnavailable) {
		t.Errorf("Submit with failing fsync = %v, want spool_unavailable", err)
	}
	jobs, err := c.Jobs(ctx, "")
	if err != nil || len(jobs) != len(before) {
		t.Errorf("jobs after the failure = %d, %v; want the %d from before", len(jobs), err, len(before))
	}
	p.stop()
	if b, _ := os.ReadFile(trace); !strings.Contains(string(b), "fsync(") {
		t.Error("no fsync of the spool was failed: the test tested nothing")
	}
	mustNoTemp(t, filepath.Join(r.data, "spool"))
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
// it: a new job is refused with a clear error, the jobs printerd had stay,
// nothing is half-written, and once space is freed the same submission is
// accepted and printed once. A real full file system, not an injected
// error: SQLite's WAL and the spool both meet ENOSPC where they would.
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
	if !errors.Is(err, printerd.ErrSpoolUnavailable) && !errors.Is(err, printerd.ErrJournal) {
		t.Fatalf("Submit on a full disk = %v, want spool_unavailable or journal_unavailable", err)
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
	mustNoTemp(t, filepath.Join(r.data, "spool"))

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

func mustNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("half-written spool file %s left", e.Name())
		}
	}
}
