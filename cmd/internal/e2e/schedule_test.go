package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	stationcmd "github.com/anjungan/anjungan/cmd/internal/station"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// scheduledStation runs the station as its program does with
// -opening-hours: on a clock the test moves (real time plus skew, so
// that tickets stay valid), stopped through Close once Done says so.
// exited receives Close's result.
type scheduledStation struct {
	*stationcmd.Main
	skew   *atomic.Int64
	exited chan error
}

func startScheduled(t *testing.T, sys *System, logs *logBuffer, skew *atomic.Int64, hours string) *scheduledStation {
	t.Helper()
	m := stationcmd.NewMain()
	m.Stderr = logs
	m.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	m.Hours.Every = 20 * time.Millisecond
	mustOK(t, m.ParseFlags(append(append([]string{}, sys.StationArgs...),
		"-opening-hours", hours, "-closing-lead", "5m", "-closing-grace", "10m")))
	mustOK(t, m.Run(context.Background()))
	s := &scheduledStation{Main: m, skew: skew, exited: make(chan error, 1)}
	go func() {
		<-m.Done() // cmd/station: SIGTERM or closing time, then Close
		s.exited <- m.Close()
	}()
	t.Cleanup(func() { m.Close() })
	return s
}

// at sets the station's clock to t.
func (s *scheduledStation) at(t time.Time) { s.skew.Store(int64(time.Until(t))) }

// hoursUntil is a schedule open from midnight of today in the hall (WIB)
// to closing, which may be tomorrow.
func hoursUntil(now, closing time.Time) string {
	day := func(t time.Time) string { return t.Weekday().String()[:3] }
	now, closing = now.In(station.WIB.Location()), closing.In(station.WIB.Location())
	if now.YearDay() == closing.YearDay() {
		return fmt.Sprintf("%s 00:00-%s", day(now), closing.Format("15:04"))
	}
	return fmt.Sprintf("%s 00:00-24:00; %s 00:00-%s", day(now), day(closing), closing.Format("15:04"))
}

func (c *Citizen) mustBeClosed(t *testing.T, ticket string) {
	t.Helper()
	var v sessionView
	st := c.call("POST", "/api/login/ticket", map[string]string{"ticket": ticket}, &v)
	if st != http.StatusServiceUnavailable || v.Error == nil || v.Error.Code != "kiosk_closed" {
		t.Fatalf("login while closed: %d %+v, want 503 kiosk_closed", st, v.Error)
	}
	if !strings.HasPrefix(v.Error.MessageID, "Anjungan tutup. Buka kembali ") || !strings.HasSuffix(v.Error.MessageID, " WIB.") ||
		!strings.HasPrefix(v.Error.MessageEN, "The kiosk is closed. It opens again ") {
		t.Errorf("closed message does not name the next opening: %+v", v.Error)
	}
	// The start screen says so before anyone signs in.
	if n := c.closedNotice(t); n == nil || n.Code != "kiosk_closed" || n.MessageID != v.Error.MessageID || n.MessageEN != v.Error.MessageEN {
		t.Errorf("availability while closed: %+v, want the login's refusal %+v", n, v.Error)
	}
}

type closedNotice struct {
	Code      string `json:"code"`
	MessageID string `json:"message_id"`
	MessageEN string `json:"message_en"`
}

// closedNotice is what /api/availability says of the opening hours: nil
// while open.
func (c *Citizen) closedNotice(t *testing.T) *closedNotice {
	t.Helper()
	var av struct {
		Closed *closedNotice `json:"closed"`
	}
	mustStatus(t, c.call("GET", "/api/availability", nil, &av), http.StatusOK)
	return av.Closed
}

