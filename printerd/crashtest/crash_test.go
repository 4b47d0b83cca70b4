// Package crashtest kills the real printerd binary at every syscall of
// the submission and dispatch path (strace fault injection), restarts it
// twice and checks the journal's promises. It runs only when
// ANJUNGAN_CRASH=1 (make test-crash): it takes minutes and needs strace.
package crashtest

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"

	_ "modernc.org/sqlite"
)

// syscalls are the calls of the dispatch path a crash may cut: file and
// WAL writes, syncs and renames (Go's os.Rename is renameat on amd64).
var syscalls = []string{"fsync", "fdatasync", "write", "pwrite64", "rename", "renameat", "renameat2"}

// keys are the jobs of one run; each is submitted, and after a crash
// submitted again, as the station would.
var keys = []string{"req-1", "req-2", "req-3"}

const loaded = 100

func TestMain(m *testing.M) {
	if os.Getenv("ANJUNGAN_CRASH") == "" {
		fmt.Println("crashtest: skipped (set ANJUNGAN_CRASH=1, or run make test-crash)")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// rig is one run's files: data, output, the socket and the audit key.
type rig struct {
	bin, dir, sock, data, out string
	key, vkey                 string // the signer key's file, the verifier key
}

func MustBuild(tb testing.TB) string {
	tb.Helper()
	if _, err := exec.LookPath("strace"); err != nil {
		tb.Fatal("strace is not installed (apt-get install strace)")
	}
	bin := filepath.Join(tb.TempDir(), "printerd")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/anjungan/anjungan/cmd/printerd")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func MustRig(tb testing.TB, bin string) *rig {
	tb.Helper()
	dir, err := os.MkdirTemp("", "crash") // short: socket paths are limited
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	skey, vkey, err := note.GenerateKey(rand.Reader, "anjungan.crashtest/printerd/audit")
	if err != nil {
		tb.Fatal(err)
	}
	key := filepath.Join(dir, "audit.key")
	if err := os.WriteFile(key, []byte(skey+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return &rig{bin: bin, dir: dir, sock: filepath.Join(dir, "s"), data: filepath.Join(dir, "data"), out: filepath.Join(dir, "out"),
		key: key, vkey: vkey}
}

func (r *rig) args() []string {
	return []string{"-socket", r.sock, "-data", r.data, "-log-level", "error", "-audit-key", r.key,
		"-printer", "name=card-1,driver=sim,uri=" + r.out + ",media=om_card_54x86mm,blanks=1000,raster=off"}
}

// proc is a running printerd (maybe under strace).
type proc struct {
	cmd    *exec.Cmd
	done   chan error
	traced bool // cmd is strace, printerd its child
}

func (r *rig) start(tb testing.TB, prefix ...string) *proc {
	tb.Helper()
	argv := append(append(prefix, r.bin), r.args()...)
	cmd := exec.Command(argv[0], argv[1:]...)
	// A group of its own, so that cleanup ends strace and printerd both.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan error, 1), traced: len(prefix) > 0}
	go func() { p.done <- cmd.Wait() }()
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err := <-p.done
		p.done <- err
	})
	return p
}

// printerd returns printerd's pid: the process itself, or strace's child.
func (p *proc) printerd() int {
	if !p.traced {
		return p.cmd.Process.Pid
	}
	pid := p.cmd.Process.Pid
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	var child int
	if _, err := fmt.Sscan(string(b), &child); err != nil {
		return 0
	}
	return child
}

func (p *proc) exited() bool {
	select {
	case err := <-p.done:
		p.done <- err
		return true
	default:
		return false
	}
}

// stop ends a printerd cleanly (SIGTERM) or finds it already dead;
// strace exits when its tracee does.
func (p *proc) stop() {
	if pid := p.printerd(); pid > 0 && !p.exited() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	err := <-p.done
	p.done <- err
}

// ready waits until printerd answers; false when it died first.
func (r *rig) ready(p *proc, c *client.Client) bool {
	deadline := time.Now().Add(20 * time.Second) // only stops a hung run
	for time.Now().Before(deadline) {
		if p.exited() {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Health(ctx)
		cancel()
		if err == nil {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// work loads cards (first run), submits every key and waits until no job
// is queued or dispatching. It returns the keys printerd accepted; it
// stops early when printerd dies.
func (r *rig) work(p *proc, first bool) map[string]bool {
	c := client.New(r.sock)
	defer c.CloseIdleConnections()
	c.Timeout = 10 * time.Second
	accepted := map[string]bool{}
	if !r.ready(p, c) {
		return accepted
	}
	ctx := context.Background()
	if first {
		if _, err := c.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: loaded, Actor: "crashtest"}); err != nil {
			return accepted
		}
	}
	doc, _ := os.ReadFile("testdata/card.pdf")
	for _, k := range keys {
		_, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: k, Media: printerd.MediaCard, Title: "KTP-el", Document: doc})
		if err != nil {
			return accepted
		}
		accepted[k] = true
	}
	for !p.exited() {
		jobs, err := c.Jobs(ctx, "")
		if err != nil {
			return accepted
		}
		busy := false
		for _, j := range jobs {
			busy = busy || j.State == printerd.JobQueued || j.State == printerd.JobDispatching
		}
		if !busy {
			return accepted
		}
		time.Sleep(5 * time.Millisecond)
	}
	return accepted
}

// run is one kill point: printerd under prefix (strace), then two clean
// restarts; then the checks. It reports whether the injection killed
// printerd (a kill point past the end of the run is not reached).
func run(t *testing.T, bin string, prefix []string) (killed bool) {
	r := MustRig(t, bin)
	p := r.start(t, prefix...)
	accepted := r.work(p, true)
	p.stop()
	err := <-p.done
	p.done <- err
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		killed = true
	}
	verifyAudit(t, r, "after the first run", false)
	for i := 0; i < 2; i++ {
		// The first restart loads the cards again if the crash came
		// before the load committed.
		load := i == 0 && !hasLoad(t, r)
		p = r.start(t)
		for k := range r.work(p, load) {
			accepted[k] = true
		}
		p.stop()
		verifyAudit(t, r, fmt.Sprintf("after restart %d", i+1), true)
	}
	check(t, r, accepted)
	return killed
}

// verifyAudit runs audit.Verify on the journal: every entry and hash
// recomputed, every checkpoint's signature and tree checked. After a
// clean stop the latest checkpoint covers every entry (printerd signs
// one as it closes); after a kill, entries may wait for the next one.
func verifyAudit(t *testing.T, r *rig, when string, clean bool) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(r.data, "journal.db")); err != nil {
		return // killed before the journal existed
	}
	db := MustDB(t, r)
	defer db.Close()
	rep, err := audit.Verify(context.Background(), db, r.vkey)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return // killed before the schema committed
		}
		t.Errorf("audit %s: %v", when, err)
		return
	}
	if clean && rep.Entries > 0 && (rep.Latest == nil || rep.Latest.Size != rep.Entries) {
		t.Errorf("audit %s: %d entries but the latest checkpoint covers %+v", when, rep.Entries, rep.Latest)
	}
}

