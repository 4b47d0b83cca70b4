// Package e2e runs the real programs in one process — registry-sim,
// printerd and station through their Main types, on port 0 and temporary
// folders — and drives a citizen's visit through the kiosk's HTTP API.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anjungan/anjungan/cmd/internal/ctl"
	printerdcmd "github.com/anjungan/anjungan/cmd/internal/printerd"
	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	stationcmd "github.com/anjungan/anjungan/cmd/internal/station"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/station/registry"
	"github.com/anjungan/anjungan/station/smartcard/pcsctest"
)

// System is the three services running for one test.
type System struct {
	Var  string
	Keys string // the folder holding keys/ and certs/: Var, or the peer's
	// StationArgs are the station's flags for this system (for a test
	// that runs the station as a process).
	StationArgs []string
	Registry    *registrysim.Main
	Printerd    *printerdcmd.Main // nil when printerd runs as a process (PrinterdProc)
	// PrinterdProc is printerd as its own process (Options.PrinterdBin).
	PrinterdProc *printerdProc
	Station      *stationcmd.Main
	Printers     *client.Client
	Upstream     *http.Client  // mTLS client of registry-sim, with the station's certificate
	skew         *atomic.Int64 // how far registry-sim's clock is ahead (AdvanceUpstream)
}

// AdvanceUpstream moves registry-sim's clock on by d: reservations and
// authorizations run out as if that much time had passed.
func (s *System) AdvanceUpstream(d time.Duration) { s.skew.Add(int64(d)) }

// Options change the system a test starts.
type Options struct {
	Blanks int           // blank cards recorded in the ledger (default 10; -1 for none)
	Idle   time.Duration // the kiosk's idle timeout (default 60 s)
	Card   bool          // e-KTP login through vpcd's virtual readers (the caller holds pcsctest.Lock)
	// SlowCard gives the simulated card printer a printer's pace (about 5 s
	// a card), so the printing screen can be seen.
	SlowCard bool
	// PrinterdTLS: the station reaches printerd over its mutual-TLS TCP
	// listener instead of the unix socket.
	PrinterdTLS bool
	// Fingerprint offers the simulated fingerprint after a card read; its
	// samples are placed in Var/fingerprint (fingerprint.PlaceSample).
	Fingerprint bool
	// KioskLayout is the station's -kiosk-layout (default: the station's own).
	KioskLayout string
	// Logs receives every program's log output (default: discarded). It
	// must be safe for concurrent writes.
	Logs io.Writer
	// LogLevel is every program's -log-level (default: the programs' own).
	LogLevel string
	// Peer, when set, is another kiosk of the same upstream: this system
	// uses its registry-sim, keys and certificates, and runs its own
	// printerd and station, as a second kiosk in the hall does.
	Peer *System
	// NoStation starts registry-sim and printerd only; the test runs the
	// station itself (StationArgs), as a process it can kill.
	NoStation bool
	// AuditEvery is printerd's -audit-every (default: printerd's own), so
	// that a test can export its audit log soon after an entry.
	AuditEvery int
	// Data, when set, is a data folder to run printerd and station on (a
	// restored backup): its keys and certificates are used and nothing is
	// made. It needs Peer for the upstream, and the caller removes it.
	Data string
	// Fleet are flags given to both printerd and the station (the fleet
	// sender's: -fleet-url, -fleet-cert, …).
	Fleet []string
	// PrinterdBin, when set (not with PrinterdTLS), is a printerd binary (MustBuildPrinterd): printerd
	// runs from it as a process the test can kill (System.PrinterdProc)
	// instead of through its Main.
	PrinterdBin string
}

// MustStart starts registry-sim, printerd and station with development
// keys made by anjunganctl, and stops them when the test ends.
func MustStart(tb testing.TB) *System { return MustStartWith(tb, Options{}) }

