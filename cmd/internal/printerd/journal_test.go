package printerd_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// logLine is one zerolog line of printerd's log.
type logLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	Job     string `json:"job"`
	Outcome string `json:"outcome"`
	Cause   string `json:"cause"`
}

func logLines(tb testing.TB, log string) []logLine {
	tb.Helper()
	var out []logLine
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		var ll logLine
		if json.Unmarshal([]byte(l), &ll) == nil {
			out = append(out, ll)
		}
	}
	return out
}

// TestUnrecordedOutcomeEndToEnd runs printerd with a journal that refuses
// to record a printed card (a trigger fails every card_uses insert): the
// worker retries and logs each failure at warn with the job and the
// cause, stops its printer with journal-error after -journal-patience
// (logged at error), and the card is unavailable. Once the journal takes
// the record the job is printed, once; the printer waits for a
// supervisor's resume.
func TestUnrecordedOutcomeEndToEnd(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	var log syncBuffer
	key, _ := MustAuditKey(t, tmp)
	data := filepath.Join(tmp, "data")
	m := MustRun(t, &log, "-audit-key", key, "-journal-patience", "100ms",
		"-socket", filepath.Join(MustSocketDir(t), "printerd.sock"), "-data", data,
		"-printer", "name=card-1,driver=sim,uri="+filepath.Join(tmp, "card")+",media=om_card_54x86mm,raster=off",
	)
	c := client.New(m.SocketPath())
	defer c.CloseIdleConnections()
	if _, err := c.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 10, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(data, "journal.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON card_uses BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}

	job, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "k", Media: printerd.MediaCard, Title: "KTP-el", Document: MustRead(t, "card.pdf")})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ps, err := c.Printers(ctx)
		if err == nil && ps[0].Status.State == printerd.PrinterStopped && ps[0].Status.Reasons[len(ps[0].Status.Reasons)-1].Keyword == printerd.ReasonJournalError {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("printer = %+v, %v; want stopped with journal-error", ps, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, err := c.Job(ctx, job.ID); err != nil || got.State != printerd.JobDispatching {
		t.Errorf("job = %+v, %v; want still dispatching", got, err)
	}
	if av, err := c.Availability(ctx); err != nil || av[0].Available || av[0].Reason != printerd.ReasonJournalError {
		t.Errorf("availability = %+v, %v; want the card unavailable with journal-error", av, err)
	}
	var warned, stopped bool
	for _, l := range logLines(t, log.String()) {
		if l.Job != string(job.ID) || l.Outcome != string(printerd.JobPrinted) || !strings.Contains(l.Cause, "refused by the test") {
			continue
		}
		warned = warned || l.Level == "warn" && strings.Contains(l.Message, "retrying")
		stopped = stopped || l.Level == "error" && strings.Contains(l.Message, "printer stopped")
	}
	if !warned || !stopped {
		t.Errorf("log has a warn per retry: %v, an error once stopped: %v; log:\n%s", warned, stopped, log.String())
	}

	if _, err := db.Exec(`DROP TRIGGER refuse`); err != nil {
		t.Fatal(err)
	}
	if got := MustPrint(t, c, job.ID); got.CardSerial != "SIM-000001" {
		t.Errorf("job = %+v, want printed with the first card", got)
	}
	if av, _ := c.Availability(ctx); av[0].Available {
		t.Error("the card is available before a supervisor resumed the printer")
	}
	if err := c.ResumePrinter(ctx, "card-1", "sari"); err != nil {
		t.Fatal(err)
	}
	if av, err := c.Availability(ctx); err != nil || !av[0].Available {
		t.Errorf("availability after resume = %+v, %v", av, err)
	}
	if err := c.Health(ctx); err != nil {
		t.Errorf("Health = %v", err)
	}
}
