package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// TestFailedPrintCanBeRetried: a print that failed with nothing printed
// (the card printer failed to encode on every attempt printerd made) is
// reported to the upstream, the token stays, and the citizen's next tap
// on Print makes a new job that prints once and burns the token.
func TestFailedPrintCanBeRetried(t *testing.T) {
	sys := MustStart(t)
	ctx := context.Background()
	a := sys.MustApprove(t, "ktp-el")
	mustOK(t, sys.Printers.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultEncodeFailure, At: printerd.FaultDuringPrint, Count: 3}))
	c := sys.NewCitizen(t)
	v := c.previewAndPrint(t, "/api/login/ticket", map[string]string{"ticket": a.Ticket})
	rid := v.Documents[0].RequestID
	c.waitPrintState(rid, "failed")
	if sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Fatal("token burned by a failed print")
	}
	mustOK(t, sys.Printers.ClearFaults(ctx, "card-1"))

	var p struct {
		Error *apiError `json:"error"`
	}
	if st := c.call("POST", "/api/print", map[string]string{"request_id": rid}, &p); st != http.StatusAccepted {
		t.Fatalf("print again: %d %+v", st, p.Error)
	}
	c.waitPrintState(rid, "printed")
	if !sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Error("token not burned after the retry printed")
	}
	jobs, err := sys.Printers.Jobs(ctx, "")
	mustOK(t, err)
	states := map[printerd.JobState]int{}
	for _, j := range jobs {
		states[j.State]++
	}
	if len(jobs) != 2 || states[printerd.JobFailed] != 1 || states[printerd.JobPrinted] != 1 {
		t.Errorf("printerd's jobs: %v; want one failed and one printed", states)
	}
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))); n != 1 {
		t.Errorf("%d cards printed, want 1", n)
	}

	// The day's report in the console counts both attempts: the hall's
	// day (WIB), which from 17:00 UTC is the next day's date.
	day := time.Now().In(station.WIB.Location()).Format(time.DateOnly)
	pdf := sys.MustSupervisor(t, "sari").page("/report.pdf?day=" + day + "&lang=en")
	text := mustPDFText(t, []byte(pdf))
	if !regexp.MustCompile(`KTP-el\s+1\s+1\s+0\s+0\s+2`).MatchString(strings.Join(strings.Fields(text), " ")) {
		t.Errorf("report of %s does not count 1 printed and 1 failed KTP-el:\n%s", day, text)
	}
}

// mustPDFText is the text of a PDF, by poppler's pdftotext.
func mustPDFText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestPrintsThroughPrinterdOverMTLS: the station reaches printerd over
// its mutual-TLS listener (printerd on another machine) and a ticket
// prints and burns as over the socket.
func TestPrintsThroughPrinterdOverMTLS(t *testing.T) {
	sys := MustStartWith(t, Options{PrinterdTLS: true})
	a := sys.MustApprove(t, "ktp-el")
	v := printAll(t, sys.NewCitizen(t), "/api/login/ticket", map[string]string{"ticket": a.Ticket})
	if d := v.Documents[0]; d.Print == nil || d.Print.State != "printed" {
		t.Fatalf("print %+v, want printed", d.Print)
	}
	if !sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Error("token not burned")
	}
}
