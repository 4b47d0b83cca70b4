package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the audit logs are read straight from the services' SQLite files

	"github.com/anjungan/anjungan/cmd/internal/ctl"
	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// The canary (docs/audit.md, "Personal data"): full prints through the
// real programs with registry-sim's synthetic people, then a search of
// everything the programs leave behind — every log line, every audit
// entry, every file of the station's and printerd's data and of TMPDIR —
// for those people's NIKs, names, addresses, birth dates, PINs and photos.

// logBuffer collects the log output of all three programs; they write
// from many goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// match is how a canary is looked for.
type match int

const (
	exact  match = iota // the bytes as they are (NIKs, dates, photo bytes)
	folded              // ASCII case-insensitive, anywhere (full names, addresses)
	word                // folded, with no letter on either side (a name's tokens)
	number              // a digit run with no letter, digit or '.' on either side (PINs)
)

// canary is one piece of personal data that must not be found.
type canary struct {
	What  string // what it is, e.g. "name (kk row)"
	Value string
	How   match
}

// hit is a canary found somewhere.
type hit struct {
	Canary canary
	Where  string
	Near   string // the bytes around it, printable
}

func (h hit) String() string {
	value := fmt.Sprintf("%q", h.Canary.Value)
	if strings.Contains(h.Canary.What, " bytes") {
		value = fmt.Sprintf("(%d bytes from its middle)", len(h.Canary.Value))
	}
	return fmt.Sprintf("%s: %s %s, near %q", h.Where, h.Canary.What, value, h.Near)
}

type canaries []canary

// add adds c once.
func (cs *canaries) add(c canary) {
	if c.Value == "" || c.Value == "-" {
		return
	}
	for _, o := range *cs {
		if o.Value == c.Value && o.How == c.How {
			return
		}
	}
	*cs = append(*cs, c)
}

// addName adds a full name and each of its tokens longer than three
// letters (docs/audit.md says why); a one-word name of three letters or
// fewer would match binary data by chance.
func (cs *canaries) addName(what, name string) {
	if strings.Contains(name, " ") || len(name) > 3 {
		cs.add(canary{What: what, Value: name, How: word})
	}
	for _, tok := range strings.Fields(name) {
		if len(tok) > 3 {
			cs.add(canary{What: what + ", token", Value: tok, How: word})
		}
	}
}

// scan returns the canaries found in data, at most one hit per canary.
func (cs canaries) scan(where string, data []byte) []hit {
	lower := asciiLower(data)
	var hits []hit
	for _, c := range cs {
		hay, needle := data, []byte(c.Value)
		if c.How != exact {
			hay, needle = lower, asciiLower(needle)
		}
		for from := 0; ; {
			i := bytes.Index(hay[from:], needle)
			if i < 0 {
				break
			}
			i += from
			end := i + len(needle)
			if bounded(c.How, hay, i, end) {
				hits = append(hits, hit{Canary: c, Where: where, Near: printable(data[max(i-40, 0):min(end+40, len(data))])})
				break
			}
			from = i + 1
		}
	}
	return hits
}

// bounded reports whether hay[i:end] is a whole match for how.
func bounded(how match, hay []byte, i, end int) bool {
	var outside func(b byte) bool
	switch how {
	case word:
		outside = func(b byte) bool { return !('a' <= b && b <= 'z') }
	case number:
		// A PIN is not a piece of a longer number, an id, or the fraction
		// of a logged duration ("took":1.234567).
		outside = func(b byte) bool {
			return !('a' <= b && b <= 'z') && !('0' <= b && b <= '9') && b != '.'
		}
	default:
		return true
	}
	return (i == 0 || outside(hay[i-1])) && (end == len(hay) || outside(hay[end]))
}

func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}

// scanTree scans every regular file under root except those under the
// skipped folders, and returns the hits and the files it read.
func (cs canaries) scanTree(root string, skip ...string) (hits []hit, files []string, err error) {
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			for _, s := range skip {
				if path == s {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // sockets, links: nothing stored
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, path)
		hits = append(hits, cs.scan(path, b)...)
		return nil
	})
	return hits, files, err
}

// upstreamDocument is a document as registry-sim serves it
// (docs/upstream.md).
type upstreamDocument struct {
	Type   string              `json:"document_type"`
	NIK    string              `json:"nik"`
	Fields map[string]string   `json:"fields"`
	Rows   []map[string]string `json:"rows"`
	Images map[string]string   `json:"images"`
}

