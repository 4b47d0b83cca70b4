package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/cmd/internal/ctl"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// TestBackupRunningKiosk backs up a kiosk while a card prints (printerd
// and station running, one job in doubt from an earlier print), restores
// the backup into a new folder as an operator moving the kiosk to new
// hardware does (the private keys come back from where they are kept, not
// from the backup), starts printerd and station there and finds: every
// job the backup could have seen, in the state it had (the one printing
// in doubt, for a supervisor), the same blank-card ledger, both audit
// logs verifying against the checkpoints signed before, and the station
// still owing the upstream its settlements; the backup's journal holds
// the documents of the jobs that may still print and no other; a
// supervisor's reprint on the restored kiosk prints the document restored
// with the journal, and the upstream hears of it.
func TestBackupRunningKiosk(t *testing.T) {
	if testing.Short() {
		t.Skip("prints two cards at a printer's pace")
	}
	ctx := context.Background()
	sys := MustStartWith(t, Options{SlowCard: true, AuditEvery: 1})

	// An earlier print ended in doubt: the printer went offline after it.
	doubtful := sys.MustApprove(t, "ktp-el")
	mustOK(t, sys.Printers.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultOffline, At: printerd.FaultAfterPrint}))
	c1 := sys.NewCitizen(t)
	v1 := c1.previewAndPrint(t, "/api/login/ticket", map[string]string{"ticket": doubtful.Ticket})
	rid1 := v1.Documents[0].RequestID
	c1.waitPrintState(rid1, "in_doubt")
	inDoubt := sys.mustOnlyJob(t, printerd.JobInDoubt)
	mustOK(t, sys.Printers.ClearFaults(ctx, "card-1"))
	mustOK(t, sys.Printers.ResumePrinter(ctx, "card-1", "sari"))

	// A second citizen's card is printing when the backup starts.
	printing := sys.MustApprove(t, "ktp-el")
	c2 := sys.NewCitizen(t)
	var v2 sessionView
	mustStatus(t, c2.call("POST", "/api/login/ticket", map[string]string{"ticket": printing.Ticket}, &v2), http.StatusCreated)
	rid2 := v2.Documents[0].RequestID
	c2.mustPreview(rid2)
	mustStatus(t, c2.call("POST", "/api/print", map[string]string{"request_id": rid2}, nil), http.StatusAccepted)
	deadline := time.Now().Add(time.Minute)
	for len(mustJobs(t, sys, printerd.JobDispatching)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the second card never started printing")
		}
		time.Sleep(20 * time.Millisecond)
	}

	jobsBefore, ledgerBefore := mustJobs(t, sys, ""), mustLedger(t, sys)
	out := filepath.Join(t.TempDir(), "backup")
	runCtl(t, "backup", "-var", sys.Var, out)
	jobsAfter, ledgerAfter := mustJobs(t, sys, ""), mustLedger(t, sys)

	// The old kiosk is gone; the new one gets the backup.
	mustOK(t, sys.Station.Close())
	mustOK(t, sys.Printerd.Close())
	root, err := os.MkdirTemp("", "anjr") // short: printerd's socket lives under it
	mustOK(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	data := filepath.Join(root, "var")
	runCtl(t, "restore", out, "-var", data)
	if keys, _ := filepath.Glob(filepath.Join(data, "*", "*.key")); len(keys) > 0 {
		t.Fatalf("the restored folder holds private keys from the backup: %v", keys)
	}
	for _, sub := range []string{"keys", "certs"} {
		restoreSecrets(t, filepath.Join(sys.Keys, sub), filepath.Join(data, sub))
	}
	again := MustStartWith(t, Options{Data: data, Peer: sys, Blanks: -1, SlowCard: true})

	// Every job committed before the backup began is back, none that
	// began after it ended, each in a state it had while the backup ran;
	// a job caught printing is in doubt, never printed again.
	restored := mustJobs(t, again, "")
	byID := func(jobs []printerd.Job) map[printerd.JobID]printerd.Job {
		m := map[printerd.JobID]printerd.Job{}
		for _, j := range jobs {
			m[j.ID] = j
		}
		return m
	}
	before, after, got := byID(jobsBefore), byID(jobsAfter), byID(restored)
	for id := range before {
		if _, ok := got[id]; !ok {
			t.Errorf("job %s (%s before the backup) is not restored", id, before[id].State)
		}
	}
	for id, j := range got {
		b, a := before[id], after[id]
		switch {
		case a.ID == "":
			t.Errorf("restored job %s did not exist when the backup ended", id)
		case j.State == printerd.JobInDoubt && j.Reason == "crash-recovery" && (b.State == printerd.JobDispatching || a.State == printerd.JobDispatching):
		case j.State == b.State || j.State == a.State:
		default:
			t.Errorf("job %s restored %s, it was %s before the backup and %s after", id, j.State, b.State, a.State)
		}
		if a.State == printerd.JobDispatching && j.State != printerd.JobInDoubt {
			t.Errorf("job %s was printing all through the backup and is restored %s, want in_doubt", id, j.State)
		}
	}
	if j := got[inDoubt.ID]; j.State != printerd.JobInDoubt || j.Reason != inDoubt.Reason {
		t.Errorf("the job in doubt is restored %s (%s), want in_doubt (%s)", j.State, j.Reason, inDoubt.Reason)
	}
	ledger := mustLedger(t, again)
	if ledger != ledgerBefore && ledger != ledgerAfter {
		t.Errorf("ledger restored %+v; before the backup %+v, after %+v", ledger, ledgerBefore, ledgerAfter)
	}

	// The station still owes the upstream both prints, and delivers the
	// supervisor's decision on the job in doubt.
	open, err := again.Station.Settlements().Open(ctx)
	mustOK(t, err)
	owes := map[printerd.JobID]station.Settlement{}
	for _, s := range open {
		owes[printerd.JobID(s.Job)] = s
	}
	if s, ok := owes[inDoubt.ID]; !ok || s.Stage != station.SettleInDoubt {
		t.Errorf("settlement of the job in doubt after the restore: %+v (found %v)", s, ok)
	}
	for _, j := range jobsBefore {
		if _, ok := owes[j.ID]; j.State == printerd.JobDispatching && !ok {
			t.Errorf("no open settlement of job %s, printing during the backup", j.ID)
		}
	}
	// The backup's journal keeps the document of every job that may
	// still print (the restored states say which) and no other; there is
	// no spool any more.
	documentLeftovers(t, readDocuments(t, filepath.Join(out, "printerd")), restored)
	if spooled, _ := filepath.Glob(filepath.Join(out, "printerd", "spool", "*")); len(spooled) > 0 {
		t.Errorf("the backup holds a spool: %v", spooled)
	}
	// The reprint prints the document restored with the backup's journal.
	_, err = again.Printers.Resolve(ctx, inDoubt.ID, printerd.Resolution{Action: printerd.ActionReprint,
		ReasonCode: printerd.ReasonCodeBlankOutput, Actor: "sari"})
	mustOK(t, err)
	sys.waitUpstream(t, doubtful.ApprovalID, rid1, "printed")

	// Both audit logs verify, against the checkpoints in the backup too.
	mustOK(t, again.Station.Close())
	mustOK(t, again.Printerd.Close()) // a running printerd signs checkpoints as it goes
	cps, _ := filepath.Glob(filepath.Join(data, "printerd", "checkpoints", "*.note"))
	args := []string{"audit", "verify", "-db", filepath.Join(data, "printerd", "journal.db"), "-vkey", filepath.Join(data, "keys", "audit-printerd.vkey")}
	for _, cp := range cps {
		args = append(args, "-trusted", cp)
	}
	if len(cps) == 0 {
		t.Error("no printerd checkpoint in the backup")
	}
	runCtl(t, args...)
	runCtl(t, "audit", "verify", "-db", filepath.Join(data, "station", "station.db"), "-vkey", filepath.Join(data, "keys", "audit-station.vkey"))
}

