// Package crashtest runs the real printerd binary, kills it or fails its
// journal's writes at every syscall of the submission and dispatch path,
// restarts it and checks its promises against what the simulated printer
// really put out (its output.log). It runs only when ANJUNGAN_CRASH is set
// (make test, make test-crash): it needs strace-like tracing (ptrace, see
// internal/sysinject) and takes minutes.
//
// ANJUNGAN_CRASH=1 tries a deterministic sample of the points (every k-th);
// ANJUNGAN_CRASH=full tries every point.
package crashtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/api"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/printerd/internal/outlog"

	_ "modernc.org/sqlite"
)

// keys are the jobs of one run, each with its own document; each is
// submitted, and after a failure or a crash submitted again, as the
// station would.
var keys = []string{"req-1", "req-2", "req-3"}

const loaded = 100

// patience is printerd's -journal-patience in the rig: how long a worker
// retries a record before it stops its printer.
const patience = time.Second

func TestMain(m *testing.M) {
	if os.Getenv("ANJUNGAN_CRASH") == "" {
		// Where every suite must run (CI), a crash suite left out is a
		// failure, not a quiet "ok".
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			fmt.Println("crashtest: ANJUNGAN_CRASH is not set but ANJUNGAN_REQUIRE_PEERS=1: run it with ANJUNGAN_CRASH=1 (make test does)")
			os.Exit(1)
		}
		fmt.Println("crashtest: SKIPPED, nothing checked (set ANJUNGAN_CRASH=1, or run make test-crash)")
		os.Exit(0)
	}
	code := m.Run()
	for _, bin := range built {
		_ = os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

// full reports whether every point is to be tried (ANJUNGAN_CRASH=full).
func full() bool { return os.Getenv("ANJUNGAN_CRASH") == "full" }

var (
	buildMu sync.Mutex
	built   = map[string]string{} // build tags → binary
)

// MustBuild builds printerd, with build tags (a mutant) when given, once
// per test binary. ANJUNGAN_CRASH_TAGS gives tags to the builds that name
// none: the whole suite then runs against a mutant, to see which of its
// points catch it (e.g. ANJUNGAN_CRASH_TAGS=crashmutant_noretry).
func MustBuild(tb testing.TB, tags ...string) string {
	tb.Helper()
	if env := os.Getenv("ANJUNGAN_CRASH_TAGS"); len(tags) == 0 && env != "" {
		tags = strings.Split(env, ",")
	}
	return mustGoBuild(tb, "github.com/anjungan/anjungan/cmd/printerd", tags...)
}

// MustInjector builds internal/sysinject.
func MustInjector(tb testing.TB) string {
	tb.Helper()
	return mustGoBuild(tb, "github.com/anjungan/anjungan/printerd/crashtest/internal/sysinject")
}

func mustGoBuild(tb testing.TB, pkg string, tags ...string) string {
	tb.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := pkg + " " + strings.Join(tags, ",")
	if bin, ok := built[key]; ok {
		return bin
	}
	dir, err := os.MkdirTemp("", "crashbin")
	if err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(pkg))
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command("go", append(args, pkg)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s: %v\n%s", key, err, out)
	}
	built[key] = bin // shared by the tests; TestMain removes it
	return bin
}