// mustDocuments logs in to the upstream with the approval's NIK and PIN,
// fetches each of its documents and gives each back (release), so that
// the kiosk can fetch them again. It is how the test learns the personal
// data the prints carry.
func (s *System) mustDocuments(tb testing.TB, a ctl.Approval) []upstreamDocument {
	tb.Helper()
	var authz struct {
		ID       string `json:"authorization_id"`
		Requests []struct {
			ID string `json:"request_id"`
		} `json:"requests"`
	}
	s.upstreamCall(tb, "POST", "/v1/authorizations", map[string]string{"method": string(station.AuthPIN), "nik": a.NIK, "pin": a.PIN}, &authz)
	var docs []upstreamDocument
	for _, r := range authz.Requests {
		path := "/v1/authorizations/" + authz.ID + "/requests/" + r.ID
		var d upstreamDocument
		s.upstreamCall(tb, "GET", path+"/document", nil, &d)
		s.upstreamCall(tb, "POST", path+"/release", struct{}{}, nil)
		docs = append(docs, d)
	}
	if len(docs) == 0 {
		tb.Fatalf("approval %s has no documents", a.ApprovalID)
	}
	return docs
}

func (s *System) upstreamCall(tb testing.TB, method, path string, in, out any) {
	tb.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.Registry.URL()+path, body)
	mustOK(tb, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := s.Upstream.Do(req)
	mustOK(tb, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		tb.Fatalf("upstream %s %s: %s %s", method, path, res.Status, b)
	}
	if out != nil {
		mustOK(tb, json.Unmarshal(b, out))
	}
}

// addDocument adds the personal data of one upstream document.
func (cs *canaries) addDocument(d upstreamDocument) {
	at := " (" + d.Type + ")"
	cs.add(canary{What: "NIK of the applicant" + at, Value: d.NIK, How: exact})
	person := func(what string, f map[string]string) {
		cs.add(canary{What: "NIK" + what, Value: f["nik"], How: exact})
		cs.addName("name"+what, f["nama"])
		cs.addName("father's name"+what, f["nama_ayah"])
		cs.addName("mother's name"+what, f["nama_ibu"])
		if bd := f["tanggal_lahir"]; bd != "" {
			// Printed DD-MM-YYYY; also looked for as YYYY-MM-DD.
			cs.add(canary{What: "birth date" + what, Value: bd, How: exact})
			if p := strings.Split(bd, "-"); len(p) == 3 {
				cs.add(canary{What: "birth date" + what, Value: p[2] + "-" + p[1] + "-" + p[0], How: exact})
			}
		}
	}
	person(at, d.Fields)
	for _, r := range d.Rows {
		person(" (kk row)", r)
	}
	cs.addName("head of family"+at, d.Fields["nama_kepala_keluarga"])
	cs.add(canary{What: "address" + at, Value: d.Fields["alamat"], How: folded})
	cs.add(canary{What: "KK number" + at, Value: d.Fields["no_kk"], How: exact})
	cs.add(canary{What: "birth certificate number" + at, Value: d.Fields["no_akta_lahir"], How: folded})
	for name, b64 := range d.Images {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) < 256 || len(b64) < 256 {
			continue
		}
		// A window from the middle: the image data, not the PNG header
		// every image shares.
		cs.add(canary{What: name + " bytes" + at, Value: string(raw[len(raw)/2 : len(raw)/2+48]), How: exact})
		cs.add(canary{What: name + " base64" + at, Value: b64[len(b64)/2 : len(b64)/2+64], How: exact})
	}
}

// canaryVisit logs in at the kiosk, previews and prints every document
// and logs out; it returns the settled session.
func canaryVisit(t *testing.T, c *Citizen, loginPath string, login any) sessionView {
	t.Helper()
	v := c.previewAndPrint(t, loginPath, login)
	mustStatus(t, c.call("POST", "/api/session/logout", nil, nil), http.StatusNoContent)
	return v
}

// previewAndPrint logs in, previews and prints every document and waits
// until no print is in progress.
func (c *Citizen) previewAndPrint(t *testing.T, loginPath string, login any) sessionView {
	t.Helper()
	var v sessionView
	if st := c.call("POST", loginPath, login, &v); st != http.StatusCreated {
		t.Fatalf("login: %d %+v", st, v.Error)
	}
	for _, d := range v.Documents {
		c.mustPreview(d.RequestID)
		var p struct {
			Error *apiError `json:"error"`
		}
		if st := c.call("POST", "/api/print", map[string]string{"request_id": d.RequestID}, &p); st != http.StatusAccepted {
			t.Fatalf("print %s: %d %+v", d.Type, st, p.Error)
		}
	}
	return c.waitSettled()
}