// MustStartWith is MustStart with options.
func MustStartWith(tb testing.TB, o Options) *System {
	tb.Helper()
	if o.Blanks == 0 {
		o.Blanks = 10
	}
	if o.Idle == 0 {
		o.Idle = time.Minute
	}
	if o.Logs == nil {
		o.Logs = io.Discard
	}
	var level []string
	if o.LogLevel != "" {
		level = []string{"-log-level", o.LogLevel}
	}
	// A unix socket path must stay under ~108 bytes; t.TempDir can be longer.
	dir := o.Data
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "anj"); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { os.RemoveAll(dir) })
	}
	s := &System{Var: dir, Keys: dir}
	if o.Peer != nil && o.Data == "" {
		s.Keys = o.Peer.Keys
	}
	v := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	ctx := context.Background()

	if o.Peer == nil {
		keys := ctl.NewMain()
		keys.Stdout = io.Discard
		mustOK(tb, keys.ParseFlags([]string{"keys", "init", "-var", dir}))
		mustOK(tb, keys.Run(ctx))
		s.Registry = registrysim.NewMain()
		s.Registry.Stderr = o.Logs
		s.skew = new(atomic.Int64)
		s.Registry.Now = func() time.Time { return time.Now().Add(time.Duration(s.skew.Load())) }
		mustOK(tb, s.Registry.ParseFlags(append(level, "-addr", "127.0.0.1:0", "-data", v("registry-sim"),
			"-ticket-key", v("keys", "ticket.key"), "-binding-key", v("keys", "binding.key"), "-people", "60",
			"-document-key", v("keys", "upstream-document.key"),
			"-tls-cert", v("certs", "registry.crt"), "-tls-key", v("certs", "registry.key"), "-client-ca", v("certs", "ca.crt"))))
		mustOK(tb, s.Registry.Run(ctx))
		tb.Cleanup(func() { s.Registry.Close() })
	} else {
		s.Registry, s.skew = o.Peer.Registry, o.Peer.skew
	}
	// Keys and certificates are the first kiosk's, shared with the upstream.
	v = func(p ...string) string {
		if len(p) > 0 && (p[0] == "keys" || p[0] == "certs") {
			return filepath.Join(append([]string{s.Keys}, p...)...)
		}
		return filepath.Join(append([]string{dir}, p...)...)
	}

	card := "name=card-1,driver=sim,uri=" + v("out", "card") + ",media=om_card_54x86mm,blanks=10"
	if o.SlowCard {
		card += ",pick-time=500ms,side-time=2s,eject-time=500ms"
	}
	printerdArgs := append(level, "-socket", v("run", "printerd.sock"), "-data", v("printerd"), "-audit-key", v("keys", "audit-printerd.key"),
		"-printer", card,
		"-printer", "name=paper-1,driver=sim,uri="+v("out", "paper")+",media=iso_a4_210x297mm")
	printerdArgs = append(printerdArgs, o.Fleet...)
	if o.AuditEvery > 0 {
		printerdArgs = append(printerdArgs, "-audit-every", fmt.Sprint(o.AuditEvery))
	}
	if o.PrinterdTLS {
		printerdArgs = append(printerdArgs, "-tls-addr", "127.0.0.1:0", "-tls-cert", v("certs", "printerd.crt"),
			"-tls-key", v("certs", "printerd.key"), "-client-ca", v("certs", "ca.crt"), "-client-name", "printerd-client")
	}
	printerdArgs = append(printerdArgs, "-metrics-addr", "127.0.0.1:0") // metrics_test.go
	socket := v("run", "printerd.sock")
	if o.PrinterdBin != "" {
		s.PrinterdProc = &printerdProc{bin: o.PrinterdBin, args: printerdArgs, socket: socket, logs: o.Logs}
		s.PrinterdProc.start(tb)
		tb.Cleanup(s.PrinterdProc.kill)
	} else {
		s.Printerd = printerdcmd.NewMain()
		s.Printerd.Stderr = o.Logs
		mustOK(tb, s.Printerd.ParseFlags(printerdArgs))
		mustOK(tb, s.Printerd.Run(ctx))
		tb.Cleanup(func() { s.Printerd.Close() })
		socket = s.Printerd.SocketPath()
	}

	stationArgs := append(level, "-kiosk-addr", "127.0.0.1:0", "-console-addr", "127.0.0.1:0",
		"-registry-url", s.Registry.URL(), "-printerd-socket", socket,
		"-ticket-pubkey", v("keys", "ticket.pub"), "-document-pubkey", v("keys", "upstream-document.pub"), "-idle-timeout", o.Idle.String(),
		"-binding-key", v("keys", "binding.key"), "-db", v("station", "station.db"),
		"-audit-key", v("keys", "audit-station.key"), "-audit-vkey", v("keys", "audit-station.vkey"), "-subject-key", v("keys", "subject.key"),
		"-registry-ca", v("certs", "ca.crt"), "-registry-cert", v("certs", "station-client.crt"), "-registry-key", v("certs", "station-client.key"))
	if o.Card {
		stationArgs = append(stationArgs, "-card-reader", pcsctest.CardReader, "-sam-reader", pcsctest.SAMReader)
	}
	if o.PrinterdTLS {
		stationArgs = append(stationArgs, "-printerd-url", "https://"+s.Printerd.TLSAddr(), "-printerd-ca", v("certs", "ca.crt"),
			"-printerd-cert", v("certs", "printerd-client.crt"), "-printerd-key", v("certs", "printerd-client.key"))
	}
	if o.KioskLayout != "" {
		stationArgs = append(stationArgs, "-kiosk-layout", o.KioskLayout)
	}
	if o.Fingerprint {
		stationArgs = append(stationArgs, "-fingerprint", "sim", "-fingerprint-dir", v("fingerprint"))
	}
	stationArgs = append(stationArgs, o.Fleet...)
	stationArgs = append(stationArgs, "-metrics-addr", "127.0.0.1:0") // metrics_test.go
	s.StationArgs = stationArgs
	if !o.NoStation {
		s.Station = stationcmd.NewMain()
		s.Station.Stderr = o.Logs
		mustOK(tb, s.Station.ParseFlags(stationArgs))
		mustOK(tb, s.Station.Run(ctx))
		tb.Cleanup(func() { s.Station.Close() })
	}

	s.Printers = client.New(socket)
	// A supervisor records the blank cards before the kiosk opens.
	if o.Blanks > 0 {
		if _, err := s.Printers.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: o.Blanks, Actor: "e2e"}); err != nil {
			tb.Fatal(err)
		}
	}
	tlsCfg, err := registry.ClientTLS(v("certs", "ca.crt"), v("certs", "station-client.crt"), v("certs", "station-client.key"))
	mustOK(tb, err)
	s.Upstream = registry.HTTPClient(tlsCfg)
	return s
}

