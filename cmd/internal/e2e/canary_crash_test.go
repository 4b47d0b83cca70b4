package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anjungan/anjungan/cmd/internal/ctl"
	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/station/registry"
)

// The canary after a crash (docs/audit.md, "Personal data"): the real
// station and printerd binaries are killed with SIGKILL while a preview
// is made (pdftoppm running) and while a card print (its rasters made)
// holds a citizen's document in temporary files. The preview goes through
// pipes and must leave no file at all; the card's files must be in the
// service's private folder (<data>/tmp) and nowhere else in TMPDIR, and
// the restarted service must remove them.

// service is one of the programs run as a child process, in a process
// group of its own so that a kill takes its children (pdftoppm) too, as
// a power cut would.
type service struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	// ready receives the first log line whose msg is the service's
	// "ready" message.
	ready chan map[string]any
}

// startService runs bin with args and env; readyMsg is the log message
// that says it serves.
func startService(t *testing.T, logs io.Writer, bin string, env []string, readyMsg string, args ...string) *service {
	t.Helper()
	s := &service{name: filepath.Base(bin), done: make(chan struct{}), ready: make(chan map[string]any, 1)}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = env
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := s.cmd.StderrPipe()
	mustOK(t, err)
	mustOK(t, s.cmd.Start())
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			_, _ = logs.Write(append(append([]byte(nil), line...), '\n'))
			var m map[string]any
			if json.Unmarshal(line, &m) == nil && m["message"] == readyMsg {
				select {
				case s.ready <- m:
				default:
				}
			}
		}
		_ = s.cmd.Wait()
	}()
	t.Cleanup(func() { s.kill() })
	select {
	case m := <-s.ready:
		s.ready <- m
	case <-s.done:
		t.Fatalf("%s exited before it was ready", s.name)
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s not ready", s.name)
	}
	return s
}

// kill ends the whole process group with SIGKILL and waits.
func (s *service) kill() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

func (s *service) readyField(key string) string {
	m := <-s.ready
	s.ready <- m
	v, _ := m[key].(string)
	return v
}

// buildServices builds the station and printerd programs into dir.
func buildServices(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"github.com/anjungan/anjungan/cmd/printerd", "github.com/anjungan/anjungan/cmd/station")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// privateLeftovers lists the regular files under dir (a private folder),
// and adds a canary for each raster: 48 bytes from the middle of its
// pixels, which no other file may hold. A PDF's middle may be an
// embedded font every document shares; the photo canaries find its
// copies instead.
func privateLeftovers(t *testing.T, dir string, cs *canaries) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, path)
		if len(b) >= 256 && filepath.Ext(path) != ".pdf" {
			rel, _ := filepath.Rel(dir, path)
			cs.add(canary{What: "bytes of " + rel + " bytes", Value: string(b[len(b)/2 : len(b)/2+48]), How: exact})
		}
		return nil
	})
	mustOK(t, err)
	return files
}