// waitPrintState polls the session until the print of rid is in state.
// The deadline only stops a hung test: printerd's retries take seconds.
func (c *Citizen) waitPrintState(rid, state string) {
	c.tb.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var v sessionView
		mustStatus(c.tb, c.call("GET", "/api/session", nil, &v), http.StatusOK)
		for _, d := range v.Documents {
			if d.RequestID == rid && d.Print != nil && d.Print.State == state {
				return
			}
		}
		if time.Now().After(deadline) {
			c.tb.Fatalf("print of %s never reached %s: %+v", rid, state, v)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mustPreview prepares a document and fetches every page of its preview
// (pdftoppm runs for it).
func (c *Citizen) mustPreview(rid string) {
	c.tb.Helper()
	var p struct {
		Pages int       `json:"pages"`
		Error *apiError `json:"error"`
	}
	if st := c.call("POST", "/api/prepare", map[string]string{"request_id": rid}, &p); st != http.StatusOK || p.Pages < 1 {
		c.tb.Fatalf("prepare %s: %d, %d pages, %+v", rid, st, p.Pages, p.Error)
	}
	for i := range p.Pages {
		mustStatus(c.tb, c.call("GET", fmt.Sprintf("/api/preview/%s/%d", rid, i), nil, nil), http.StatusOK)
	}
}

func TestCanaryFullPrints(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // before the start: the programs and their poppler children write here
	logs := &logBuffer{}
	sys := MustStartWith(t, Options{Logs: logs, LogLevel: "debug"})
	ctx := context.Background()
	var cs canaries
	approve := func(docs ...string) ctl.Approval {
		a := sys.MustApprove(t, docs...)
		for _, d := range sys.mustDocuments(t, a) {
			cs.addDocument(d)
		}
		cs.add(canary{What: "PIN of " + a.ApprovalID, Value: a.PIN, How: number})
		cs.add(canary{What: "wrong PIN of " + a.ApprovalID, Value: wrongPIN(a.PIN), How: number})
		return a
	}

	// 1. QR ticket: KTP-el, KIA and KK.
	a := approve("ktp-el", "kia", "kk")
	v := canaryVisit(t, sys.NewCitizen(t), "/api/login/ticket", map[string]string{"ticket": a.Ticket})
	mustAllPrinted(t, v, 3)

	// 2. NIK + PIN: a wrong PIN first (refused), then KTP-el, KIA and KK,
	// with one document given back at the preview and chosen again.
	a = approve("ktp-el", "kia", "kk")
	c := sys.NewCitizen(t)
	var refused sessionView
	if st := c.call("POST", "/api/login/pin", map[string]string{"nik": a.NIK, "pin": wrongPIN(a.PIN)}, &refused); st != http.StatusUnauthorized {
		t.Fatalf("wrong PIN: %d %+v", st, refused.Error)
	}
	var first sessionView
	mustStatus(t, c.call("POST", "/api/login/pin", map[string]string{"nik": a.NIK, "pin": a.PIN}, &first), http.StatusCreated)
	c.mustPreview(first.Documents[0].RequestID)
	mustStatus(t, c.call("POST", "/api/release", map[string]string{"request_id": first.Documents[0].RequestID}, nil), http.StatusNoContent)
	mustStatus(t, c.call("POST", "/api/session/logout", nil, nil), http.StatusNoContent)
	v = canaryVisit(t, sys.NewCitizen(t), "/api/login/pin", map[string]string{"nik": a.NIK, "pin": a.PIN})
	mustAllPrinted(t, v, 3)

	// 3. A failed print: the card printer fails to encode three times, so
	// the job fails once its attempts run out.
	a = approve("ktp-el")
	mustOK(t, sys.Printers.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultEncodeFailure, At: printerd.FaultDuringPrint, Count: 3}))
	c = sys.NewCitizen(t)
	v = c.previewAndPrint(t, "/api/login/ticket", map[string]string{"ticket": a.Ticket})
	c.waitPrintState(v.Documents[0].RequestID, "failed")
	mustStatus(t, c.call("POST", "/api/session/logout", nil, nil), http.StatusNoContent)
	mustOK(t, sys.Printers.ClearFaults(ctx, "card-1"))

	// 4. The card feeder empty: the job is held until an officer refills
	// it and releases the job.
	a = approve("kia")
	mustOK(t, sys.Printers.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultFeederEmpty, At: printerd.FaultBeforePrint}))
	c = sys.NewCitizen(t)
	v = c.previewAndPrint(t, "/api/login/pin", map[string]string{"nik": a.NIK, "pin": a.PIN})
	if p := v.Documents[0].Print; p == nil || p.State != "held" {
		t.Fatalf("print with an empty feeder: %+v, want held", p)
	}
	mustOK(t, sys.Printers.ClearFaults(ctx, "card-1"))
	_, err := sys.Printers.Release(ctx, printerd.JobID(v.Documents[0].Print.Job), "petugas")
	mustOK(t, err)
	c.waitPrintState(v.Documents[0].RequestID, "printed")
	mustStatus(t, c.call("POST", "/api/session/logout", nil, nil), http.StatusNoContent)

	// 5. The upstream down at login, then serving another resident's data:
	// both refused. The wrong resident's data is fetched first with the
	// same fault, since the station sees it too.
	a = approve("kk")
	mustOK(t, sys.Registry.InjectFault(registrysim.Fault{Route: registrysim.RouteAuthorize, Kind: registrysim.FaultStatus, Calls: 1}))
	var down sessionView
	if st := sys.NewCitizen(t).call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &down); st != http.StatusServiceUnavailable {
		t.Fatalf("upstream down: %d %+v", st, down.Error)
	}
	mustOK(t, sys.Registry.InjectFault(registrysim.Fault{Route: registrysim.RouteDocument, Kind: registrysim.FaultSubjectMismatch, Calls: 1}))
	for _, d := range sys.mustDocuments(t, a) {
		cs.addDocument(d)
	}
	mustOK(t, sys.Registry.InjectFault(registrysim.Fault{Route: registrysim.RouteDocument, Kind: registrysim.FaultSubjectMismatch, Calls: 1}))
	c = sys.NewCitizen(t)
	var mixed sessionView
	mustStatus(t, c.call("POST", "/api/login/pin", map[string]string{"nik": a.NIK, "pin": a.PIN}, &mixed), http.StatusCreated)
	var p struct {
		Error *apiError `json:"error"`
	}
	if st := c.call("POST", "/api/prepare", map[string]string{"request_id": mixed.Documents[0].RequestID}, &p); st != http.StatusBadGateway || p.Error == nil || p.Error.Code != "subject_mismatch" {
		t.Fatalf("another resident's data: %d %+v, want 502 subject_mismatch", st, p.Error)
	}
	mustStatus(t, c.call("POST", "/api/session/logout", nil, nil), http.StatusNoContent)

	// 6. A supervisor looks citizens up by NIK in the console, once with
	// a digit missing.
	var niks []string
	for _, cn := range cs {
		if strings.HasPrefix(cn.What, "NIK of the applicant") {
			niks = append(niks, cn.Value)
		}
	}
	typo := niks[0][:15]
	cs.add(canary{What: "NIK typed with a digit missing", Value: typo, How: exact})
	sys.consoleLookups(t, append(niks, typo)...)

	jobs, err := sys.Printers.Jobs(ctx, "")
	mustOK(t, err)
	t.Logf("%d canaries from %d jobs' people; %d log bytes before the stop", len(cs), len(jobs), len(logs.Bytes()))

	// Everything settles and stops before the search: WAL files are
	// checkpointed or left as they are, checkpoints are signed on stop.
	mustOK(t, sys.Station.Close())
	mustOK(t, sys.Printerd.Close())
	mustOK(t, sys.Registry.Close())

	var hits []hit
	// Files: TMPDIR holds the harness's var folder (keys, certs, the
	// station's and printerd's data) and whatever temp files were left.
	// The printers' output and registry-sim's data hold the documents by
	// design: out of scope.
	out, upstream := filepath.Join(sys.Var, "out"), filepath.Join(sys.Var, "registry-sim")
	// printerd's journal is searched as every file: every job ended, so
	// it keeps no document (documentLeftovers) and no hit in it is by
	// design.
	fileHits, files, err := cs.scanTree(tmp, out, upstream)
	mustOK(t, err)
	jd := readDocuments(t, filepath.Join(sys.Var, "printerd"))
	fileHits, kept := jd.byDesign(fileHits)
	if kept > 0 {
		t.Errorf("%d hits in printerd's journal dropped as a kept document's, with every job ended", kept)
	}
	hits = append(hits, fileHits...)
	mustCover(t, files, filepath.Join(sys.Var, "station", "station.db"), filepath.Join(sys.Var, "printerd", "journal.db"))
	for _, f := range files {
		if !strings.HasPrefix(f, sys.Var+string(filepath.Separator)) {
			t.Errorf("temp file left behind: %s", f)
		}
	}
	documentLeftovers(t, jd, jobs)

	// The scan can see these canaries: registry-sim's own database holds
	// the NIKs it serves.
	if control, _, err := cs.scanTree(upstream); err != nil || len(control) == 0 {
		t.Errorf("the scan found nothing in registry-sim's own data (%v): it cannot see what it looks for", err)
	}

	// Audit entries, read through SQLite.
	for _, db := range []string{filepath.Join(sys.Var, "station", "station.db"), filepath.Join(sys.Var, "printerd", "journal.db")} {
		entries := auditEntries(t, db)
		if len(entries) < 10 {
			t.Errorf("%s: %d audit entries; the visits should have left more", filepath.Base(db), len(entries))
		}
		for i, e := range entries {
			hits = append(hits, cs.scan(fmt.Sprintf("%s audit entry %d %s", filepath.Base(db), i, e), e)...)
		}
	}

	// The fleet outboxes, read through SQLite: what leaves the kiosk
	// once it reports to a hub (docs/fleet.md).
	for _, db := range []string{filepath.Join(sys.Var, "station", "station.db"), filepath.Join(sys.Var, "printerd", "journal.db")} {
		events := outboxEvents(t, db)
		if len(events) < 10 {
			t.Errorf("%s: %d outbox events; the visits should have left more", filepath.Base(db), len(events))
		}
		for i, e := range events {
			hits = append(hits, cs.scan(fmt.Sprintf("%s outbox event %d %s", filepath.Base(db), i, e), e)...)
		}
	}

	// Log lines.
	lines := bytes.Split(logs.Bytes(), []byte("\n"))
	services := map[string]int{}
	for i, l := range lines {
		var head struct{ Service, Level string }
		if json.Unmarshal(l, &head) == nil {
			services[head.Service+" "+head.Level]++
		}
		hits = append(hits, cs.scan(fmt.Sprintf("log line %d %s", i+1, l), l)...)
	}
	// Every program logged; at debug level where it has debug lines (the
	// station has next to none).
	for _, svc := range []string{"station info", "printerd debug", "registry-sim debug"} {
		if services[svc] == 0 {
			t.Errorf("no %q log lines (lines by service and level: %v)", svc, services)
		}
	}
	t.Logf("searched %d files, %d log lines (%v) for %d canaries", len(files), len(lines), services, len(cs))

	sort.Slice(hits, func(i, j int) bool { return hits[i].Where < hits[j].Where })
	for _, h := range hits {
		t.Errorf("personal data found: %s", h)
	}
}