// maskedNIK is how the kiosk shows a NIK, written out here rather than
// taken from station.NIK.Masked so that the tests check the format.
func maskedNIK(nik string) string { return nik[:4] + "********" + nik[12:] }

func mustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// MustApprove asks registry-sim for an approval of the given documents.
func (s *System) MustApprove(tb testing.TB, docs ...string) ctl.Approval {
	tb.Helper()
	as, err := ctl.CreateApprovals(context.Background(), s.Upstream, s.Registry.URL(), [][]string{docs})
	mustOK(tb, err)
	return as[0]
}

// Citizen is one browser at the kiosk.
type Citizen struct {
	tb   testing.TB
	base string
	hc   *http.Client
}

func (s *System) NewCitizen(tb testing.TB) *Citizen { return NewCitizenAt(tb, s.Station.KioskURL()) }

// NewCitizenAt is a citizen at the kiosk page at base.
func NewCitizenAt(tb testing.TB, base string) *Citizen {
	jar, _ := cookiejar.New(nil)
	return &Citizen{tb: tb, base: base, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

type apiError struct {
	Code      string `json:"code"`
	MessageID string `json:"message_id"`
	MessageEN string `json:"message_en"`
}

type document struct {
	RequestID string `json:"request_id"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    string `json:"status"`
	Print     *struct {
		State string    `json:"state"`
		Job   string    `json:"job"`
		Error *apiError `json:"error"`
	} `json:"print"`
}

type sessionView struct {
	Subject   string     `json:"subject"`
	Documents []document `json:"documents"`
	Error     *apiError  `json:"error"`
}

// call sends a JSON request to the kiosk API and decodes the answer into
// out; it returns the HTTP status.
func (c *Citizen) call(method, path string, in, out any) int {
	c.tb.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	mustOK(c.tb, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.hc.Do(req)
	mustOK(c.tb, err)
	defer res.Body.Close()
	if out != nil && res.StatusCode != http.StatusNoContent {
		mustOK(c.tb, json.NewDecoder(res.Body).Decode(out))
	}
	return res.StatusCode
}

// waitPrinted polls the session until no print is in progress and returns
// the last view. Polling ends by state, not by a timed assertion; the
// deadline only stops a hung test.
func (c *Citizen) waitSettled() sessionView {
	c.tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var v sessionView
		if st := c.call("GET", "/api/session", nil, &v); st != http.StatusOK {
			c.tb.Fatalf("session: %d %+v", st, v.Error)
		}
		busy := false
		for _, d := range v.Documents {
			if d.Print != nil && (d.Print.State == "preparing" || d.Print.State == "queued" || d.Print.State == "printing") {
				busy = true
			}
		}
		if !busy {
			return v
		}
		if time.Now().After(deadline) {
			c.tb.Fatalf("prints still in progress: %+v", v)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type approvalStatus struct {
	TokenBurned bool `json:"token_burned"`
	Requests    []struct {
		RequestID string `json:"request_id"`
		Status    string `json:"status"`
	} `json:"requests"`
}

func (s *System) approvalStatus(tb testing.TB, id string) approvalStatus {
	tb.Helper()
	res, err := s.Upstream.Get(s.Registry.URL() + "/admin/approvals/" + id)
	mustOK(tb, err)
	defer res.Body.Close()
	var a approvalStatus
	mustOK(tb, json.NewDecoder(res.Body).Decode(&a))
	return a
}

func outputs(tb testing.TB, dir string) []string {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.pdf"))
	mustOK(tb, err)
	return m
}

// printAll logs in with login, prints every approved document and waits
// until the prints settle.
func printAll(t *testing.T, c *Citizen, loginPath string, login any) sessionView {
	t.Helper()
	var v sessionView
	if st := c.call("POST", loginPath, login, &v); st != http.StatusCreated {
		t.Fatalf("login: status %d, error %+v", st, v.Error)
	}
	if len(v.Documents) == 0 {
		t.Fatal("no documents after login")
	}
	for _, d := range v.Documents {
		var p struct {
			State string    `json:"state"`
			Error *apiError `json:"error"`
		}
		if st := c.call("POST", "/api/print", map[string]string{"request_id": d.RequestID}, &p); st != http.StatusAccepted {
			t.Fatalf("print %s: status %d, %+v", d.Type, st, p.Error)
		}
	}
	return c.waitSettled()
}

func TestTicketPrintsOnceAndBurnsTheToken(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el", "kk")
	c := sys.NewCitizen(t)

	v := printAll(t, c, "/api/login/ticket", map[string]string{"ticket": a.Ticket})
	if !strings.HasSuffix(a.NIK, v.Subject[len(v.Subject)-4:]) || strings.Contains(v.Subject, a.NIK) {
		t.Errorf("kiosk shows subject %q; want the masked NIK", v.Subject)
	}
	for _, d := range v.Documents {
		if d.Print == nil || d.Print.State != "printed" {
			t.Fatalf("%s: print %+v, want printed", d.Type, d.Print)
		}
		job, err := sys.Printers.Job(context.Background(), printerd.JobID(d.Print.Job))
		mustOK(t, err)
		if job.State != printerd.JobPrinted {
			t.Errorf("%s: job state %s, want printed", d.Type, job.State)
		}
		dir := "paper"
		if d.Type != "kk" {
			dir = "card"
			if job.CardSerial == "" {
				t.Errorf("%s: printed card has no serial", d.Type)
			}
		}
		out := filepath.Join(sys.Var, "out", dir, string(job.ID)+".pdf")
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("%s: output: %v", d.Type, err)
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) || fmt.Sprintf("%x", sha256Sum(b)) != job.DocumentSHA256 {
			t.Errorf("%s: output %s is not the submitted PDF", d.Type, out)
		}
	}
	st := sys.approvalStatus(t, a.ApprovalID)
	if !st.TokenBurned {
		t.Errorf("token not burned after every document printed: %+v", st)
	}

	// The same ticket again: refused with a clear message, nothing printed.
	before := len(outputs(t, filepath.Join(sys.Var, "out", "card"))) + len(outputs(t, filepath.Join(sys.Var, "out", "paper")))
	var again sessionView
	status := sys.NewCitizen(t).call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &again)
	if status != http.StatusConflict || again.Error == nil || again.Error.Code != "ticket_used" {
		t.Fatalf("second use: status %d, %+v; want 409 ticket_used", status, again.Error)
	}
	if again.Error.MessageID == "" || again.Error.MessageEN == "" {
		t.Errorf("refusal without a message for the citizen: %+v", again.Error)
	}
	after := len(outputs(t, filepath.Join(sys.Var, "out", "card"))) + len(outputs(t, filepath.Join(sys.Var, "out", "paper")))
	if after != before || before != 2 {
		t.Errorf("outputs: %d before the second use, %d after; want 2 and 2", before, after)
	}
	jobs, err := sys.Printers.Jobs(context.Background(), "")
	mustOK(t, err)
	if len(jobs) != 2 {
		t.Errorf("printerd has %d jobs, want 2", len(jobs))
	}

	// Both services' audit logs verify, and hold entries for the visit.
	for _, l := range []struct{ db, vkey string }{
		{filepath.Join(sys.Var, "station", "station.db"), filepath.Join(sys.Var, "keys", "audit-station.vkey")},
		{filepath.Join(sys.Var, "printerd", "journal.db"), filepath.Join(sys.Var, "keys", "audit-printerd.vkey")},
	} {
		var out bytes.Buffer
		v := ctl.NewMain()
		v.Stdout = &out
		mustOK(t, v.ParseFlags([]string{"audit", "verify", "-db", l.db, "-vkey", l.vkey}))
		if err := v.Run(context.Background()); err != nil || !strings.Contains(out.String(), "OK") || strings.Contains(out.String(), "entries: 0") {
			t.Errorf("audit verify %s: %v\n%s", filepath.Base(l.db), err, out.String())
		}
	}

	// A supervisor's console lists both jobs and shows no personal data.
	page := sys.MustSupervisor(t, "sari").page("/")
	for _, j := range jobs {
		if !strings.Contains(page, string(j.ID)) {
			t.Errorf("console does not list job %s", j.ID)
		}
	}
	if strings.Contains(page, a.NIK) {
		t.Error("console shows a full NIK")
	}
}

func TestPINPrintsKIA(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "kia")
	c := sys.NewCitizen(t)

	var wrong sessionView
	if st := c.call("POST", "/api/login/pin", map[string]string{"nik": a.NIK, "pin": wrongPIN(a.PIN)}, &wrong); st != http.StatusUnauthorized || wrong.Error.Code != "credentials_rejected" {
		t.Fatalf("wrong PIN: %d %+v", st, wrong.Error)
	}
	v := printAll(t, c, "/api/login/pin", map[string]string{"nik": a.NIK, "pin": a.PIN})
	if len(v.Documents) != 1 || v.Documents[0].Print.State != "printed" {
		t.Fatalf("KIA: %+v", v.Documents)
	}
	if !sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Error("PIN not burned after the print")
	}
	var again sessionView
	if st := sys.NewCitizen(t).call("POST", "/api/login/pin", map[string]string{"nik": a.NIK, "pin": a.PIN}, &again); st != http.StatusConflict {
		t.Errorf("PIN reused: status %d %+v", st, again.Error)
	}
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))); n != 1 {
		t.Errorf("%d cards printed, want 1", n)
	}
}

// TestDoubleTapPrintsOnce presses Print twice in one session while the
// same ticket logs in again at the kiosk (which ends the first session)
// and presses Print too, before the first print settles.
func TestDoubleTapPrintsOnce(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el")
	c1, c2 := sys.NewCitizen(t), sys.NewCitizen(t)
	var v1 sessionView
	mustStatus(t, c1.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &v1), http.StatusCreated)
	rid := v1.Documents[0].RequestID
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p map[string]any
			c1.call("POST", "/api/print", map[string]string{"request_id": rid}, &p)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var v2, p sessionView
		if st := c2.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &v2); st == http.StatusCreated {
			c2.call("POST", "/api/print", map[string]string{"request_id": rid}, &p)
		}
	}()
	wg.Wait()
	// The second citizen taps again while the first session's fetch is
	// being given back (request_reserved until then); a print already
	// under way answers with itself or request_printing.
	if v := c2.waitPrintable(rid); v != "" {
		t.Logf("second session: %s", v)
	}
	// The first session has ended; printerd's jobs tell when all is done.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		jobs, err := sys.Printers.Jobs(context.Background(), "")
		mustOK(t, err)
		busy := false
		for _, j := range jobs {
			if j.State != printerd.JobPrinted && j.State != printerd.JobFailed && j.State != printerd.JobCanceled {
				busy = true
			}
		}
		if !busy && len(jobs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs never settled: %+v", jobs)
		}
	}
	if n := len(outputs(t, filepath.Join(sys.Var, "out", "card"))); n != 1 {
		t.Fatalf("%d cards printed for one approved document, want 1", n)
	}
}

// waitPrintable presses Print for rid until the answer is not
// request_reserved, and returns the last error code, if any.
func (c *Citizen) waitPrintable(rid string) string {
	c.tb.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var p struct {
			Error *apiError `json:"error"`
		}
		st := c.call("POST", "/api/print", map[string]string{"request_id": rid}, &p)
		if st == http.StatusAccepted || p.Error == nil {
			return ""
		}
		if p.Error.Code != "request_reserved" || time.Now().After(deadline) {
			return p.Error.Code
		}
	}
}

// TestConcurrentCitizens runs several visits with distinct NIKs at once,
// under -race, to catch request memory that outlives its handler.
func TestConcurrentCitizens(t *testing.T) {
	sys := MustStart(t)
	const n = 6
	approvals := make([]ctl.Approval, n)
	for i := range approvals {
		approvals[i] = sys.MustApprove(t, "kk")
	}
	var wg sync.WaitGroup
	subjects := make([]string, n)
	for i, a := range approvals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := sys.NewCitizen(t)
			var v sessionView
			if i%2 == 0 {
				c.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &v)
			} else {
				c.call("POST", "/api/login/pin", map[string]string{"nik": a.NIK, "pin": a.PIN}, &v)
			}
			subjects[i] = v.Subject
		}()
	}
	wg.Wait()
	for i, a := range approvals {
		if want := maskedNIK(a.NIK); subjects[i] != want {
			t.Errorf("visit %d saw subject %q, want %q", i, subjects[i], want)
		}
	}
}

func mustStatus(tb testing.TB, got, want int) {
	tb.Helper()
	if got != want {
		tb.Fatalf("status %d, want %d", got, want)
	}
}

func wrongPIN(pin string) string {
	b := []byte(pin)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}
