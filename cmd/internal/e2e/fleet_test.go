package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/anjungan/anjungan/cmd/internal/ctl"
	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/fleetsend"
	"github.com/anjungan/anjungan/internal/pgtest"
	"github.com/anjungan/anjungan/printerd"
)

// The fleet end to end (docs/fleet.md, "Tested guarantees"): a real
// PostgreSQL (internal/pgtest), the fleethub program as a process, a
// kiosk enrolled with anjunganctl's fleet commands, and its printerd and
// station sending their outboxes through a recording proxy to the hub.

const fleetKiosk = "bdg-mpp-01"

var (
	hubBinOnce sync.Once
	hubBin     string
	hubBinErr  error
)

// mustBuildHub builds cmd/fleethub once per test binary.
func mustBuildHub(tb testing.TB) string {
	tb.Helper()
	hubBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fleethub-bin")
		if err != nil {
			hubBinErr = err
			return
		}
		hubBin = filepath.Join(dir, "fleethub")
		if out, err := exec.Command("go", "build", "-o", hubBin, "github.com/anjungan/anjungan/cmd/fleethub").CombinedOutput(); err != nil {
			hubBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if hubBinErr != nil {
		tb.Fatal(hubBinErr)
	}
	return hubBin
}

// fleetRig is a hub on its own database and an enrolled kiosk's
// credentials; Kiosk are the kiosk's fleet flags (towards the proxy).
type fleetRig struct {
	Dir, DSN string
	Kiosk    []string
	hub      *hubProc
	proxy    *fleetProxy
	db       *pgxpool.Pool // survives a database restart
}

// mustFleet makes the fleet CA, enrols the kiosk and registers it in a
// fresh database with anjunganctl's commands, and starts the hub and the
// proxy in front of it.
func mustFleet(tb testing.TB, hubLogs io.Writer, hubArgs ...string) *fleetRig {
	tb.Helper()
	dsn := pgtest.MustDB(tb)
	bin := mustBuildHub(tb)
	dir := tb.TempDir()
	r := &fleetRig{Dir: dir, DSN: dsn}
	f := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	for _, args := range [][]string{
		{"fleet", "ca-init", "-dir", f("fleet")},
		{"fleet", "enrol", "-kiosk", fleetKiosk, "-key-dir", f("kiosk")},
		{"fleet", "sign", "-csr", f("kiosk", fleetKiosk+".csr"), "-dir", f("fleet"), "-hub-db", dsn,
			"-name", "MPP Kota Bandung 1", "-regency", "3273", "-province", "32"},
	} {
		m := ctl.NewMain()
		m.Stdout = io.Discard
		mustOK(tb, m.ParseFlags(args))
		mustOK(tb, m.Run(context.Background()))
	}
	r.hub = &hubProc{bin: bin, logs: hubLogs, args: append([]string{"-db", dsn, "-listen", "127.0.0.1:" + freePort(tb),
		"-tls-cert", f("fleet", "fleethub.crt"), "-tls-key", f("fleet", "fleethub.key"), "-client-ca", f("fleet", "fleet-ca.crt"),
		"-log-level", "debug", "-console-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0"}, hubArgs...)}
	r.hub.start(tb)
	tb.Cleanup(r.hub.stop)
	r.proxy = mustFleetProxy(tb, f("fleet"), f("kiosk", fleetKiosk+".crt"), f("kiosk", fleetKiosk+".key"), "https://"+r.hub.addr())
	r.Kiosk = []string{"-fleet-url", r.proxy.url, "-fleet-cert", f("kiosk", fleetKiosk+".crt"),
		"-fleet-key", f("kiosk", fleetKiosk+".key"), "-fleet-ca", f("fleet", "fleet-ca.crt")}
	conn, err := pgxpool.New(context.Background(), dsn)
	mustOK(tb, err)
	tb.Cleanup(conn.Close)
	r.db = conn
	return r
}

func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustOK(tb, err)
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// hubProc is the fleethub program as a process, on a fixed address so
// that it can be stopped and started again.
type hubProc struct {
	bin  string
	args []string
	logs io.Writer
	cmd  *exec.Cmd
	done chan struct{}
}

func (h *hubProc) addr() string {
	for i, a := range h.args {
		if a == "-listen" {
			return h.args[i+1]
		}
	}
	return ""
}

func (h *hubProc) start(tb testing.TB) {
	tb.Helper()
	h.cmd = exec.Command(h.bin, h.args...)
	h.cmd.Stdout, h.cmd.Stderr = h.logs, h.logs
	mustOK(tb, h.cmd.Start())
	h.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(h.cmd, h.done)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", h.addr()); err == nil {
			c.Close()
			return
		}
		select {
		case <-h.done:
			tb.Fatal("fleethub exited at start")
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatal("fleethub did not listen")
		}
	}
}