func mustAllPrinted(t *testing.T, v sessionView, n int) {
	t.Helper()
	if len(v.Documents) != n {
		t.Fatalf("%d documents, want %d", len(v.Documents), n)
	}
	for _, d := range v.Documents {
		if d.Print == nil || d.Print.State != "printed" {
			t.Fatalf("%s: print %+v, want printed", d.Type, d.Print)
		}
	}
}

func mustCover(t *testing.T, files []string, want ...string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, f := range files {
			found = found || f == w
		}
		if !found {
			t.Errorf("the scan did not read %s (read %d files)", w, len(files))
		}
	}
}

// mayPrint are the states of a job that may still print its document:
// queued, dispatching, held, and in doubt (a supervisor may reprint).
// Printed, failed and canceled jobs are done with it. Spelled out here,
// not taken from printerd/journal, so that the test holds the rule.
var mayPrint = map[printerd.JobState]bool{
	printerd.JobQueued: true, printerd.JobDispatching: true, printerd.JobHeld: true, printerd.JobInDoubt: true,
}

// journalDocuments is what printerd's journal keeps of the documents.
type journalDocuments struct {
	dir    string            // printerd's data folder
	bodies map[string][]byte // the documents table, body by SHA-256
	active map[string]bool   // the SHA-256 of a job's document, for the journal's jobs that may print
}