func hasLoad(t *testing.T, r *rig) bool {
	db := MustDB(t, r)
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM card_loads").Scan(&n); err != nil {
		t.Logf("no load recorded yet: %v", err) // a crash before the schema committed
	}
	return n > 0
}

func MustDB(tb testing.TB, r *rig) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(r.data, "journal.db"))
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// check verifies the promises: the journal is sound, no document was
// printed twice, every accepted job is terminal or in doubt, and the
// blank-card ledger balances.
func check(t *testing.T, r *rig, accepted map[string]bool) {
	t.Helper()
	db := MustDB(t, r)
	defer db.Close()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check = %q, %v", ok, err)
	}
	rows, err := db.Query("SELECT id, idempotency_key, state FROM jobs")
	if err != nil {
		t.Fatal(err)
	}
	type job struct{ id, state string }
	byKey := map[string]job{}
	printed := 0
	for rows.Next() {
		var id, key, state string
		if err := rows.Scan(&id, &key, &state); err != nil {
			t.Fatal(err)
		}
		byKey[key] = job{id, state}
		if state == string(printerd.JobPrinted) {
			printed++
		}
	}
	rows.Close()
	for k := range accepted {
		j, found := byKey[k]
		switch {
		case !found:
			t.Errorf("accepted job %s was lost", k)
		case !printerd.JobState(j.state).Terminal():
			t.Errorf("job %s is %s after two restarts", k, j.state)
		}
	}
	// The simulator writes <job id>.pdf per card it prints.
	files, _ := filepath.Glob(filepath.Join(r.out, "*.pdf"))
	perKey := map[string]int{}
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".pdf")
		for k, j := range byKey {
			if j.id == id {
				perKey[k]++
			}
		}
	}
	for k, j := range byKey {
		if perKey[k] > 1 {
			t.Errorf("job %s printed %d times", k, perKey[k])
		}
		if j.state == string(printerd.JobPrinted) && perKey[k] != 1 {
			t.Errorf("job %s is printed but the printer has no output", k)
		}
	}
	var load, used, usedPrinted, dup int
	for _, q := range []struct {
		sql  string
		dest []any
	}{
		{"SELECT COALESCE(SUM(count), 0) FROM card_loads", []any{&load}},
		{"SELECT COUNT(*), COALESCE(SUM(use = 'printed'), 0) FROM card_uses", []any{&used, &usedPrinted}},
		{"SELECT COUNT(*) FROM (SELECT job_id FROM card_uses WHERE use = 'printed' GROUP BY job_id HAVING COUNT(*) > 1)", []any{&dup}},
	} {
		if err := db.QueryRow(q.sql).Scan(q.dest...); err != nil {
			t.Errorf("%s: %v", q.sql, err)
		}
	}
	if load != loaded || usedPrinted != printed || dup != 0 || used > load {
		t.Errorf("ledger: loaded %d (want %d), used %d, printed cards %d for %d printed jobs, %d counted twice",
			load, loaded, used, usedPrinted, printed, dup)
	}
}

