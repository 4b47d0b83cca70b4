package crashtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd/client"
)

// killCalls are the calls a crash may cut, on the journal's and the
// printer's files: writes, syncs, truncations (a TRUNCATE checkpoint's
// of the WAL, when eraseWAL starts it over), renames (Go's os.Rename is
// renameat; the printer's files, the audit checkpoints) and removals
// (SQLite's of the WAL as the journal closes).
var killCalls = []string{"fsync", "fdatasync", "write", "pwrite64", "ftruncate", "rename", "renameat", "renameat2", "unlink", "unlinkat"}

// journalCalls are the journal's own writes, syncs and truncations
// (SQLite's WAL and database file), where the fault matrix fails one call
// per run.
var journalCalls = []string{"pwrite64", "fsync", "fdatasync", "ftruncate"}

// errnos are the errors the fault matrix injects.
var errnos = []string{"EIO", "ENOSPC"}

// point is one call of a calibrated run: its number among the calls the
// injector counts, the syscall and its file.
type point struct {
	n       int
	syscall string
	path    string
	acted   bool // the injector killed or failed it
}

// injection is how a run attaches the injector to printerd once it is
// ready: which calls it counts, and what it does at the Nth.
type injection struct {
	calls []string
	paths []string // file prefixes; the shared-memory index is never counted
	// skip are files whose calls are not counted: SQLite syncs the
	// journal's directory once per connection, whichever one the pool
	// hands out first, so that sync is no fixed point of the workload.
	skip  []string
	at    int // 0: count only
	kill  bool
	errno string
	all   bool // fail every call from the at-th on, not just that one
}

// tracer is a running injector.
type tracer struct {
	cmd *exec.Cmd
	log string
}

// attach starts the injector on printerd and waits until it traces every
// thread.
func (in injection) attach(tb testing.TB, p *proc) *tracer {
	tb.Helper()
	log := filepath.Join(tb.TempDir(), "calls")
	args := []string{"-pid", strconv.Itoa(p.printerd()), "-syscalls", strings.Join(in.calls, ","), "-exclude", "-shm", "-log", log}
	for _, s := range in.skip {
		args = append(args, "-exclude", s)
	}
	for _, path := range in.paths {
		args = append(args, "-path", path)
	}
	if in.at > 0 {
		args = append(args, "-at", strconv.Itoa(in.at))
		if in.kill {
			args = append(args, "-kill")
		} else {
			args = append(args, "-errno", in.errno)
		}
		if in.all {
			args = append(args, "-all")
		}
	}
	cmd := exec.Command(MustInjector(tb), args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "attached" {
		tb.Fatalf("sysinject did not attach: %q, %v", line, err)
	}
	return &tracer{cmd: cmd, log: log}
}

// points waits for the injector to end (printerd has exited or it has
// detached) and returns the calls it counted.
func (t *tracer) points(tb testing.TB) []point {
	tb.Helper()
	if err := t.cmd.Wait(); err != nil {
		tb.Fatalf("sysinject: %v", err)
	}
	f, err := os.Open(t.log)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var ps []point
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		ps = append(ps, point{n: n, syscall: f[1], path: f[2], acted: len(f) > 3})
	}
	return ps
}

func needInjector(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("internal/sysinject traces linux/amd64 only")
	}
}

// calibrate runs the workload once, counting the calls in, and returns
// them: the same workload makes the same calls in the same order, so the
// Nth is the same call in every run.
func calibrate(t *testing.T, bin string, in injection) []point {
	t.Helper()
	r := MustRig(t, bin)
	c := client.New(r.sock)
	defer c.CloseIdleConnections()
	p := r.prepare(t, c)
	in.paths, in.skip = []string{r.data, r.out}, []string{r.data}
	tr := in.attach(t, p)
	if accepted := r.work(t, p, c); len(accepted) != len(keys) {
		t.Fatalf("calibration accepted %d of %d jobs", len(accepted), len(keys))
	}
	p.stop()
	return tr.points(t)
}

