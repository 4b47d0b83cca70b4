package http

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/printerd"
)

// everyWord is printerd showing every keyword of the table at once: a
// job with each as its reason, in each state, and a printer with each as
// a condition.
type everyWord struct {
	*fakePrinterd
}

func (p everyWord) ListJobs(_ context.Context, f printerd.JobFilter) ([]printerd.Job, error) {
	if f.State != "" || !f.UpdatedSince.IsZero() {
		return nil, nil
	}
	now := p.jobs["J1"].Created
	states := []printerd.JobState{printerd.JobQueued, printerd.JobDispatching, printerd.JobPrinted, printerd.JobHeld, printerd.JobFailed, printerd.JobCanceled, printerd.JobInDoubt}
	var out []printerd.Job
	for i, k := range sortedWords() {
		media := printerd.MediaCard
		if i%2 == 1 {
			media = printerd.MediaA4
		}
		out = append(out, printerd.Job{ID: printerd.JobID("JW" + strings.Repeat("0", 3-len(itoa(i))) + itoa(i)), Title: "KTP-el", Media: media,
			State: states[i%len(states)], Reason: k, Created: now, Updated: now})
	}
	return out, nil
}

func (p everyWord) Printers(context.Context) ([]printerd.PrinterInfo, error) {
	sev := []printerd.Severity{printerd.SeverityError, printerd.SeverityWarning, printerd.SeverityReport}
	var rs []printerd.Reason
	for i, k := range sortedWords() {
		rs = append(rs, printerd.Reason{Keyword: k, Severity: sev[i%3]})
	}
	return []printerd.PrinterInfo{
		{Name: "card-1", Media: printerd.MediaCard, Status: printerd.Status{State: printerd.PrinterStopped, Reasons: rs}},
		{Name: "paper-1", Media: printerd.MediaA4, Status: printerd.Status{State: printerd.PrinterProcessing}},
		{Name: "paper-2", Media: printerd.MediaA4, Status: printerd.Status{State: printerd.PrinterIdle}},
	}, nil
}

func (p everyWord) Ledger(context.Context) ([]printerd.LedgerEntry, error) {
	return []printerd.LedgerEntry{{Tally: printerd.Tally{Printer: "card-1"}, Media: printerd.MediaCard,
		Alerts: []string{printerd.AlertLowStock, printerd.AlertMismatch, printerd.AlertOverdraw}}}, nil
}

func sortedWords() []string {
	ks := make([]string, 0, len(words))
	for k := range words {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// TestBahasaConsoleShowsNoKeyword: with every keyword of the table on the
// page (job states and reasons, printer states, conditions, severities,
// media, ledger alerts), the Bahasa console shows each in its Bahasa
// words and none as printerd's English keyword, as Chromium renders it.
func TestBahasaConsoleShowsNoKeyword(t *testing.T) {
	clk := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	pd := newFakePrinterd(clk.Now())
	r := mustConsoleOn(t, everyWord{pd}, clk)
	r.pd = pd
	base := r.MustConsoleServer()
	b := MustChromium(t, *consoleShots)
	b.Do(chromedp.Navigate(base+"/login?lang=id"), chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#name"), "siti"), chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("#overview")))
	var text strings.Builder
	for _, path := range []string{"/", "/printers/card-1", "/printers/paper-1", "/printers/paper-2", "/ledger", "/jobs/J1", "/jobs/J3", "/pins"} {
		b.Do(chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main")))
		text.WriteString(b.Text("main") + "\n")
	}
	b.Do(chromedp.Navigate(base + "/"))
	b.Shot("overview-every-word-id")
	page := text.String()
	tokens := map[string]bool{}
	for _, tok := range regexp.MustCompile(`[A-Za-z0-9_-]+`).FindAllString(page, -1) {
		tokens[tok] = true
	}
	// Keywords that are also Bahasa words: "jam" is "hour".
	bahasa := map[string]bool{"jam": true}
	for _, k := range sortedWords() {
		w := words[k]
		if !strings.Contains(page, w[0]) {
			t.Errorf("%q is not shown as %q", k, w[0])
		}
		if tokens[k] && !strings.Contains(w[0], k) && !bahasa[k] {
			t.Errorf("the Bahasa console shows the keyword %q (Bahasa: %q)", k, w[0])
		}
	}
}