// rig is one run's files: data, output, the socket and the audit key.
type rig struct {
	bin, dir, sock, data, out string
	key, vkey                 string // the signer key's file, the verifier key
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
		// Each print's end erases the WAL (a TRUNCATE checkpoint, then a
		// write); with 2, the claims of the second and third job also
		// checkpoint first (PASSIVE) and start the WAL over: the calls
		// of both kinds are kill and fault points.
		"-journal-patience", patience.String(), "-journal-wal-every", "2",
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
		p.wait()
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

func (p *proc) wait() {
	err := <-p.done
	p.done <- err
}

// stop ends a printerd cleanly (SIGTERM) or finds it already dead;
// strace exits when its tracee does.
func (p *proc) stop() {
	if pid := p.printerd(); pid > 0 && !p.exited() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	p.wait()
}

// killed reports whether printerd died of SIGKILL.
func (p *proc) killed() bool {
	p.wait()
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// ready waits until printerd answers; false when it died first. A
// degraded health answer is an answer.
func (r *rig) ready(p *proc, c *client.Client) bool {
	deadline := time.Now().Add(20 * time.Second) // only stops a hung run
	for time.Now().Before(deadline) {
		if p.exited() {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.HealthReport(ctx)
		cancel()
		if err == nil || errors.Is(err, printerd.ErrJournal) {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// document is key's document: the card PDF with the key in a comment,
// so that every job has its own SHA-256 and the printer's record tells a
// document printed twice.
func document(tb testing.TB, key string) []byte {
	tb.Helper()
	doc, err := os.ReadFile("testdata/card.pdf")
	if err != nil {
		tb.Fatal(err)
	}
	return append(doc, "\n% "+key+"\n"...)
}

// prepare starts printerd untraced, waits until it answers and, on the
// first run, loads blank cards: what a trace or a fault must not cut.
func (r *rig) prepare(tb testing.TB, c *client.Client) *proc {
	tb.Helper()
	p := r.start(tb)
	if !r.ready(p, c) {
		tb.Fatal("printerd did not start")
	}
	if _, err := c.LoadCards(context.Background(), printerd.Load{Printer: "card-1", Count: loaded, Actor: "crashtest"}); err != nil {
		tb.Fatalf("load cards: %v", err)
	}
	return p
}

// work submits every key in turn and waits for each job to settle before
// the next, so that the same run makes the same calls in the same order.
// A submission answered with an error is tried again under the same key
// a few times, as the station does. It returns the keys printerd
// accepted, and stops early when printerd dies.
func (r *rig) work(tb testing.TB, p *proc, c *client.Client) map[string]bool {
	accepted := map[string]bool{}
	ctx := context.Background()
	for _, k := range keys {
		req := printerd.SubmitRequest{IdempotencyKey: k, Media: printerd.MediaCard, Title: "KTP-el", Document: document(tb, k)}
		var job printerd.Job
		var err error
		for try := 0; try < 5 && !p.exited(); try++ {
			if job, err = c.Submit(ctx, req); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			return accepted
		}
		accepted[k] = true
		if !r.settle(p, c, job.ID) {
			return accepted
		}
	}
	return accepted
}

// settle waits until job is neither queued nor dispatching, or is
// dispatching on a printer stopped with journal-error (visibly waiting
// for a supervisor). It gives up after a few seconds, or when printerd
// dies; the checks then say what is wrong.
func (r *rig) settle(p *proc, c *client.Client, id printerd.JobID) bool {
	ctx := context.Background()
	deadline := time.Now().Add(patience + 3*time.Second)
	for !p.exited() && time.Now().Before(deadline) {
		job, err := c.Job(ctx, id)
		if err != nil {
			return false
		}
		switch {
		case job.State == printerd.JobDispatching && stoppedFor(c, printerd.ReasonJournalError):
			return true
		case job.State != printerd.JobQueued && job.State != printerd.JobDispatching:
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

func stoppedFor(c *client.Client, reason string) bool {
	ps, err := c.Printers(context.Background())
	if err != nil || len(ps) == 0 {
		return false
	}
	for _, rs := range ps[0].Status.Reasons {
		if rs.Keyword == reason {
			return ps[0].Status.State == printerd.PrinterStopped
		}
	}
	return false
}

// restarts starts printerd twice more, each time re-submitting every key
// as the station would, and stops it cleanly; the audit log must verify
// after each. It adds the keys accepted to accepted.
func (r *rig) restarts(t *testing.T, accepted map[string]bool) {
	for i := 0; i < 2; i++ {
		c := client.New(r.sock)
		p := r.start(t)
		if r.ready(p, c) {
			for k := range r.work(t, p, c) {
				accepted[k] = true
			}
		}
		p.stop()
		c.CloseIdleConnections()
		verifyAudit(t, r, fmt.Sprintf("after restart %d", i+1), true)
	}
}

// verifyAudit runs audit.Verify on the journal: every entry and hash
// recomputed, every checkpoint's signature and tree checked. After a
// clean stop the latest checkpoint covers every entry (printerd signs
// one as it closes); after a kill, entries may wait for the next one.
func verifyAudit(t *testing.T, r *rig, when string, clean bool) {
	t.Helper()
	db := MustDB(t, r.data)
	defer db.Close()
	rep, err := audit.Verify(context.Background(), db, r.vkey)
	if err != nil {
		t.Errorf("audit %s: %v", when, err)
		return
	}
	if clean && rep.Entries > 0 && (rep.Latest == nil || rep.Latest.Size != rep.Entries) {
		t.Errorf("audit %s: %d entries but the latest checkpoint covers %+v", when, rep.Entries, rep.Latest)
	}
}

func MustDB(tb testing.TB, dir string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "journal.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// snapshot copies the journal's database and WAL (not the shared-memory
// index, which the copy rebuilds from the WAL, as a restart does) so that
// a killed printerd's durable state can be read without touching its
// files.
func snapshot(tb testing.TB, r *rig) string {
	tb.Helper()
	dir := tb.TempDir()
	for _, name := range []string{"journal.db", "journal.db-wal"} {
		b, err := os.ReadFile(filepath.Join(r.data, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// dispatching counts the jobs durably dispatching in a snapshot: a kill
// with one is a kill inside a dispatch, between the claim that reached
// the disk and the record of its outcome.
func dispatching(tb testing.TB, dir string) int {
	tb.Helper()
	db := MustDB(tb, dir)
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM jobs WHERE state = 'dispatching'").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// writeFailures returns the operation of every journal.write_failed
// entry: where an injected error hit.
func writeFailures(tb testing.TB, dir string) []string {
	tb.Helper()
	db := MustDB(tb, dir)
	defer db.Close()
	rows, err := db.Query(`SELECT data FROM audit_entries ORDER BY idx`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var ops []string
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			tb.Fatal(err)
		}
		if e, err := audit.Decode(data); err == nil && e.Kind == "journal.write_failed" {
			ops = append(ops, e.Fields["operation"])
		}
	}
	return ops
}

// findings checks printerd's promises on a stopped printerd: the journal
// is sound; every accepted job exists and is terminal or in doubt, and
// none failed for want of its document; the journal holds the document
// of every job that may still print and no other (documents); no spool
// folder was made; the printer's output record (output.log) shows no job
// printed twice and no document more often than it has jobs, exactly one
// card for every printed job, and none for a job that is neither printed
// nor in doubt; and the blank-card ledger balances with the cards that
// came out. It returns what is wrong, one finding a line.
func findings(tb testing.TB, r *rig, accepted map[string]bool) []string {
	tb.Helper()
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	db := MustDB(tb, r.data)
	defer db.Close()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		bad("integrity_check = %q, %v", ok, err)
	}
	type job struct{ id, key, sha, state string }
	byID := map[string]job{}
	byKey := map[string]job{}
	ofDoc := map[string]int{} // document → its jobs: the station's (the same PDF twice) and a supervisor's reprints
	rows, err := db.Query("SELECT id, idempotency_key, document_sha256, state FROM jobs")
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var j job
		if err := rows.Scan(&j.id, &j.key, &j.sha, &j.state); err != nil {
			tb.Fatal(err)
		}
		byID[j.id], byKey[j.key] = j, j
		ofDoc[j.sha]++
	}
	rows.Close()
	for k := range accepted {
		switch j, found := byKey[k]; {
		case !found:
			bad("accepted job %s was lost", k)
		case !printerd.JobState(j.state).Terminal():
			bad("job %s is %s after the restarts", k, j.state)
		}
	}
	// The dispatcher fails a job whose document it cannot read: a
	// committed job must always have its document.
	var failed string
	if err := db.QueryRow(`SELECT COALESCE(group_concat(idempotency_key || ' (' || id || ')', ', '), '') FROM jobs
		WHERE state = 'failed' AND reason = 'document-unavailable'`).Scan(&failed); err != nil {
		bad("jobs failed for their document: %v", err)
	} else if failed != "" {
		bad("jobs failed because their document was not in the journal: %s", failed)
	}
	out = append(out, documents(tb, r.data)...)
	switch _, err := os.Stat(filepath.Join(r.data, "spool")); {
	case err == nil:
		bad("printerd made a spool folder: documents live in the journal")
	case !errors.Is(err, os.ErrNotExist):
		bad("spool folder: %v", err)
	}

	recs, torn, err := outlog.Read(r.out)
	if err != nil {
		tb.Fatal(err)
	}
	if torn > 0 {
		bad("output.log has %d torn lines", torn)
	}
	perJob, perDoc := map[string]int{}, map[string]int{}
	for _, rec := range recs {
		perJob[rec.Job]++
		perDoc[rec.SHA256]++
		j, found := byID[rec.Job]
		switch {
		case !found:
			bad("the printer put out card %s for job %s, which the journal does not know", rec.Card, rec.Job)
		case j.sha != rec.SHA256:
			bad("the printer put out job %s with document %.12s, the journal says %.12s", rec.Job, rec.SHA256, j.sha)
		case j.state != string(printerd.JobPrinted) && j.state != string(printerd.JobInDoubt):
			bad("job %s (%s) came out of the printer but is %s", j.key, j.id, j.state)
		}
	}
	for id, n := range perJob {
		if n > 1 {
			bad("job %s (%s) printed %d times", byID[id].key, id, n)
		}
	}
	for sha, n := range perDoc {
		if n > ofDoc[sha] {
			bad("document %.12s printed %d times for %d jobs of it", sha, n, ofDoc[sha])
		}
	}
	printedJobs, printedOut := 0, 0
	for id, j := range byID {
		if j.state != string(printerd.JobPrinted) {
			continue
		}
		printedJobs++
		printedOut += perJob[id]
		if perJob[id] != 1 {
			bad("job %s (%s) is printed but the printer put it out %d times", j.key, id, perJob[id])
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
			bad("%s: %v", q.sql, err)
		}
	}
	if load != loaded || usedPrinted != printedJobs || usedPrinted != printedOut || dup != 0 || used > load {
		bad("ledger: loaded %d (want %d), used %d, printed cards %d for %d printed jobs with %d cards out, %d counted twice",
			load, loaded, used, usedPrinted, printedJobs, printedOut, dup)
	}
	return out
}

// mayPrint are the states in which a job may still print its document,
// or a supervisor reprint it, as an SQL list: the journal must hold its
// document. Spelled here, not taken from printerd/journal, so that a
// change there is checked against this.
const mayPrint = "'queued', 'dispatching', 'held', 'in_doubt'"

// documents checks the documents of the journal in dir against its jobs,
// as Document reads them: every job that may still print has its
// document, whole (its bytes hash to the job's SHA-256), and no document
// stays once no job may print it (it holds personal data). It returns
// what is wrong, one finding a line.
func documents(tb testing.TB, dir string) []string {
	tb.Helper()
	db := MustDB(tb, dir)
	defer db.Close()
	var out []string
	rows, err := db.Query(`SELECT j.idempotency_key, j.id, j.state, j.document_sha256, d.body
		FROM jobs j LEFT JOIN documents d ON d.sha256 = j.document_sha256 WHERE j.state IN (` + mayPrint + `)`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var key, id, state, sha string
		var body []byte
		if err := rows.Scan(&key, &id, &state, &sha, &body); err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256(body)
		switch {
		case body == nil:
			out = append(out, fmt.Sprintf("job %s (%s) is %s but its document %.12s is not in the journal", key, id, state, sha))
		case hex.EncodeToString(sum[:]) != sha:
			out = append(out, fmt.Sprintf("job %s (%s) is %s but its stored document does not match %.12s", key, id, state, sha))
		}
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	rows.Close()
	var kept string
	if err := db.QueryRow(`SELECT COALESCE(group_concat(substr(sha256, 1, 12), ', '), '') FROM documents d
		WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE document_sha256 = d.sha256 AND state IN (` + mayPrint + `))`).Scan(&kept); err != nil {
		tb.Fatal(err)
	}
	if kept != "" {
		out = append(out, fmt.Sprintf("documents %s stay in the journal with no job that may print them", kept))
	}
	return out
}

// running checks a printerd that is still running after a fault: every
// job is printed, held or in doubt, or dispatching on a printer stopped
// with journal-error, in need of a supervisor; and after a single error
// the journal writes again (health ok).
func running(tb testing.TB, c *client.Client) []string {
	tb.Helper()
	var out []string
	ctx := context.Background()
	jobs, err := c.Jobs(ctx, "")
	if err != nil {
		return []string{fmt.Sprintf("list jobs: %v", err)}
	}
	stopped := stoppedFor(c, printerd.ReasonJournalError)
	for _, j := range jobs {
		switch j.State {
		case printerd.JobPrinted, printerd.JobHeld, printerd.JobInDoubt:
		case printerd.JobDispatching:
			if !stopped {
				out = append(out, fmt.Sprintf("job %s (%s) left dispatching while printerd shows nothing wrong (printer not stopped with %s)",
					j.IdempotencyKey, j.ID, printerd.ReasonJournalError))
			}
		default:
			out = append(out, fmt.Sprintf("job %s (%s) is %s after the fault", j.IdempotencyKey, j.ID, j.State))
		}
	}
	if h, err := c.HealthReport(ctx); err != nil || h.Status != api.HealthOK {
		out = append(out, fmt.Sprintf("health after a single error = %+v, %v; want ok", h, err))
	}
	return out
}