// stop ends the hub with SIGTERM (it finishes requests under way).
func (h *hubProc) stop() {
	if h.cmd == nil {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	<-h.done
	h.cmd = nil
}

// fleetProxy stands between the kiosk and the hub, as a TLS terminator
// with the hub's certificate would: it records every request body the
// hub receives, and can hold the hub's answer to a stream's next batch
// (the hub has stored it; the kiosk has not heard) while the test kills
// the kiosk.
type fleetProxy struct {
	url    string
	hub    string
	client *http.Client

	mu     sync.Mutex
	bodies [][]byte
	hold   fleet.Stream
	held   chan uint64   // the acked of the held answer
	resume chan struct{} // closed: the held answer goes on
}

func mustFleetProxy(tb testing.TB, fleetDir, cert, key, hub string) *fleetProxy {
	tb.Helper()
	srvCert, err := tls.LoadX509KeyPair(filepath.Join(fleetDir, "fleethub.crt"), filepath.Join(fleetDir, "fleethub.key"))
	mustOK(tb, err)
	caPEM, err := os.ReadFile(filepath.Join(fleetDir, "fleet-ca.crt"))
	mustOK(tb, err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg, err := fleetsend.ClientTLS(cert, key, filepath.Join(fleetDir, "fleet-ca.crt"))
	mustOK(tb, err)
	p := &fleetProxy{hub: hub, client: fleetsend.NewClient(cfg)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustOK(tb, err)
	p.url = "https://" + ln.Addr().String()
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		_ = srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientCAs: pool,
			ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS13}))
	}()
	tb.Cleanup(func() { _ = srv.Close() })
	return p
}

func (p *fleetProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadGateway)
		return
	}
	p.mu.Lock()
	p.bodies = append(p.bodies, body)
	p.mu.Unlock()
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, p.hub+r.URL.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	res, err := p.client.Do(req)
	if err != nil {
		http.Error(w, "hub unreachable", http.StatusBadGateway)
		return
	}
	ans, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var b struct{ Stream fleet.Stream }
	_ = json.Unmarshal(body, &b)
	var ack fleet.Ack
	p.mu.Lock()
	hold := res.StatusCode == http.StatusOK && b.Stream == p.hold && json.Unmarshal(ans, &ack) == nil
	held, resume := p.held, p.resume
	if hold {
		p.hold = ""
	}
	p.mu.Unlock()
	if hold {
		held <- ack.Acked
		<-resume
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(ans)
}

// holdNext makes the proxy keep the hub's answer to stream's next stored
// batch; the acked arrives on the channel; close resume to let it go.
func (p *fleetProxy) holdNext(s fleet.Stream) (held chan uint64, resume chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold, p.held, p.resume = s, make(chan uint64, 1), make(chan struct{})
	return p.held, p.resume
}

func (p *fleetProxy) received() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.bodies...)
}

// hubStream is what the hub holds of one of the kiosk's streams.
type hubStream struct {
	Acked, Rows, Distinct, MaxSeq int64
}

func (r *fleetRig) hubStreams(tb testing.TB) map[fleet.Stream]hubStream {
	tb.Helper()
	ctx := context.Background()
	out := map[fleet.Stream]hubStream{}
	rows, err := r.db.Query(ctx, `SELECT s.stream, s.acked, COUNT(e.seq), COUNT(DISTINCT e.seq), COALESCE(MAX(e.seq), 0)
		FROM streams s LEFT JOIN events e ON e.kiosk = s.kiosk AND e.stream = s.stream
		WHERE s.kiosk = $1 GROUP BY s.stream, s.acked`, fleetKiosk)
	mustOK(tb, err)
	defer rows.Close()
	for rows.Next() {
		var s string
		var h hubStream
		mustOK(tb, rows.Scan(&s, &h.Acked, &h.Rows, &h.Distinct, &h.MaxSeq))
		out[fleet.Stream(s)] = h
	}
	mustOK(tb, rows.Err())
	return out
}