// mustNoCanary fails for every canary found under root outside the
// skipped folders but those jd keeps by design (a zero jd keeps none);
// it returns the files it read.
func mustNoCanary(t *testing.T, when string, cs canaries, jd journalDocuments, root string, skip ...string) []string {
	t.Helper()
	hits, files, err := cs.scanTree(root, skip...)
	mustOK(t, err)
	hits, kept := jd.byDesign(hits)
	if kept > 0 {
		t.Logf("%s: %d hits in printerd's journal are a document it keeps for a job that may print", when, kept)
	}
	for _, h := range hits {
		t.Errorf("%s: personal data found: %s", when, h)
	}
	return files
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCanaryCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real programs")
	}
	realPdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			t.Fatal("pdftoppm (poppler-utils) is not installed and ANJUNGAN_REQUIRE_PEERS=1")
		}
		t.Skip("pdftoppm (poppler-utils) is not installed")
	}
	// The binaries and the slow pdftoppm live outside TMPDIR: only what
	// the programs write is searched.
	bin := t.TempDir()
	buildServices(t, bin)
	hold := filepath.Join(bin, "hold")   // while it exists, the station's pdftoppm hangs once its pages are out
	inside := filepath.Join(bin, "busy") // made when pdftoppm hangs
	slow := filepath.Join(bin, "slow")
	mustOK(t, os.Mkdir(slow, 0o700))
	mustOK(t, os.WriteFile(filepath.Join(slow, "pdftoppm"), []byte("#!/bin/sh\n"+realPdftoppm+" \"$@\" || exit\n"+
		"if [ -e "+hold+" ]; then : > "+inside+"; exec sleep 600; fi\n"), 0o700))

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the children inherit it: a temp file outside the private folders lands here
	logs := &logBuffer{}
	dir, err := os.MkdirTemp("", "anj") // short: socket paths are limited
	mustOK(t, err)
	v := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	ctx := context.Background()

	keys := ctl.NewMain()
	keys.Stdout = io.Discard
	mustOK(t, keys.ParseFlags([]string{"keys", "init", "-var", dir}))
	mustOK(t, keys.Run(ctx))
	sys := &System{Var: dir}
	sys.Registry = registrysim.NewMain()
	sys.Registry.Stderr = logs
	mustOK(t, sys.Registry.ParseFlags([]string{"-addr", "127.0.0.1:0", "-data", v("registry-sim"),
		"-ticket-key", v("keys", "ticket.key"), "-binding-key", v("keys", "binding.key"), "-people", "60",
		"-document-key", v("keys", "upstream-document.key"),
		"-tls-cert", v("certs", "registry.crt"), "-tls-key", v("certs", "registry.key"), "-client-ca", v("certs", "ca.crt")}))
	mustOK(t, sys.Registry.Run(ctx))
	t.Cleanup(func() { sys.Registry.Close() })
	tlsCfg, err := registry.ClientTLS(v("certs", "ca.crt"), v("certs", "station-client.crt"), v("certs", "station-client.key"))
	mustOK(t, err)
	sys.Upstream = registry.HTTPClient(tlsCfg)

	// printerd's card printer takes a minute to pick a card: it is killed
	// while the card's rasters wait in its private folder.
	printerdArgs := []string{"-socket", v("run", "printerd.sock"), "-data", v("printerd"), "-audit-key", v("keys", "audit-printerd.key"),
		"-log-level", "debug",
		"-printer", "name=card-1,driver=sim,uri=" + v("out", "card") + ",media=om_card_54x86mm,blanks=10,raster=on,pick-time=1m",
		"-printer", "name=paper-1,driver=sim,uri=" + v("out", "paper") + ",media=iso_a4_210x297mm"}
	startPrinterd := func() *service {
		return startService(t, logs, filepath.Join(bin, "printerd"), os.Environ(), "listening", printerdArgs...)
	}
	pd := startPrinterd()
	printers := client.New(v("run", "printerd.sock"))
	defer printers.CloseIdleConnections()
	_, err = printers.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 10, Actor: "e2e"})
	mustOK(t, err)

	stationArgs := []string{"-kiosk-addr", "127.0.0.1:0", "-console-addr", "127.0.0.1:0",
		"-registry-url", sys.Registry.URL(), "-printerd-socket", v("run", "printerd.sock"),
		"-ticket-pubkey", v("keys", "ticket.pub"), "-document-pubkey", v("keys", "upstream-document.pub"),
		"-binding-key", v("keys", "binding.key"), "-db", v("station", "station.db"),
		"-audit-key", v("keys", "audit-station.key"), "-audit-vkey", v("keys", "audit-station.vkey"), "-subject-key", v("keys", "subject.key"),
		"-registry-ca", v("certs", "ca.crt"), "-registry-cert", v("certs", "station-client.crt"), "-registry-key", v("certs", "station-client.key")}
	// The station finds the slow pdftoppm first on its PATH.
	stationEnv := append(os.Environ(), "PATH="+slow+string(os.PathListSeparator)+os.Getenv("PATH"))
	startStation := func() (*service, *Citizen) {
		st := startService(t, logs, filepath.Join(bin, "station"), stationEnv, "station ready", stationArgs...)
		jar, _ := cookiejar.New(nil)
		return st, &Citizen{tb: t, base: st.readyField("kiosk"), hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	}
	st, c := startStation()

	var cs canaries
	approve := func(docs ...string) ctl.Approval {
		a := sys.MustApprove(t, docs...)
		for _, d := range sys.mustDocuments(t, a) {
			cs.addDocument(d)
		}
		cs.add(canary{What: "PIN of " + a.ApprovalID, Value: a.PIN, How: number})
		return a
	}
	stationTmp, printerdTmp := v("station", "tmp"), v("printerd", "tmp")
	out, upstream := v("out"), v("registry-sim")

	// 1. The station is killed while pdftoppm makes a preview, which
	// starts as soon as the document is prepared.
	a := approve("ktp-el")
	var view sessionView
	mustStatus(t, c.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &view), http.StatusCreated)
	rid := view.Documents[0].RequestID
	var prep struct {
		Pages int       `json:"pages"`
		Error *apiError `json:"error"`
	}
	mustOK(t, os.WriteFile(hold, nil, 0o600))
	if code := c.call("POST", "/api/prepare", map[string]string{"request_id": rid}, &prep); code != http.StatusOK || prep.Pages < 1 {
		t.Fatalf("prepare: %d %+v", code, prep.Error)
	}
	waitFor(t, "pdftoppm to hang mid-preview", func() bool { _, err := os.Stat(inside); return err == nil })
	st.kill()
	mustOK(t, os.Remove(hold))

	// The document and its page went through pipes: no file of them
	// anywhere, the station's private folder included.
	left := privateLeftovers(t, stationTmp, &cs)
	mustNoCanary(t, "station killed mid-preview", cs, journalDocuments{}, tmp, out, upstream)
	if len(left) != 0 {
		t.Fatalf("after the kill the station's private folder holds %v; want no file (the preview goes through pipes)", left)
	}

	st, c = startStation()
	if entries, err := os.ReadDir(stationTmp); err != nil || len(entries) != 0 {
		t.Errorf("after the restart the station's private folder holds %v (%v); want it emptied", entries, err)
	}
	mustNoCanary(t, "station restarted", cs, journalDocuments{}, tmp, out, upstream)

	// 2. printerd is killed while the card's rasters wait for the pick.
	// Another citizen: the first one's request may stay reserved upstream
	// after the crash.
	a = approve("kia")
	mustStatus(t, c.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &view), http.StatusCreated)
	c.mustPreview(view.Documents[0].RequestID)
	var p struct {
		Error *apiError `json:"error"`
	}
	if code := c.call("POST", "/api/print", map[string]string{"request_id": view.Documents[0].RequestID}, &p); code != http.StatusAccepted {
		t.Fatalf("print: %d %+v", code, p.Error)
	}
	// The simulator rasterises before it picks a card, and shows
	// processing once it picks.
	waitFor(t, "the card printer to pick the card", func() bool {
		ps, _ := printers.Printers(ctx)
		for _, p := range ps {
			if p.Name == "card-1" && p.Status.State == printerd.PrinterProcessing {
				return true
			}
		}
		return false
	})
	pd.kill()

	// printerd's journal (journal.db, and its WAL after the kill) keeps
	// the document of a job that may print (in doubt after the restart)
	// by design: a hit there whose canary is in that document is
	// dropped; documentLeftovers checks the rule below.
	left = privateLeftovers(t, printerdTmp, &cs)
	mustNoCanary(t, "printerd killed mid-print", cs, readDocuments(t, v("printerd")), tmp, printerdTmp, out, upstream)
	if !hasFile(left, "doc.pdf") || !hasFile(left, "side-1.png") {
		t.Fatalf("after the kill printerd's private folder holds %v; want the card's document and raster", left)
	}
	if hits, _, _ := cs.scanTree(printerdTmp); len(hits) == 0 {
		t.Error("the scan finds nothing in the leftover rasters: it cannot see what it looks for")
	}

	pd = startPrinterd()
	if entries, err := os.ReadDir(printerdTmp); err != nil || len(entries) != 0 {
		t.Errorf("after the restart printerd's private folder holds %v (%v); want it emptied", entries, err)
	}
	jobs, err := printers.Jobs(ctx, "")
	mustOK(t, err)
	if len(jobs) != 1 || jobs[0].State != printerd.JobInDoubt {
		t.Errorf("jobs after the crash: %+v, want one in doubt", jobs)
	}

	st.kill()
	pd.kill()
	jd := readDocuments(t, v("printerd"))
	documentLeftovers(t, jd, jobs)
	files := mustNoCanary(t, "at the end", cs, jd, tmp, out, upstream)
	for _, f := range files {
		if !strings.HasPrefix(f, dir+string(filepath.Separator)) {
			t.Errorf("temp file left behind outside the data folders: %s", f)
		}
	}
	mustCover(t, files, v("station", "station.db"), v("printerd", "journal.db"))
	for i, l := range strings.Split(string(logs.Bytes()), "\n") {
		for _, h := range cs.scan(fmt.Sprintf("log line %d %s", i+1, l), []byte(l)) {
			t.Errorf("personal data found: %s", h)
		}
	}
	t.Logf("%d canaries; searched %d files", len(cs), len(files))
}

func hasFile(paths []string, name string) bool {
	for _, p := range paths {
		if filepath.Base(p) == name {
			return true
		}
	}
	return false
}