func mustJobs(t *testing.T, s *System, state printerd.JobState) []printerd.Job {
	t.Helper()
	jobs, err := s.Printers.Jobs(context.Background(), state)
	mustOK(t, err)
	return jobs
}

func mustLedger(t *testing.T, s *System) printerd.Tally {
	t.Helper()
	l, err := s.Printers.Ledger(context.Background())
	mustOK(t, err)
	for _, e := range l {
		if e.Printer == "card-1" {
			return e.Tally
		}
	}
	t.Fatalf("no ledger of card-1: %+v", l)
	return printerd.Tally{}
}

// runCtl runs anjunganctl with args and fails the test on an error.
func runCtl(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	m := ctl.NewMain()
	m.Stdout, m.Stderr = &out, &out
	if err := m.ParseFlags(args); err != nil {
		t.Fatalf("anjunganctl %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("anjunganctl %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// restoreSecrets copies the files of from that to lacks: the private
// keys an operator keeps apart from the backup.
func restoreSecrets(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	mustOK(t, err)
	for _, e := range ents {
		dst := filepath.Join(to, e.Name())
		if _, err := os.Stat(dst); err == nil || !e.Type().IsRegular() {
			continue
		}
		in, err := os.Open(filepath.Join(from, e.Name()))
		mustOK(t, err)
		outF, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		mustOK(t, err)
		_, err = io.Copy(outF, in)
		in.Close()
		mustOK(t, err)
		mustOK(t, outF.Close())
	}
}