// hubKinds counts the kiosk's events at the hub by kind (and, for
// print_outcome, by outcome: "print_outcome/printed").
func (r *fleetRig) hubKinds(tb testing.TB) map[string]int64 {
	tb.Helper()
	rows, err := r.db.Query(context.Background(), `SELECT kind, COALESCE(data->>'outcome', ''), COUNT(*) FROM events
		WHERE kiosk = $1 GROUP BY 1, 2`, fleetKiosk)
	mustOK(tb, err)
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k, o string
		var n int64
		mustOK(tb, rows.Scan(&k, &o, &n))
		out[k] += n
		if o != "" {
			out[k+"/"+o] += n
		}
	}
	mustOK(tb, rows.Err())
	return out
}

// kioskOutbox is what a kiosk database's outbox says: the highest seq
// given and the rows waiting.
type kioskOutbox struct{ Assigned, Waiting int64 }

func sqliteQuery(tb testing.TB, path string, q string, dst ...any) {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	mustOK(tb, err)
	defer db.Close()
	mustOK(tb, db.QueryRow(q).Scan(dst...))
}

func outboxOf(tb testing.TB, path string) kioskOutbox {
	tb.Helper()
	var o kioskOutbox
	sqliteQuery(tb, path, `SELECT (SELECT assigned FROM outbox_cursor), (SELECT COUNT(*) FROM outbox)`, &o.Assigned, &o.Waiting)
	return o
}

func (s *System) fleetDBs() map[fleet.Stream]string {
	return map[fleet.Stream]string{
		fleet.StreamPrinterd: filepath.Join(s.Var, "printerd", "journal.db"),
		fleet.StreamStation:  filepath.Join(s.Var, "station", "station.db"),
	}
}