// TestClosesBySchedule: the kiosk closes by its opening hours while a
// citizen is printing. The print finishes, nobody new logs in from the
// lead time on, the station stops by itself (Close, no error) once the
// citizen has gone, and it starts again with nothing lost: the jobs, the
// blank-card ledger, and both audit logs verify. printerd keeps running
// throughout (docs/operations.md, "Opening hours").
func TestClosesBySchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("prints a card at a printer's pace")
	}
	ctx := context.Background()
	logs := &logBuffer{}
	sys := MustStartWith(t, Options{SlowCard: true, NoStation: true, Idle: 10 * time.Minute, Logs: logs})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.Bytes())
		}
	})
	start := time.Now()
	closing := start.Truncate(time.Minute).Add(20 * time.Minute)
	hours := hoursUntil(start, closing)
	var skew atomic.Int64
	st := startScheduled(t, sys, logs, &skew, hours)
	sys.Station = st.Main

	// A citizen logs in while the kiosk is open, and their card prints.
	a := sys.MustApprove(t, "ktp-el")
	c := sys.NewCitizen(t)
	if n := c.closedNotice(t); n != nil {
		t.Fatalf("availability while open says closed: %+v", n)
	}
	var v sessionView
	mustStatus(t, c.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &v), http.StatusCreated)
	rid := v.Documents[0].RequestID
	c.mustPreview(rid)
	mustStatus(t, c.call("POST", "/api/print", map[string]string{"request_id": rid}, nil), http.StatusAccepted)
	deadline := time.Now().Add(time.Minute)
	for len(mustJobs(t, sys, printerd.JobDispatching)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the card never started printing")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// In the last minutes, and past closing time, nobody new logs in.
	late := sys.MustApprove(t, "ktp-el")
	st.at(closing.Add(-2 * time.Minute))
	sys.NewCitizen(t).mustBeClosed(t, late.Ticket)
	st.at(closing.Add(time.Second))
	sys.NewCitizen(t).mustBeClosed(t, late.Ticket)

	// The print under way finishes; the station waits for it, then for
	// the citizen to leave.
	c.waitPrintState(rid, "printed")
	select {
	case err := <-st.exited:
		t.Fatalf("the station stopped while the citizen was still at the kiosk (Close: %v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	mustStatus(t, c.call("POST", "/api/session/logout", nil, nil), http.StatusNoContent)
	select {
	case err := <-st.exited:
		if err != nil {
			t.Fatalf("closing by schedule: Close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the station did not stop after closing time with nobody at the kiosk")
	}
	job := sys.mustOnlyJob(t, printerd.JobPrinted)
	sys.waitUpstream(t, a.ApprovalID, rid, "printed")
	jobsBefore, ledgerBefore := mustJobs(t, sys, ""), mustLedger(t, sys)

	// It starts again, after closing: it recovers, runs, and refuses
	// logins until the next opening. Nothing is lost.
	again := startScheduled(t, sys, logs, &skew, hours)
	sys.Station = again.Main
	sys.NewCitizen(t).mustBeClosed(t, late.Ticket)
	jobsAfter, ledgerAfter := mustJobs(t, sys, ""), mustLedger(t, sys)
	if fmt.Sprint(jobsAfter) != fmt.Sprint(jobsBefore) || ledgerAfter != ledgerBefore {
		t.Errorf("after the restart: jobs %+v ledger %+v; before %+v %+v", jobsAfter, ledgerAfter, jobsBefore, ledgerBefore)
	}
	if j, err := sys.Printers.Job(ctx, job.ID); err != nil || j.State != printerd.JobPrinted {
		t.Errorf("the card printed at closing: %+v %v", j, err)
	}
	open, err := again.Settlements().Open(ctx)
	mustOK(t, err)
	if len(open) != 0 {
		t.Errorf("settlements still owed after the restart: %+v", open)
	}
	mustOK(t, again.Close())
	runCtl(t, "audit", "verify", "-db", filepath.Join(sys.Var, "station", "station.db"), "-vkey", filepath.Join(sys.Keys, "keys", "audit-station.vkey"))
	runCtl(t, "audit", "verify", "-db", filepath.Join(sys.Var, "printerd", "journal.db"), "-vkey", filepath.Join(sys.Keys, "keys", "audit-printerd.vkey"))
}