// sample returns the points to try: all with ANJUNGAN_CRASH=full, else
// every k-th, from the first, the last and the ones in must.
func sample(n, k int, must map[int]bool) []int {
	var out []int
	for i := 1; i <= n; i++ {
		if full() || (i-1)%k == 0 || i == n || must[i] {
			out = append(out, i)
		}
	}
	return out
}

// checkpointPoints are the points of a calibrated run that the sample
// always tries, where the journal's WAL meets its database file: of each
// checkpoint the middle of its copy into journal.db and every call after
// the copy (journal.db's truncation and sync; of a TRUNCATE checkpoint,
// which eraseWAL runs once a print removed its document, the WAL's
// truncation), then the start of the write that starts the WAL over (the
// new header's write and sync, its first frame's write).
func checkpointPoints(points []point) map[int]bool {
	must := map[int]bool{}
	var copied []int          // the copy's pwrite64s
	restart, left := false, 0 // in a WAL restart; the calls left after its header's sync
	for _, p := range points {
		wal := strings.HasSuffix(p.path, "/journal.db-wal")
		switch {
		case strings.HasSuffix(p.path, "/journal.db") && p.syscall == "pwrite64":
			copied = append(copied, p.n)
			continue
		case strings.HasSuffix(p.path, "/journal.db"), wal && p.syscall == "ftruncate":
			must[p.n], restart, left = true, true, 1
		case wal && restart && (p.syscall == "fsync" || p.syscall == "fdatasync"):
			must[p.n] = true
			restart = false
		case wal && left > 0:
			must[p.n] = true
			if !restart {
				left--
			}
		}
		if len(copied) > 0 {
			must[copied[len(copied)/2]] = true
			copied = nil
		}
	}
	return must
}

// rel shortens a path in a run's directory for the log.
func rel(path string) string {
	if i := strings.Index(path, "/data"); i >= 0 {
		return path[i+1:]
	}
	if i := strings.Index(path, "/out"); i >= 0 {
		return path[i+1:]
	}
	return path
}

// area names the part of printerd a file belongs to, for the log.
func area(path string) string {
	switch p := rel(path); {
	case p == "data/journal.db-wal":
		return "wal"
	case p == "data/journal.db":
		return "database"
	case strings.HasPrefix(p, "data/checkpoints"):
		return "checkpoints"
	case strings.HasPrefix(p, "out"):
		return "printer"
	default:
		return p
	}
}

// killRun kills printerd at point n of the workload, restarts it twice
// (the station re-submitting) and returns whether the kill landed, whether
// a job was durably dispatching when it did (a kill inside a dispatch),
// and the findings.
func killRun(t *testing.T, bin string, n int) (killed, inside bool, bad []string) {
	r := MustRig(t, bin)
	c := client.New(r.sock)
	defer c.CloseIdleConnections()
	p := r.prepare(t, c)
	in := injection{calls: killCalls, paths: []string{r.data, r.out}, skip: []string{r.data}, at: n, kill: true}
	tr := in.attach(t, p)
	accepted := r.work(t, p, c)
	p.stop()
	tr.points(t)
	killed = p.killed()
	if killed {
		// What the kill left on disk, before a restart moves on: a
		// committed job always has its document.
		snap := snapshot(t, r)
		inside = dispatching(t, snap) > 0
		for _, b := range documents(t, snap) {
			bad = append(bad, "after the kill: "+b)
		}
	}
	verifyAudit(t, r, "after the kill", false)
	r.restarts(t, accepted)
	return killed, inside, append(bad, findings(t, r, accepted)...)
}