// readDocuments reads the documents of printerd's journal in dir (its
// data folder) from a copy of journal.db and journal.db-wal, made in a
// folder of the test's outside the searched TMPDIR and with printerd
// stopped or killed: SQLite would recover a killed journal's WAL on
// open, and the search must read the files as printerd left them.
func readDocuments(t *testing.T, dir string) journalDocuments {
	t.Helper()
	cp := t.TempDir()
	for _, name := range []string{"journal.db", "journal.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if os.IsNotExist(err) && name != "journal.db" {
			continue // a clean stop leaves no WAL
		}
		mustOK(t, err)
		mustOK(t, os.WriteFile(filepath.Join(cp, name), b, 0o600))
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(cp, "journal.db"))
	mustOK(t, err)
	defer db.Close()
	jd := journalDocuments{dir: dir, bodies: map[string][]byte{}, active: map[string]bool{}}
	rows, err := db.Query(`SELECT sha256, body FROM documents`)
	mustOK(t, err)
	for rows.Next() {
		var sha string
		var body []byte
		mustOK(t, rows.Scan(&sha, &body))
		jd.bodies[sha] = body
	}
	mustOK(t, rows.Err())
	rows.Close()
	rows, err = db.Query(`SELECT state, document_sha256 FROM jobs`)
	mustOK(t, err)
	defer rows.Close()
	for rows.Next() {
		var state printerd.JobState
		var sha string
		mustOK(t, rows.Scan(&state, &sha))
		if mayPrint[state] {
			jd.active[sha] = true
		}
	}
	mustOK(t, rows.Err())
	return jd
}