// callRE matches a call in an strace log written with -f -o: "PID name(".
var callRE = regexp.MustCompile(`^(\d+)\s+([a-z0-9_]+)\(`)

// calibrate runs the workload once under strace and counts each syscall.
func calibrate(t *testing.T, bin string) map[string]int {
	r := MustRig(t, bin)
	trace := filepath.Join(r.dir, "trace")
	p := r.start(t, "strace", "-f", "-qq", "-o", trace, "-e", "signal=none", "-e", "trace="+strings.Join(syscalls, ","))
	r.work(p, true)
	p.stop()
	return countCalls(t, trace)
}

// countCalls returns, per syscall, the most calls one thread made in an
// strace log: strace counts when=N per thread (tracee), and Go runs the
// dispatch path on several. A call interrupted by another thread's
// ("<unfinished ...>", then "resumed") counts once.
func countCalls(t *testing.T, trace string) map[string]int {
	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	perThread := map[[2]string]int{}
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := callRE.FindStringSubmatch(sc.Text()); m != nil {
			k := [2]string{m[1], m[2]}
			perThread[k]++
			counts[m[2]] = max(counts[m[2]], perThread[k])
		}
	}
	return counts
}

func TestCrashAtEverySyscall(t *testing.T) {
	bin := MustBuild(t)
	counts := calibrate(t, bin)
	t.Logf("syscalls of one run: %v", counts)
	start := time.Now()
	points, killed := 0, 0
	for _, sc := range syscalls {
		for n := 1; n <= counts[sc]; n++ {
			t.Run(fmt.Sprintf("%s-%d", sc, n), func(t *testing.T) {
				points++
				if run(t, bin, []string{"strace", "-f", "-qq", "-o", "/dev/null",
					"-e", "trace=" + sc, "-e", fmt.Sprintf("inject=%s:signal=KILL:when=%d", sc, n)}) {
					killed++
				} else {
					t.Log("not reached: printerd made fewer calls in this run")
				}
			})
		}
	}
	t.Logf("kill points tried: %d, of which %d killed printerd; %s", points, killed, time.Since(start).Round(time.Second))
	if killed < points/4 {
		t.Errorf("only %d of %d kill points were reached: the injection is not working", killed, points)
	}
}

// TestSpoolIOError fails the spool's fsyncs with EIO: new jobs are
// refused with spool_unavailable and the jobs printerd had stay.
func TestSpoolIOError(t *testing.T) {
	bin := MustBuild(t)
	r := MustRig(t, bin)
	p := r.start(t)
	before := r.work(p, true)
	p.stop()
	// Every fsync of the spool directory fails (-P limits tracing, and
	// so injection, to calls on that path): the one that makes a new
	// document's name durable.
	trace := filepath.Join(r.dir, "trace")
	p = r.start(t, "strace", "-f", "-qq", "-o", trace, "-P", filepath.Join(r.data, "spool"),
		"-e", "trace=fsync", "-e", "inject=fsync:error=EIO")
	c := client.New(r.sock)
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
	if n := countCalls(t, trace)["fsync"]; n == 0 {
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
	p := r.start(t)
	before := r.work(p, true)
	if len(before) != len(keys) {
		t.Fatalf("accepted %d of %d jobs before the disk filled", len(before), len(keys))
	}
	filler := filepath.Join(r.data, "filler")
	mustFill(t, filler)

	c := client.New(r.sock)
	defer c.CloseIdleConnections()
	ctx := context.Background()
	doc, _ := os.ReadFile("testdata/card.pdf")
	doc = append(doc, "\n% "+strings.Repeat("x", 256<<10)+"\n"...)
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
	if _, err := c.Submit(ctx, req); err != nil {
		t.Fatalf("Submit after space was freed: %v", err)
	}
	accepted := r.work(p, false) // the earlier keys again: idempotent
	accepted[req.IdempotencyKey] = true
	p.stop()
	verifyAudit(t, r, "after the disk was full", true)
	check(t, r, accepted)
}

// mustTmpfs mounts a tmpfs of size on dir for the test. It needs root and
// CAP_SYS_ADMIN; without them the test is skipped, saying so.
func mustTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0750"); err != nil {
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
