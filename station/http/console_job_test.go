package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

// TestJobPageActions: a job page offers only what makes sense for the
// job now, and shows its history in words.
func TestJobPageActions(t *testing.T) {
	r := MustConsole(t)
	r.pd.jobs["J5"] = printerd.Job{ID: "J5", Title: "KIA", Media: printerd.MediaCard, State: printerd.JobHeld, Reason: printerd.ReasonCitizenAbsent,
		Created: r.clock.Now(), Updated: r.clock.Now()}
	siti := r.MustLogin("siti")
	for _, tt := range []struct {
		job       string
		want, not []string
	}{
		{"J1", []string{`id="resolve"`, `id="present"`, "hasil tidak pasti"}, []string{`id="release-form"`}},
		{"J2", []string{`<table id="history">`, "dalam antrean → tercetak"}, []string{`id="resolve"`, `id="release-form"`}},
		{"J3", []string{`id="release-form"`, "Lepaskan ke antrean", "blanko habis"}, []string{`id="resolve"`, `id="present"`}},
		{"J5", []string{`id="release-form"`, "Serahkan langsung kepada warga", `id="present"`, "warga tidak di anjungan"}, []string{`id="resolve"`}},
	} {
		t.Run(tt.job, func(t *testing.T) {
			page := body(t, r.do(request{method: "GET", path: "/jobs/" + tt.job + "?lang=id", cookies: siti.cookies()}))
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %s", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(page, w) {
					t.Errorf("the page offers %s", w)
				}
			}
		})
	}

	// A hand-over without the citizen confirmed present is refused, the
	// box marked; with it, printerd releases the job.
	post := func(path string, form url.Values) (*http.Response, string) {
		form.Set(csrfField, siti.csrf)
		res := r.do(request{method: "POST", path: path, header: sameOrigin, cookies: siti.cookies(), form: form})
		return res, body(t, res)
	}
	res, page := post("/jobs/J5/release", url.Values{})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `<label class="check wrong">`) || !strings.Contains(page, "hadir di depan Anda") {
		t.Errorf("hand-over unconfirmed: %d\n%s", res.StatusCode, page)
	}
	if got := r.pd.done(); len(got) != 0 {
		t.Fatalf("printerd carried out %q", got)
	}
	if res, _ := post("/jobs/J5/release", url.Values{"present": {"yes"}}); res.StatusCode != redirect {
		t.Errorf("hand-over confirmed: %d", res.StatusCode)
	}
	// A release for the printer's sake needs no presence.
	if res, _ := post("/jobs/J3/release", url.Values{}); res.StatusCode != redirect {
		t.Errorf("release: %d", res.StatusCode)
	}
	if got := strings.Join(r.pd.done(), "|"); got != "release J5 by siti|release J3 by siti" {
		t.Errorf("printerd got %q", got)
	}
	if e := r.audit.last(); e.Kind != "console.release" || e.Fields["present"] != "" {
		t.Errorf("the last entry %+v", e)
	}
}

// TestResumeShowsRealState: "fixed — run it again" answers with the
// printer's state read back after the resume: the fake's card-1 stays
// stopped, so the answer says so, never that it runs.
func TestResumeShowsRealState(t *testing.T) {
	r := MustConsole(t)
	siti := r.MustLogin("siti")
	form := url.Values{csrfField: {siti.csrf}}
	res := r.do(request{method: "POST", path: "/printers/card-1/resume", header: sameOrigin, cookies: siti.cookies(), form: form})
	if loc := res.Header.Get("Location"); res.StatusCode != redirect || loc != "/printers/card-1?done=still_stopped" {
		t.Fatalf("resume: %d to %q", res.StatusCode, loc)
	}
	page := body(t, r.do(request{method: "GET", path: "/printers/card-1?done=still_stopped&lang=en", cookies: siti.cookies()}))
	for _, want := range []string{"The printer is still stopped", `id="printer-state" class="stopped">stopped`, "card or paper jammed (error)", `id="resume"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the printer page lacks %s", want)
		}
	}
	if got := strings.Join(r.pd.done(), "|"); got != "clear card-1|resume card-1 by siti" {
		t.Errorf("printerd got %q", got)
	}
	if e := r.audit.last(); e.Kind != "console.resume" || e.Fields["state"] != "stopped" || e.Fields["cleared"] != "faults" {
		t.Errorf("the entry %+v", e)
	}
}