// byDesign drops the hits in printerd's journal (journal.db and
// journal.db-wal) whose canary is also in the body of a document the
// journal keeps for a job that may still print it: that document stays
// by design (documentLeftovers checks the rule). Every other hit stays,
// in the journal too: a document kept after its job, a leftover of a
// deleted one, anything else. It returns the hits left and how many it
// dropped.
func (jd journalDocuments) byDesign(hits []hit) ([]hit, int) {
	var left []hit
	for _, h := range hits {
		if jd.kept(h) {
			continue
		}
		left = append(left, h)
	}
	return left, len(hits) - len(left)
}

func (jd journalDocuments) kept(h hit) bool {
	if jd.dir == "" || h.Where != filepath.Join(jd.dir, "journal.db") && h.Where != filepath.Join(jd.dir, "journal.db-wal") {
		return false
	}
	for sha, body := range jd.bodies {
		if jd.active[sha] && len(canaries{h.Canary}.scan("", body)) > 0 {
			return true
		}
	}
	return false
}

// documentLeftovers fails for each document in printerd's journal none of
// whose jobs can still print from it (mayPrint), and for each job that
// may whose document is missing or not the bytes of its SHA-256.
func documentLeftovers(t *testing.T, jd journalDocuments, jobs []printerd.Job) {
	t.Helper()
	byDoc := map[string][]string{}
	needed := map[string]bool{}
	for _, j := range jobs {
		byDoc[j.DocumentSHA256] = append(byDoc[j.DocumentSHA256], fmt.Sprintf("%s %s", j.ID, j.State))
		needed[j.DocumentSHA256] = needed[j.DocumentSHA256] || mayPrint[j.State]
	}
	for sha := range jd.bodies {
		if !needed[sha] {
			t.Errorf("rendered document kept in printerd's journal after its job ended: %s (jobs %v)", sha, byDoc[sha])
		}
	}
	for sha := range needed {
		body, ok := jd.bodies[sha]
		sum := sha256.Sum256(body)
		switch {
		case !needed[sha]:
		case !ok:
			t.Errorf("document %s of a job that may still print is not in printerd's journal (jobs %v)", sha, byDoc[sha])
		case hex.EncodeToString(sum[:]) != sha:
			t.Errorf("document %s in printerd's journal does not match its SHA-256 (jobs %v)", sha, byDoc[sha])
		}
	}
}

// auditEntries reads a service's audit entries from its database.
func auditEntries(t *testing.T, path string) [][]byte {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	mustOK(t, err)
	defer db.Close()
	rows, err := db.Query(`SELECT data FROM audit_entries ORDER BY idx`)
	mustOK(t, err)
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		mustOK(t, rows.Scan(&b))
		out = append(out, b)
	}
	mustOK(t, rows.Err())
	return out
}

