package http

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/api"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/printerd/journal"
)

// journalClock is printerd's clock in these tests: set by the test,
// ticking 1 ms per reading so that every job has its own time.
type journalClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *journalClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *journalClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// printerdRig is the real printerd (journal, dispatcher with no printer,
// API on a unix socket) with jobs put in the states a test needs straight
// through the journal, on a clock the test sets.
type printerdRig struct {
	tb    testing.TB
	j     *journal.Journal
	clock *journalClock
	c     *client.Client
	docs  map[printerd.Media][]byte
	n     int
}

func mustPrinterd(tb testing.TB) *printerdRig {
	tb.Helper()
	r := &printerdRig{tb: tb, clock: &journalClock{}, docs: map[printerd.Media][]byte{}}
	for m, name := range map[printerd.Media]string{printerd.MediaCard: "card.pdf", printerd.MediaA4: "a4.pdf"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "printerd", "testdata", name))
		if err != nil {
			tb.Fatal(err)
		}
		r.docs[m] = b
	}
	j, err := journal.Open(filepath.Join(tb.TempDir(), "data"), r.clock.Now)
	if err != nil {
		tb.Fatal(err)
	}
	r.j = j
	d, err := printerd.NewDispatcher(printerd.DispatcherConfig{Journal: j})
	if err != nil {
		tb.Fatal(err)
	}
	// Unix socket paths are limited to about 108 bytes, which t.TempDir
	// can exceed.
	dir, err := os.MkdirTemp("", "pd")
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "printerd.sock"))
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: api.NewHandler(d, zerolog.Nop())}
	go func() { _ = srv.Serve(ln) }()
	r.c = client.New(filepath.Join(dir, "printerd.sock"))
	tb.Cleanup(func() {
		r.c.CloseIdleConnections()
		_ = d.Close()
		_ = srv.Close()
		_ = j.Close()
		_ = os.RemoveAll(dir)
	})
	if _, err := j.RecordLoad(context.Background(), printerd.Load{Printer: "card-1", Count: 1000, Actor: "test"}); err != nil {
		tb.Fatal(err)
	}
	return r
}

// job submits a job of title at created and, at finished, moves it to
// state: through a dispatch for printed, failed, held and in_doubt, by a
// cancel for canceled. Jobs are never left queued: the dispatcher here
// has no printer, but nothing should wait on that.
func (r *printerdRig) job(title string, state printerd.JobState, created, finished time.Time) printerd.Job {
	r.tb.Helper()
	ctx := context.Background()
	media, printer := printerd.MediaCard, "card-1"
	if title == "KK" {
		media, printer = printerd.MediaA4, "paper-1"
	}
	r.n++
	r.clock.Set(created)
	job, _, err := r.j.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: fmt.Sprintf("k%d", r.n), Media: media, Title: title, Document: r.docs[media]})
	if err != nil {
		r.tb.Fatal(err)
	}
	r.clock.Set(finished)
	if state == printerd.JobCanceled {
		if job, err = r.j.Cancel(ctx, job.ID, "station"); err != nil {
			r.tb.Fatal(err)
		}
		return job
	}
	claimed, ok, err := r.j.ClaimNext(ctx, media, printer)
	if err != nil || !ok || claimed.ID != job.ID {
		r.tb.Fatalf("ClaimNext = %+v, %v, %v; want %s", claimed, ok, err, job.ID)
	}
	res := printerd.Result{State: state, Printer: printer}
	switch state {
	case printerd.JobPrinted:
		if media == printerd.MediaCard {
			res.CardSerial = fmt.Sprintf("SIM-%06d", r.n)
		}
	case printerd.JobFailed:
		res.Reason = "media-jam"
	case printerd.JobHeld:
		res.Reason = "media-empty"
	case printerd.JobInDoubt:
		res.Reason = "offline"
	}
	if job, err = r.j.Finish(ctx, job.ID, res); err != nil {
		r.tb.Fatal(err)
	}
	return job
}