// TestCrashInDispatch kills printerd at every call of the submission and
// dispatch path, counted after start-up, restarts it and checks, against
// the printer's own record of what came out, that nothing was printed
// twice, no accepted job was lost and the ledger balances.
func TestCrashInDispatch(t *testing.T) {
	needInjector(t)
	bin := MustBuild(t)
	points := calibrate(t, bin, injection{calls: killCalls})
	perArea := map[string]int{}
	for _, p := range points {
		perArea[area(p.path)]++
	}
	t.Logf("calls of one run after start-up: %d %v", len(points), perArea)
	start := time.Now()
	tried, killed, inside := 0, 0, 0
	// Each print's end has eraseWAL truncate the WAL (TRUNCATE): without
	// those calls its kill points are not tried, whatever passes.
	erased := 0
	for _, p := range points {
		if p.syscall == "ftruncate" && strings.HasSuffix(p.path, "/journal.db-wal") {
			erased++
		}
	}
	if erased < len(keys) {
		t.Errorf("the run truncates the WAL %d times, want once after each of the %d prints: eraseWAL's kill points are not tried", erased, len(keys))
	}
	must := checkpointPoints(points)
	t.Logf("checkpoint points always tried: %d", len(must))
	for _, n := range sample(len(points), 4, must) {
		pt := points[n-1]
		t.Run(fmt.Sprintf("%d-%s-%s", n, pt.syscall, strings.ReplaceAll(rel(pt.path), "/", "_")), func(t *testing.T) {
			tried++
			k, in, bad := killRun(t, bin, n)
			switch {
			case !k:
				t.Errorf("the kill at call %d (%s %s) did not land: the run made other calls than calibrated", n, pt.syscall, rel(pt.path))
			case in:
				killed++
				inside++
			default:
				killed++
			}
			for _, b := range bad {
				t.Error(b)
			}
		})
	}
	t.Logf("kill points tried: %d of %d calls, %d killed printerd, %d inside a dispatch (a job durably dispatching), %d elsewhere (submission, between jobs); %s",
		tried, len(points), killed, inside, killed-inside, time.Since(start).Round(time.Second))
}

// faultRun fails the journal's call n with errno while printerd runs the
// workload; printerd must go on (or, if it exited, start again clean),
// every job must end printed and recorded or visibly wait for a
// supervisor, nothing may print twice and the audit log must verify. It
// returns the operations the error hit (from the journal.write_failed
// entries) and the findings.
func faultRun(t *testing.T, bin string, n int, errno string) (ops []string, bad []string) {
	r := MustRig(t, bin)
	c := client.New(r.sock)
	defer c.CloseIdleConnections()
	p := r.prepare(t, c)
	in := injection{calls: journalCalls, paths: []string{filepath.Join(r.data, "journal.db")}, at: n, errno: errno}
	tr := in.attach(t, p)
	accepted := r.work(t, p, c)
	if p.exited() {
		bad = append(bad, "printerd exited after the error") // then it must restart clean below
	} else {
		bad = append(bad, running(t, c)...)
	}
	p.stop() // the last points are in printerd's shutdown
	if pts := tr.points(t); len(pts) < n || !pts[n-1].acted {
		t.Errorf("the error at call %d was not injected (%d calls): the run made other calls than calibrated", n, len(pts))
	}
	verifyAudit(t, r, "after the fault", !p.killed())
	ops = writeFailures(t, r.data)
	r.restarts(t, accepted)
	return ops, append(bad, findings(t, r, accepted)...)
}

// TestJournalFaults fails one call of the journal's (a WAL write or sync)
// per run with EIO or ENOSPC, at each point of the submission and
// dispatch path.
func TestJournalFaults(t *testing.T) {
	needInjector(t)
	bin := MustBuild(t)
	points := calibrate(t, bin, injection{calls: journalCalls})
	var pts []point
	for _, p := range points {
		if strings.Contains(p.path, "/journal.db") {
			pts = append(pts, p)
		}
	}
	// Every truncation is tried: eraseWAL's TRUNCATE checkpoint failing
	// at its end leaves the WAL whole, to be erased at a later poll.
	must := map[int]bool{}
	for i, p := range pts {
		must[i+1] = p.syscall == "ftruncate"
	}
	t.Logf("journal calls of one run after start-up: %d", len(pts))
	start := time.Now()
	tried := 0
	hit := map[string]int{}
	for _, errno := range errnos {
		for _, n := range sample(len(pts), 6, must) {
			pt := pts[n-1]
			t.Run(fmt.Sprintf("%s-%d-%s-%s", errno, n, pt.syscall, filepath.Base(pt.path)), func(t *testing.T) {
				tried++
				ops, bad := faultRun(t, bin, n, errno)
				if len(ops) == 0 {
					ops = []string{"none"}
				}
				for _, op := range ops {
					hit[op]++
				}
				t.Logf("%s at %s %s: failed %v", errno, pt.syscall, rel(pt.path), ops)
				for _, b := range bad {
					t.Error(b)
				}
			})
		}
	}
	var ops []string
	for op, n := range hit {
		ops = append(ops, fmt.Sprintf("%s %d", op, n))
	}
	sort.Strings(ops)
	t.Logf("fault points tried: %d (%d calls × %d errors, sampled unless ANJUNGAN_CRASH=full); the error failed: %s; %s",
		tried, len(pts), len(errnos), strings.Join(ops, ", "), time.Since(start).Round(time.Second))
}