// outboxEvents are the fleet outbox's rows of the database at path, each
// as its kind and data.
func outboxEvents(t *testing.T, path string) [][]byte {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	mustOK(t, err)
	defer db.Close()
	rows, err := db.Query(`SELECT kind || ' ' || data FROM outbox ORDER BY id`)
	mustOK(t, err)
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		mustOK(t, rows.Scan(&b))
		out = append(out, b)
	}
	mustOK(t, rows.Err())
	return out
}

// consoleLookups logs in to the console as a supervisor (not named like
// anybody in the population) and looks up each NIK on the audit page's
// form.
func (s *System) consoleLookups(t *testing.T, niks ...string) {
	t.Helper()
	sv := s.MustSupervisor(t, "pengawas")
	csrf := sv.field(sv.page("/audit"), "csrf")
	for _, nik := range niks {
		want := http.StatusOK
		if len(nik) != 16 {
			want = http.StatusBadRequest
		}
		if res, _ := sv.send("POST", "/audit/nik", url.Values{"csrf": {csrf}, "nik": {nik}}); res.StatusCode != want {
			t.Fatalf("NIK lookup: %s, want %d", res.Status, want)
		}
	}
}

// TestCanaryScanner shows that the search can fail: personal data planted
// in a scanned folder is found, and look-alikes are not.
func TestCanaryScanner(t *testing.T) {
	var cs canaries
	cs.addName("name", "DEWI LESTARI")
	cs.add(canary{What: "NIK", Value: "3174014512850003", How: exact})
	cs.add(canary{What: "PIN", Value: "482913", How: number})
	tests := []struct {
		name string
		file string // written under a scanned folder
		want []string
	}{
		{"name in a log line", `{"level":"warn","error":"document for Dewi Lestari refused"}`, []string{"DEWI LESTARI", "DEWI", "LESTARI"}},
		{"one token, upper case", "subject=LESTARI", []string{"LESTARI"}},
		{"token inside a longer word", "dewinta lestarinya", nil},
		{"NIK in binary", "\x00\x013174014512850003\xff", []string{"3174014512850003"}},
		{"PIN in JSON", `{"pin":"482913"}`, []string{"482913"}},
		{"PIN-like fraction of a duration", `{"took":1.482913}`, nil},
		{"PIN-like piece of an id", `{"job":"J482913AB"}`, nil},
		{"nothing", "printed KTP-el on card-1", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			scanned := filepath.Join(root, "station", "tmp")
			skipped := filepath.Join(root, "out")
			mustOK(t, os.MkdirAll(scanned, 0o700))
			mustOK(t, os.MkdirAll(skipped, 0o700))
			mustOK(t, os.WriteFile(filepath.Join(scanned, "planted"), []byte(tc.file), 0o600))
			// The same bytes in a skipped folder are not reported.
			mustOK(t, os.WriteFile(filepath.Join(skipped, "doc.pdf"), []byte(tc.file), 0o600))
			hits, files, err := cs.scanTree(root, skipped)
			mustOK(t, err)
			if len(files) != 1 {
				t.Fatalf("read %v, want the planted file only", files)
			}
			var got []string
			for _, h := range hits {
				if h.Where != filepath.Join(scanned, "planted") {
					t.Errorf("hit in %s", h.Where)
				}
				got = append(got, h.Canary.Value)
			}
			sort.Strings(got)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("found %v, want %v", got, want)
			}
		})
	}
}