// TestOverviewOfManyJobs: with more jobs than printerd lists at once by
// default (100), the overview still shows the in-doubt and held jobs of
// earlier days and their alert, and its counts of the day agree with the
// daily report's: jobs that last changed today, printed by document type,
// failed or canceled together.
func TestOverviewOfManyJobs(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	at := func(day, h, m int) time.Time { return time.Date(2025, 3, day, h, m, 0, 0, wib) }
	pd := mustPrinterd(t)

	doubt := pd.job("KTP-el", printerd.JobInDoubt, at(-1, 10, 0), at(-1, 10, 1)) // 27 February
	held := pd.job("KIA", printerd.JobHeld, at(-1, 11, 0), at(-1, 11, 1))
	// In doubt two days before, resolved as printed this morning: a print
	// of today.
	resolved := pd.job("KTP-el", printerd.JobInDoubt, at(-2, 9, 0), at(-2, 9, 1))
	pd.clock.Set(at(1, 8, 0))
	if _, err := pd.c.Resolve(context.Background(), resolved.ID, printerd.Resolution{Action: printerd.ActionPrinted, Actor: "siti"}); err != nil {
		t.Fatal(err)
	}
	pd.job("KK", printerd.JobPrinted, at(0, 23, 50), at(1, 0, 10)) // submitted before midnight, printed after
	pd.job("KK", printerd.JobPrinted, at(0, 12, 0), at(0, 12, 1))  // yesterday's
	pd.job("KK", printerd.JobFailed, at(0, 12, 5), at(0, 12, 6))   // yesterday's
	for i := range 150 {
		when := at(1, 9, 0).Add(time.Duration(i) * time.Minute)
		switch {
		case i < 90 && i%2 == 0:
			pd.job("KTP-el", printerd.JobPrinted, when, when.Add(time.Second))
		case i < 90:
			pd.job("KK", printerd.JobPrinted, when, when.Add(time.Second))
		case i < 130:
			pd.job("KTP-el", printerd.JobFailed, when, when.Add(time.Second))
		default:
			pd.job("KK", printerd.JobCanceled, when, when.Add(time.Second))
		}
	}

	clk := &clock{t: at(1, 15, 0)}
	r := mustConsoleOn(t, pd.c, clk)
	ss := r.MustLogin("siti")
	page := body(t, r.do(request{method: "GET", path: "/?lang=en", cookies: ss.cookies()}))
	card := func(title string) string {
		m := regexp.MustCompile(`(?s)<div class="card[^"]*"><h2>` + regexp.QuoteMeta(title) + `</h2>(.*?)</div>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("overview has no card %q:\n%s", title, page)
		}
		return m[1]
	}
	printed := card("Printed today")
	for _, want := range []string{"KTP-el: <strong>46</strong>", "KK: <strong>46</strong>"} {
		if !strings.Contains(printed, want) {
			t.Errorf("printed today: %q, want %q", printed, want)
		}
	}
	if strings.Contains(printed, "KIA") {
		t.Errorf("printed today counts a document with no print today: %q", printed)
	}
	if got := card("Failed or canceled today"); !strings.Contains(got, "<strong>60</strong>") {
		t.Errorf("failed or canceled today: %q, want 60", got)
	}
	if got := card("Held"); !strings.Contains(got, "<strong>1</strong>") {
		t.Errorf("held: %q, want 1 (%s of the day before yesterday)", got, held.ID)
	}
	if got := card("Needs a decision (outcome unknown)"); !strings.Contains(got, "<strong>1</strong>") || !strings.Contains(got, `href="/jobs/`+string(doubt.ID)+`"`) {
		t.Errorf("in doubt: %q, want 1 with a link to %s", got, doubt.ID)
	}
	if !strings.Contains(page, "Jobs waiting for a decision") || !strings.Contains(page, `class="next" href="/jobs/`+string(doubt.ID)+`"`) {
		t.Errorf("the overview lacks the in-doubt alert:\n%s", page)
	}
	if strings.Contains(page, "incomplete") {
		t.Errorf("the overview says its counts are incomplete")
	}

	// The daily report counts the same day the same way.
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			t.Fatal("pdftotext not on PATH and ANJUNGAN_REQUIRE_PEERS=1 (apt-get install poppler-utils)")
		}
		t.Skip("pdftotext not on PATH (apt-get install poppler-utils): the report's counts are not compared")
	}
	res := r.do(request{method: "GET", path: "/report.pdf?day=2025-03-01&lang=en", cookies: ss.cookies()})
	pdf := body(t, res)
	if res.StatusCode != ok {
		t.Fatalf("report: %d\n%s", res.StatusCode, pdf)
	}
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(path, []byte(pdf), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	// Document, printed, failed or canceled, in doubt, held or queued, total.
	for _, re := range []string{`KK\s+46\s+20\s+0\s+0\s+66`, `KTP-el\s+46\s+40\s+0\s+0\s+86`, `Total\s+92\s+60\s+0\s+0\s+152`} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("report lacks %s:\n%s", re, out)
		}
	}
	if strings.Contains(string(out), "incomplete") {
		t.Errorf("the report says it is incomplete:\n%s", out)
	}
}
