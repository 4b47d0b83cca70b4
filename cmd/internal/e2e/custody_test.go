package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// TestBlankDestructionThroughPrograms runs the custody of blank cards
// through the real programs: printerd rejects a card it cannot encode, a
// supervisor records another spoiled on the console (over printerd's
// socket, as the station is wired), two supervisors sign its
// destruction (the first cannot sign twice), and the berita acara and
// the monthly CSV name the station's hall and kiosk.
func TestBlankDestructionThroughPrograms(t *testing.T) {
	sys := MustStart(t)
	ctx := context.Background()
	mustOK(t, sys.Printers.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultEncodeFailure, At: printerd.FaultDuringPrint}))
	doc, err := os.ReadFile("../../../printerd/testdata/card.pdf")
	mustOK(t, err)
	job, err := sys.Printers.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "custody-1", Media: printerd.MediaCard, Title: "KTP-el", Document: doc})
	mustOK(t, err)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		j, err := sys.Printers.Job(ctx, job.ID)
		mustOK(t, err)
		if j.State == printerd.JobPrinted {
			break
		}
		if j.State.Terminal() || time.Now().After(deadline) {
			t.Fatalf("job %s is %s (%s), want printed after one rejected card", j.ID, j.State, j.Reason)
		}
	}

	sari, budi := sys.MustSupervisor(t, "sari"), sys.MustSupervisor(t, "budi")
	page := sari.page("/blanks")
	if !strings.Contains(page, "gagal-encode") {
		t.Fatalf("/blanks does not list the rejected card:\n%s", page)
	}
	post := func(sv *Supervisor, path string, form url.Values) int {
		t.Helper()
		form.Set("csrf", sv.field(sv.page("/blanks"), "csrf"))
		res, _ := sv.send("POST", path, form)
		return res.StatusCode
	}
	if code := post(sari, "/blanks/spoils", url.Values{"printer": {"card-1"}, "cause": {"perubahan-elemen-data"}}); code != http.StatusSeeOther {
		t.Fatalf("spoil: %d", code)
	}
	if code := post(sari, "/blanks/destructions", url.Values{"printer": {"card-1"}}); code != http.StatusSeeOther {
		t.Fatalf("propose: %d", code)
	}
	id := regexp.MustCompile(`action="/blanks/destructions/(D[A-Z0-9]+)/confirm"`).FindStringSubmatch(budi.page("/blanks"))
	if id == nil {
		t.Fatal("no destruction awaiting a second signature")
	}
	if code := post(sari, "/blanks/destructions/"+id[1]+"/confirm", url.Values{}); code != http.StatusConflict {
		t.Errorf("the proposer signs twice: %d, want 409", code)
	}
	if code := post(budi, "/blanks/destructions/"+id[1]+"/confirm", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("confirm: %d", code)
	}
	ledger, err := sys.Printers.Ledger(ctx)
	mustOK(t, err)
	if l := ledger[0]; l.Destroyed != 2 || l.Loaded != l.Remaining+l.Printed+l.Awaiting()+l.Destroyed {
		t.Errorf("ledger after the destruction: %+v", l)
	}
	res, pdf := budi.send("GET", "/blanks/destructions/"+id[1]+"/berita-acara.pdf", nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(pdf, "%PDF") {
		t.Fatalf("berita acara: %s", res.Status)
	}
	month := regexp.MustCompile(`name="month" type="month" value="([0-9-]+)"`).FindStringSubmatch(budi.page("/blanks"))
	if month == nil {
		t.Fatal("no month field")
	}
	res, csv := budi.send("GET", "/blanks/month.csv?month="+month[1], nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(csv, ",card-1,destroyed,,2\n") || !strings.Contains(csv, ",card-1,spoiled,gagal-encode,1\n") {
		t.Errorf("month CSV: %s\n%s", res.Status, csv)
	}
}