// TestCanaryResolutionNote: a supervisor resolves a print in doubt on the
// console with a reason code and a careless note naming the citizen (name
// and NIK). The note reaches printerd's journal, and nothing else: no
// audit entry of either service, no audit export (GET /v1/audit/entries),
// no log line. anjunganctl job erase-note then removes it, and no file of
// the data folders holds it any more.
func TestCanaryResolutionNote(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	logs := &logBuffer{}
	sys := MustStartWith(t, Options{Logs: logs, LogLevel: "debug", AuditEvery: 1})
	ctx := context.Background()

	var cs canaries
	a := sys.MustApprove(t, "ktp-el")
	docs := sys.mustDocuments(t, a)
	for _, d := range docs {
		cs.addDocument(d)
	}
	note := "kartu " + docs[0].Fields["nama"] + " NIK " + docs[0].NIK + " macet, dia menunggu"
	noted := canaries{{What: "the supervisor's note", Value: note, How: exact}}
	cs = append(cs, noted...)

	// The card leaves the printer, then the printer goes offline: the
	// print is in doubt.
	mustOK(t, sys.Printers.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultOffline, At: printerd.FaultAfterPrint}))
	c := sys.NewCitizen(t)
	v := c.previewAndPrint(t, "/api/login/ticket", map[string]string{"ticket": a.Ticket})
	if p := v.Documents[0].Print; p == nil || p.State != "in_doubt" {
		t.Fatalf("print: %+v, want in_doubt", p)
	}
	job := v.Documents[0].Print.Job

	sv := sys.MustSupervisor(t, "pengawas")
	csrf := sv.field(sv.page("/jobs/"+job), "csrf")
	if res, page := sv.send("POST", "/jobs/"+job+"/resolve", url.Values{"csrf": {csrf}, "action": {"reprint"},
		"reason_code": {"jam"}, "note": {note}, "present": {"yes"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resolve: %s\n%s", res.Status, page)
	}

	// exportUntil reads printerd's audit export until it holds kind for
	// the job (a checkpoint follows each entry, in the background).
	exportUntil := func(kind string) []byte {
		t.Helper()
		deadline := time.Now().Add(time.Minute) // only stops a hung test
		for {
			var buf bytes.Buffer
			mustOK(t, sys.Printers.AuditEntries(ctx, 0, "jsonl", &buf))
			if bytes.Contains(buf.Bytes(), []byte(`"kind":"`+kind+`"`)) && bytes.Contains(buf.Bytes(), []byte(job)) {
				return buf.Bytes()
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s in the export:\n%s", kind, buf.Bytes())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	export := exportUntil("job.resolved")
	if !bytes.Contains(export, []byte(`"reason_code":"jam"`)) || !bytes.Contains(export, []byte(`"note_hmac":"`)) {
		t.Errorf("the resolution's entry has no reason code or note hash:\n%s", export)
	}
	journalDir := filepath.Join(sys.Var, "printerd")
	if hits, _, _ := noted.scanTree(journalDir); len(hits) == 0 {
		t.Error("printerd's journal does not hold the note before its erasure: the search cannot see it")
	}
	var hits []hit
	for i, line := range bytes.Split(export, []byte("\n")) {
		hits = append(hits, cs.scan(fmt.Sprintf("printerd audit export line %d", i+1), line)...)
	}
	for _, db := range []string{filepath.Join(sys.Var, "station", "station.db"), filepath.Join(journalDir, "journal.db")} {
		for i, e := range auditEntries(t, db) {
			hits = append(hits, cs.scan(fmt.Sprintf("%s audit entry %d %s", filepath.Base(db), i, e), e)...)
		}
	}

	erase := ctl.NewMain()
	var out bytes.Buffer
	erase.Stdout = &out
	mustOK(t, erase.ParseFlags([]string{"job", "erase-note", "-socket", sys.Printerd.SocketPath(), "-actor", "dpo", job}))
	mustOK(t, erase.Run(ctx))
	if !strings.Contains(out.String(), "erased") {
		t.Errorf("anjunganctl job erase-note said %q", out.String())
	}
	exportUntil("job.note_erased")
	// While the programs run (printerd's journal open) and after they stop.
	noteHits, _, err := noted.scanTree(sys.Var, filepath.Join(sys.Var, "registry-sim"))
	mustOK(t, err)
	hits = append(hits, noteHits...)
	jobs, err := sys.Printers.Jobs(ctx, "")
	mustOK(t, err)
	mustOK(t, sys.Station.Close())
	mustOK(t, sys.Printerd.Close())
	// The reprint waits for the stopped printer: printerd's journal
	// keeps its document by design, and a hit in journal.db is dropped
	// when that document holds the canary too; any other hit stays.
	fileHits, _, err := cs.scanTree(tmp, filepath.Join(sys.Var, "out"), filepath.Join(sys.Var, "registry-sim"))
	mustOK(t, err)
	jd := readDocuments(t, journalDir)
	documentLeftovers(t, jd, jobs)
	if len(jd.bodies) == 0 {
		t.Error("printerd's journal keeps no document, the queued reprint's included")
	}
	fileHits, kept := jd.byDesign(fileHits)
	t.Logf("%d hits in printerd's journal are the queued reprint's document", kept)
	hits = append(hits, fileHits...)
	for i, l := range bytes.Split(logs.Bytes(), []byte("\n")) {
		hits = append(hits, cs.scan(fmt.Sprintf("log line %d %s", i+1, l), l)...)
	}
	for _, h := range hits {
		t.Errorf("personal data found: %s", h)
	}
}
