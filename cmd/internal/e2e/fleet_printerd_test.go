package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anjungan/anjungan/fleet"
)

var (
	printerdBinOnce sync.Once
	printerdBin     string
	printerdBinErr  error
)

// MustBuildPrinterd builds cmd/printerd once per test binary, for tests
// that run printerd as a process (Options.PrinterdBin).
func MustBuildPrinterd(tb testing.TB) string {
	tb.Helper()
	printerdBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "printerd-bin")
		if err != nil {
			printerdBinErr = err
			return
		}
		printerdBin = filepath.Join(dir, "printerd")
		if out, err := exec.Command("go", "build", "-o", printerdBin, "github.com/anjungan/anjungan/cmd/printerd").CombinedOutput(); err != nil {
			printerdBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if printerdBinErr != nil {
		tb.Fatal(printerdBinErr)
	}
	return printerdBin
}

// printerdProc is printerd as its own process, which a test can kill
// (SIGKILL, as a power cut would end it) and start again on the same data.
type printerdProc struct {
	bin    string
	args   []string
	socket string
	logs   io.Writer
	cmd    *exec.Cmd
	done   chan struct{}
}

// start runs printerd and waits until its socket answers /healthz.
func (p *printerdProc) start(tb testing.TB) {
	tb.Helper()
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	mustOK(tb, p.cmd.Start())
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(p.cmd, p.done)
	hc := unixHTTP(p.socket)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if res, err := hc.Get("http://printerd/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			tb.Fatal("printerd exited at start")
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatal("printerd did not listen")
		}
	}
}

// kill ends printerd with SIGKILL (nothing flushed) and waits for it.
func (p *printerdProc) kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.cmd = nil
}

// TestFleetPrinterdKilledMidSend: the hub has stored a batch of
// printerd's stream (job_state and blank_movement events), and printerd
// is killed with SIGKILL before the answer reaches it; restarted on the
// same data, it sends the same seqs again, and the hub stores them once.
// No job is lost or printed twice.
func TestFleetPrinterdKilledMidSend(t *testing.T) {
	rig := mustFleet(t, io.Discard)
	// Held from the first batch on: the blank-card load of MustStartWith,
	// then the citizen's jobs wait in the outbox behind it.
	held, resume := rig.proxy.holdNext(fleet.StreamPrinterd)
	sys := MustStartWith(t, Options{Fleet: rig.Kiosk, PrinterdBin: MustBuildPrinterd(t)})
	printed := printVisits(t, sys, sys.Station.KioskURL(), 1)
	var acked uint64
	select {
	case acked = <-held:
	case <-time.After(60 * time.Second):
		t.Fatal("printerd sent no batch")
	}
	if o := outboxOf(t, sys.fleetDBs()[fleet.StreamPrinterd]); o.Waiting == 0 || o.Assigned < int64(acked) {
		t.Fatalf("before the kill: printerd's outbox %+v, hub acked %d; want its events still waiting", o, acked)
	}
	sys.PrinterdProc.kill()
	close(resume)
	sys.PrinterdProc.start(t)
	printed += printVisits(t, sys, sys.Station.KioskURL(), 1)
	hub := rig.mustDelivered(t, sys)
	if hub[fleet.StreamPrinterd].Acked <= int64(acked) {
		t.Errorf("printerd stream acked %d after the restart; want past %d", hub[fleet.StreamPrinterd].Acked, acked)
	}
	rig.mustCountsMatch(t, sys, printed)

	// The job_state events name the documents by their type ids, as the
	// station's print_outcome events do.
	rows, err := rig.db.Query(context.Background(), `SELECT DISTINCT COALESCE(data->>'document_type', '') FROM events
		WHERE kiosk = $1 AND kind = 'job_state' ORDER BY 1`, fleetKiosk)
	mustOK(t, err)
	types, err := pgx.CollectRows(rows, pgx.RowTo[string])
	mustOK(t, err)
	if !slices.Equal(types, []string{"kk", "ktp-el"}) {
		t.Errorf("document types of printerd's job_state events at the hub: %q, want [kk ktp-el]", types)
	}

	// Every job printed once: the journal holds only printed jobs, one
	// per document, and the printers made one output each.
	var jobs, printedJobs int64
	sqliteQuery(t, sys.fleetDBs()[fleet.StreamPrinterd], `SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'printed') FROM jobs`, &jobs, &printedJobs)
	outs := len(outputs(t, filepath.Join(sys.Var, "out", "card"))) + len(outputs(t, filepath.Join(sys.Var, "out", "paper")))
	if jobs != int64(printed) || printedJobs != int64(printed) || outs != printed {
		t.Errorf("%d documents printed; printerd's journal holds %d jobs, %d printed; the printers made %d outputs", printed, jobs, printedJobs, outs)
	}
}
