package http

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestReportPDF(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			t.Fatal("pdftotext not on PATH and ANJUNGAN_REQUIRE_PEERS=1 (apt-get install poppler-utils)")
		}
		t.Skip("pdftotext not on PATH (apt-get install poppler-utils)")
	}
	r := MustConsole(t)
	ss := r.MustLogin("tono") // a technician: the report holds no personal data
	page := body(t, r.do(request{method: "GET", path: "/exports", cookies: ss.cookies()}))
	if !strings.Contains(page, `action="/report.pdf"`) || !strings.Contains(page, `value="2025-03-01"`) || strings.Contains(page, "/audit.csv") {
		t.Errorf("exports page for a technician:\n%s", page)
	}
	res := r.do(request{method: "GET", path: "/report.pdf?day=2025-03-01&lang=en", cookies: ss.cookies()})
	b := body(t, res)
	if res.StatusCode != ok || res.Header.Get("Content-Type") != "application/pdf" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="report-2025-03-01.pdf"` {
		t.Fatalf("report: %d %v", res.StatusCode, res.Header)
	}
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(path, []byte(b), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	// The fake printerd's day: J1 KTP-el in doubt, J2 KK printed, J3
	// KTP-el held; card-1 loaded 100, printed 95.
	for _, re := range []string{`KK\s+1\s+0\s+0\s+0\s+1`, `KTP-el\s+0\s+0\s+1\s+1\s+2`, `J1\s+KTP-el\s+in_doubt`,
		`card-1\s+100\s+95\s+0\s+0\s+5`, `anjungan.test/station/audit`, `anjungan.test/printerd/audit`, `size 7`} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("report lacks %s:\n%s", re, out)
		}
	}
	if got := r.audit.last(); got.Kind != "console.export" || got.Actor != "tono" || got.Fields["format"] != "pdf" || got.Fields["day"] != "2025-03-01" {
		t.Errorf("download audited as %+v", got)
	}
	// Another day has none of it.
	other := r.do(request{method: "GET", path: "/report.pdf?day=2025-02-28", cookies: ss.cookies()})
	if other.StatusCode != ok || body(t, other) == b {
		t.Errorf("report of another day: %d", other.StatusCode)
	}

	n := len(r.audit.kinds())
	for _, day := range []string{"2025-02-30", "01-03-2025", "2025-3-1", "today", "2025-03-01T00:00", "2025-03-01%00"} {
		res := r.do(request{method: "GET", path: "/report.pdf?day=" + day + "&lang=en", cookies: ss.cookies()})
		page := body(t, res)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "YYYY-MM-DD") {
			t.Errorf("day %q: %d\n%s", day, res.StatusCode, page)
		}
	}
	if got := len(r.audit.kinds()); got != n {
		t.Errorf("refused reports left %d audit entries", got-n)
	}
}

// TestLanguageLinks follows the language toggle of every page the console
// renders, including answers to POSTs and error pages: it must answer 200,
// or redirect to a page that does.
func TestLanguageLinks(t *testing.T) {
	r := MustConsole(t)
	ss := r.MustLogin("siti")
	link := regexp.MustCompile(`<a class="lang" id="lang" href="([^"]+)"`)
	type visit struct {
		method, path string
		form         url.Values
		cookies      map[string]string
	}
	var visits []visit
	for _, rt := range consoleRoutes() {
		if rt.path == "/logout" {
			continue
		}
		visits = append(visits, visit{rt.method, rt.path, rt.form, ss.cookies()})
	}
	visits = append(visits,
		visit{"GET", "/login", nil, nil},
		visit{"GET", "/audit?kind=print.&outcome=ok", nil, ss.cookies()},
		visit{"POST", "/jobs/J1/resolve", url.Values{"action": {"nonsense"}}, ss.cookies()},
		visit{"POST", "/ledger/loads", url.Values{"printer": {"card-1"}, "count": {"x"}}, ss.cookies()},
		visit{"POST", "/printers/nope/resume", url.Values{}, ss.cookies()},
		visit{"GET", "/jobs/NOPE", nil, ss.cookies()},
		visit{"GET", "/report.pdf?day=bad", nil, ss.cookies()},
	)
	seen := 0
	for _, v := range visits {
		q := request{method: v.method, path: v.path, cookies: v.cookies}
		if v.method == "POST" {
			form := url.Values{csrfField: {ss.csrf}}
			for k, vs := range v.form {
				form[k] = vs
			}
			q.form, q.header = form, sameOrigin
		}
		res := r.do(q)
		m := link.FindStringSubmatch(body(t, res))
		if m == nil {
			continue // not a page: a redirect, CSS, CSV or PDF
		}
		seen++
		target := strings.ReplaceAll(m[1], "&amp;", "&")
		got := r.do(request{method: "GET", path: target, cookies: v.cookies})
		if got.StatusCode == redirect {
			loc := got.Header.Get("Location")
			got = r.do(request{method: "GET", path: loc, cookies: v.cookies})
			target += " → " + loc
		}
		if got.StatusCode != ok {
			t.Errorf("%s %s: language link %s answers %d", v.method, v.path, target, got.StatusCode)
		}
	}
	if seen < 10 {
		t.Errorf("only %d pages had a language link", seen)
	}
}