// TestMutantRequeueFails is a test of the checks: a printerd that queues
// jobs found dispatching at start-up again (build tag crashmutant_requeue)
// prints a card twice when killed after the card came out and before its
// outcome was recorded; the checks must say so. The same kill point
// passes with the real printerd.
func TestMutantRequeueFails(t *testing.T) {
	needInjector(t)
	bin := MustBuild(t)
	points := calibrate(t, bin, injection{calls: killCalls})
	n := 0
	for _, p := range points {
		if p.syscall == "fsync" && strings.HasSuffix(p.path, "/output.log") {
			n = p.n + 1 // the first call after the first card's line is synced
			break
		}
	}
	if n == 0 || n > len(points) {
		t.Fatalf("no call after the first card came out in %d calls", len(points))
	}
	tests := []struct {
		name    string
		tags    []string
		twice   bool
		message string
	}{
		{"printerd", nil, false, "the real printerd printed twice"},
		{"mutant", []string{"crashmutant_requeue"}, true, "the checks did not catch the mutant's second print"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			killed, inside, bad := killRun(t, MustBuild(t, tt.tags...), n)
			if !killed || !inside {
				t.Fatalf("the kill at call %d (%s): killed %v, inside a dispatch %v", n, rel(points[n-1].path), killed, inside)
			}
			twice := false
			for _, b := range bad {
				twice = twice || strings.Contains(b, "printed 2 times")
				t.Log(b)
			}
			if twice != tt.twice {
				t.Error(tt.message)
			}
		})
	}
}

// TestMutantNoRetryFails is a test of the checks: a printerd whose worker
// does not retry a failed record of a print's outcome (build tag
// crashmutant_noretry) leaves the job dispatching while nothing says so;
// failing the sync of the first outcome's commit must show it. The same
// fault passes with the real printerd.
func TestMutantNoRetryFails(t *testing.T) {
	needInjector(t)
	bin := MustBuild(t)
	points := calibrate(t, bin, injection{calls: killCalls})
	// The calls of the journal in the kill set's order; the first finish
	// commit's sync is the first sync of the WAL after a card came out.
	n, card := 0, false
	for _, p := range points {
		if !strings.Contains(p.path, "/journal.db") {
			card = card || strings.HasSuffix(p.path, "/output.log")
			continue
		}
		if slices.Contains(journalCalls, p.syscall) {
			n++
			if card && p.syscall == "fsync" && strings.HasSuffix(p.path, "-wal") {
				break
			}
		}
	}
	tests := []struct {
		name  string
		tags  []string
		stuck bool
	}{
		{"printerd", nil, false},
		{"mutant", []string{"crashmutant_noretry"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, bad := faultRun(t, MustBuild(t, tt.tags...), n, "EIO")
			if len(ops) != 1 || ops[0] != "finish" {
				t.Fatalf("the error at journal call %d failed %v, want the finish", n, ops)
			}
			stuck := false
			for _, b := range bad {
				stuck = stuck || strings.Contains(b, "left dispatching")
				t.Log(b)
			}
			if stuck != tt.stuck {
				t.Errorf("job left dispatching silently: %v, want %v", stuck, tt.stuck)
			}
		})
	}
}