// mustDelivered waits until both outboxes are empty and the hub has
// acknowledged every seq the kiosk gave, then checks that each stream is
// stored exactly once: acked = rows = distinct seqs = highest seq = the
// kiosk's highest assigned seq. The wait ends by state; its deadline only
// stops a hung test.
func (r *fleetRig) mustDelivered(tb testing.TB, sys *System) map[fleet.Stream]hubStream {
	tb.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		if err := r.db.Ping(context.Background()); err != nil {
			time.Sleep(100 * time.Millisecond) // a connection the database restart cut
			continue
		}
		hub := r.hubStreams(tb)
		done := true
		kiosk := map[fleet.Stream]kioskOutbox{}
		for st, path := range sys.fleetDBs() {
			k := outboxOf(tb, path)
			kiosk[st] = k
			if k.Waiting != 0 || hub[st].Acked != k.Assigned || k.Assigned == 0 {
				done = false
			}
		}
		if done {
			for st, k := range kiosk {
				h := hub[st]
				if h.Rows != k.Assigned || h.Distinct != k.Assigned || h.MaxSeq != k.Assigned {
					tb.Errorf("%s: kiosk gave seqs 1..%d; hub acked %d and stores %d rows, %d distinct, highest %d",
						st, k.Assigned, h.Acked, h.Rows, h.Distinct, h.MaxSeq)
				}
			}
			return hub
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not delivered: kiosk %+v, hub %+v", kiosk, hub)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mustCountsMatch compares the hub's counted events with what the kiosk's
// journal and settlements say happened: one job_state per job event, one
// blank_movement per ledger row (loads and card uses), one print_outcome
// per settled print; printed documents as many as the test printed.
func (r *fleetRig) mustCountsMatch(tb testing.TB, sys *System, printed int) {
	tb.Helper()
	dbs := sys.fleetDBs()
	var jobEvents, loads, uses, settled int64
	sqliteQuery(tb, dbs[fleet.StreamPrinterd], `SELECT (SELECT COUNT(*) FROM job_events), (SELECT COUNT(*) FROM card_loads), (SELECT COUNT(*) FROM card_uses)`,
		&jobEvents, &loads, &uses)
	sqliteQuery(tb, dbs[fleet.StreamStation], `SELECT COUNT(*) FROM settlements WHERE stage = 'settled'`, &settled)
	k := r.hubKinds(tb)
	var daily, movements int64
	mustOK(tb, r.db.QueryRow(context.Background(), `SELECT
		(SELECT COALESCE(SUM(count), 0) FROM prints_daily WHERE kiosk = $1 AND outcome = 'printed'),
		(SELECT COUNT(*) FROM blank_movements WHERE kiosk = $1)`, fleetKiosk).Scan(&daily, &movements))
	for _, c := range []struct {
		what      string
		hub, want int64
	}{
		{"job_state events / printerd's job events", k["job_state"], jobEvents},
		{"blank_movement events / ledger rows (loads + card uses)", k["blank_movement"], loads + uses},
		{"print_outcome events / settled prints", k["print_outcome"], settled},
		{"print_outcome printed / documents printed", k["print_outcome/printed"], int64(printed)},
		{"prints_daily printed / documents printed", daily, int64(printed)},
		{"blank_movements rows / ledger rows", movements, loads + uses},
	} {
		if c.hub != c.want {
			tb.Errorf("%s: hub %d, kiosk %d", c.what, c.hub, c.want)
		}
	}
	tb.Logf("hub's events by kind: %v", k)
	if k["job_state"] == 0 || k["blank_movement"] == 0 || k["print_outcome/printed"] == 0 {
		tb.Errorf("the hub holds no job_state, blank_movement or printed print_outcome: %v", k)
	}
}

// printVisits has n citizens print a KTP-el and a KK each through the
// kiosk at base; it returns the documents printed.
func printVisits(t *testing.T, sys *System, base string, n int) int {
	t.Helper()
	printed := 0
	for i := 0; i < n; i++ {
		a := sys.MustApprove(t, "ktp-el", "kk")
		v := printAll(t, NewCitizenAt(t, base), "/api/login/ticket", map[string]string{"ticket": a.Ticket})
		mustAllPrinted(t, v, 2)
		printed += 2
	}
	return printed
}

// submitJobs sends n test prints straight to printerd (paper), as bulk
// work for a kiosk cut off from the hub, and waits until all are printed.
func submitJobs(t *testing.T, sys *System, tag string, n int) {
	t.Helper()
	pdf, err := os.ReadFile(filepath.Join("..", "..", "..", "station", "render", "testdata", "kk.pdf"))
	mustOK(t, err)
	ctx := context.Background()
	var ids []printerd.JobID
	for i := 0; i < n; i++ {
		j, err := sys.Printers.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: fmt.Sprintf("%s-%d", tag, i), Media: printerd.MediaA4, Title: "KK", Document: pdf})
		mustOK(t, err)
		ids = append(ids, j.ID)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, id := range ids {
		for {
			j, err := sys.Printers.Job(ctx, id)
			mustOK(t, err)
			if j.State == printerd.JobPrinted {
				break
			}
			if j.State != printerd.JobQueued && j.State != printerd.JobDispatching || time.Now().After(deadline) {
				t.Fatalf("job %s: %s", id, j.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestFleetHubRestart: prints while the hub runs, the hub stopped
// (SIGTERM) and started again, more prints: both streams reach the hub
// exactly once and the counts match the kiosk's journal and settlements.
func TestFleetHubRestart(t *testing.T) {
	rig := mustFleet(t, io.Discard)
	sys := MustStartWith(t, Options{Fleet: rig.Kiosk})
	printed := printVisits(t, sys, sys.Station.KioskURL(), 2)
	rig.mustDelivered(t, sys)
	rig.hub.stop()
	printed += printVisits(t, sys, sys.Station.KioskURL(), 1)
	rig.hub.start(t)
	printed += printVisits(t, sys, sys.Station.KioskURL(), 1)
	rig.mustDelivered(t, sys)
	rig.mustCountsMatch(t, sys, printed)
}

// TestFleetDatabaseRestart: the hub's PostgreSQL restarted (fast: open
// connections cut) between prints and while the kiosk sends.
func TestFleetDatabaseRestart(t *testing.T) {
	rig := mustFleet(t, io.Discard)
	sys := MustStartWith(t, Options{Fleet: rig.Kiosk})
	printed := printVisits(t, sys, sys.Station.KioskURL(), 1)
	rig.mustDelivered(t, sys)
	mustOK(t, pgtest.MustCluster(t).Restart())
	printed += printVisits(t, sys, sys.Station.KioskURL(), 1)
	submitJobs(t, sys, "after-restart", 20)
	mustOK(t, pgtest.MustCluster(t).Restart()) // likely while the kiosk sends
	rig.mustDelivered(t, sys)
	rig.mustCountsMatch(t, sys, printed)
}

// TestFleetKioskOfflineADay: the hub is down while the kiosk prints a
// day's work (citizens' visits and bulk jobs, more than one batch); the
// sender reports its growing backlog. When the hub is back every event
// arrives once, and the backlog reports open the hub's backlog_growing
// alert.
func TestFleetKioskOfflineADay(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 120
	}
	if os.Getenv("ANJUNGAN_FLEET_LONG") == "1" {
		n = 2000
	}
	rig := mustFleet(t, io.Discard, "-alert-every", "200ms", "-backlog-events", "100")
	sys := MustStartWith(t, Options{Fleet: append(rig.Kiosk, "-fleet-backlog-every", "1s")})
	printed := printVisits(t, sys, sys.Station.KioskURL(), 1)
	rig.mustDelivered(t, sys)
	rig.hub.stop()
	printed += printVisits(t, sys, sys.Station.KioskURL(), 2)
	submitJobs(t, sys, "day", n/2)
	time.Sleep(1500 * time.Millisecond) // a backlog report after the last jobs
	submitJobs(t, sys, "evening", n/2)
	if o := outboxOf(t, sys.fleetDBs()[fleet.StreamPrinterd]); o.Waiting < int64(n) {
		t.Fatalf("printerd's outbox holds %d events while the hub is down; want at least %d", o.Waiting, n)
	}
	rig.hub.start(t)
	rig.mustDelivered(t, sys)
	rig.mustCountsMatch(t, sys, printed)

	// The backlog reached the hub, growing, and the alert opened.
	var maxBacklog int64
	mustOK(t, rig.db.QueryRow(context.Background(), `SELECT COALESCE(MAX((data->>'events')::bigint), 0) FROM events
		WHERE kiosk = $1 AND stream = 'printerd' AND kind = 'outbox_backlog'`, fleetKiosk).Scan(&maxBacklog))
	if maxBacklog < int64(n)/2 {
		t.Errorf("highest printerd backlog reported to the hub: %d; want at least %d", maxBacklog, n/2)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var alerts int
		mustOK(t, rig.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM alerts WHERE kiosk = $1 AND kind = 'backlog_growing'`, fleetKiosk).Scan(&alerts))
		if alerts > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hub raised no backlog_growing alert")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestFleetStationKilledMidSend: the hub has stored a batch of the
// station's stream, and the station is killed with SIGKILL before the
// answer reaches it; restarted, it sends the same seqs again, and the hub
// stores them once.
func TestFleetStationKilledMidSend(t *testing.T) {
	rig := mustFleet(t, io.Discard)
	sys := MustStartWith(t, Options{Fleet: rig.Kiosk, NoStation: true})
	bin := MustBuildStation(t)
	held, resume := rig.proxy.holdNext(fleet.StreamStation)
	p := startStation(t, bin, sys)
	printed := printVisits(t, sys, p.kiosk, 1)
	var acked uint64
	select {
	case acked = <-held:
	case <-time.After(60 * time.Second):
		t.Fatal("the station sent no batch")
	}
	if o := outboxOf(t, sys.fleetDBs()[fleet.StreamStation]); o.Waiting == 0 || o.Assigned < int64(acked) {
		t.Fatalf("before the kill: the station's outbox %+v, hub acked %d; want its events still waiting", o, acked)
	}
	p.kill()
	close(resume)
	p = startStation(t, bin, sys)
	printed += printVisits(t, sys, p.kiosk, 1)
	hub := rig.mustDelivered(t, sys)
	if hub[fleet.StreamStation].Acked <= int64(acked) {
		t.Errorf("station stream acked %d after the restart; want past %d", hub[fleet.StreamStation].Acked, acked)
	}
	rig.mustCountsMatch(t, sys, printed)
}
