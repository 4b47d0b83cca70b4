package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/sqlite"
)

// MustBuildStation builds cmd/station for tests that run it as a process.
func MustBuildStation(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "station")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/anjungan/anjungan/cmd/station").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// stationProc is the station as its own process, which a test can kill.
type stationProc struct {
	cmd   *exec.Cmd
	kiosk string // base URL of the kiosk page
	done  chan struct{}
	log   string // its log file
}

// startStation runs the station of sys from bin with extra flags and waits
// until its kiosk answers (or it has exited: a crash point may come first).
func startStation(tb testing.TB, bin string, sys *System, extra ...string) *stationProc {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustOK(tb, err)
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string(nil), sys.StationArgs...)
	for i := range args {
		if args[i] == "-kiosk-addr" {
			args[i+1] = addr
		}
	}
	p := &stationProc{kiosk: "http://" + addr, done: make(chan struct{}),
		log: filepath.Join(sys.Var, "station-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".log")}
	f, err := os.Create(p.log)
	mustOK(tb, err)
	p.cmd = exec.Command(bin, append(args, extra...)...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	mustOK(tb, p.cmd.Start())
	go func() {
		_ = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	tb.Cleanup(func() { p.kill() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(p.kiosk + "/healthz"); err == nil {
			res.Body.Close()
			return p
		}
		if p.exited() || time.Now().After(deadline) {
			b, _ := os.ReadFile(p.log)
			tb.Fatalf("station did not start:\n%s", b)
		}
	}
}

func (p *stationProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill kills the station as a power cut would, and waits for it.
func (p *stationProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// waitKilled waits for the station to die at its crash point.
func (p *stationProc) waitKilled(tb testing.TB) {
	tb.Helper()
	select {
	case <-p.done:
	case <-time.After(90 * time.Second):
		b, _ := os.ReadFile(p.log)
		tb.Fatalf("the station never reached its crash point:\n%s", b)
	}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		b, _ := os.ReadFile(p.log)
		tb.Fatalf("station ended with %v, not killed at its crash point:\n%s", p.cmd.ProcessState, b)
	}
}

// tryPrint logs in at base with ticket and prints every approved
// document without failing on transport errors: the station may die
// under the request. It returns the login's error code, if any.
func tryPrint(tb testing.TB, base, ticket string) string {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	post := func(path string, in any, out any) (int, error) {
		b, _ := json.Marshal(in)
		res, err := hc.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		return res.StatusCode, json.NewDecoder(res.Body).Decode(out)
	}
	var v sessionView
	st, err := post("/api/login/ticket", map[string]string{"ticket": ticket}, &v)
	if err != nil {
		return "transport"
	}
	if st != http.StatusCreated {
		if v.Error == nil {
			tb.Fatalf("login: %d without an error", st)
		}
		return v.Error.Code
	}
	code := ""
	for _, d := range v.Documents {
		if d.Status != "approved" {
			continue
		}
		var p struct {
			Error *apiError `json:"error"`
		}
		if st, err := post("/api/print", map[string]string{"request_id": d.RequestID}, &p); err == nil && st != http.StatusAccepted && p.Error != nil {
			code = p.Error.Code
		}
	}
	return code
}

// cards counts the cards a system's simulated card printer made.
func (s *System) cards(tb testing.TB) int {
	tb.Helper()
	return len(outputs(tb, filepath.Join(s.Var, "out", "card")))
}

// TestStationKilledBeforeSettlement: the station is killed at every step
// between taking the upstream's hold and the upstream's acknowledgement,
// while the upstream fails the confirmation, and once from outside while
// it retries. Another kiosk of the same upstream (its own station and
// printerd) tries to print the same approval while the first is down and
// after. After the restart the confirmation arrives exactly once, one card
// exists in all, and nothing is left owed.
func TestStationKilledBeforeSettlement(t *testing.T) {
	bin := MustBuildStation(t)
	points := append([]string{""}, station.CrashPoints...) // "": killed from outside while retrying
	for _, point := range points {
		name := point
		if name == "" {
			name = "killed-while-retrying"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a := MustStartWith(t, Options{NoStation: true})
			b := MustStartWith(t, Options{Peer: a})
			ap := a.MustApprove(t, "ktp-el")

			// The upstream fails the confirmation: four times (more than one
			// delivery's tries) before a crash point, for good when the
			// station is to be killed while it retries.
			calls := 4
			if point == "" {
				calls = 0
			}
			mustOK(t, a.Registry.InjectFault(registrysim.Fault{Route: registrysim.RouteConfirmation, Kind: registrysim.FaultStatus, Status: 503, Calls: calls}))
			extra := []string{"-settle-submit-grace", "1s"}
			if point != "" {
				extra = append(extra, "-crash-at", point)
			}
			kioskA := startStation(t, bin, a, extra...)
			if code := tryPrint(t, kioskA.kiosk, ap.Ticket); code != "" && code != "transport" {
				t.Fatalf("print at kiosk A: %s", code)
			}
			if point != "" {
				kioskA.waitKilled(t)
			} else {
				// Printed, and the confirmation failing: kill it then.
				for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
					jobs, err := a.Printers.Jobs(ctx, printerd.JobPrinted)
					mustOK(t, err)
					if len(jobs) == 1 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("kiosk A never printed")
					}
				}
				time.Sleep(time.Second) // a try or two at the failing upstream
				kioskA.kill()
			}
			rid := ""
			for _, r := range a.approvalStatus(t, ap.ApprovalID).Requests {
				rid = r.RequestID
			}
			// Killed after the upstream acknowledged, before the station
			// recorded it: the upstream knows; otherwise it holds the request.
			wantDown, wantCode, wantConfirmed := "printing", "nothing_to_print", 0
			if point == "delivered" {
				wantDown, wantCode, wantConfirmed = "printed", "ticket_used", 1
			}
			if r, _ := a.upstreamRequest(t, ap.ApprovalID, rid); r.Confirmations != wantConfirmed || r.Status != wantDown {
				t.Errorf("upstream while kiosk A is down: %+v; want %s, %d confirmed", r, wantDown, wantConfirmed)
			}
			// Kiosk B cannot print the request, whatever the time: past the
			// reservation of A's fetch, only the hold stands in the way.
			a.AdvanceUpstream(20 * time.Minute)
			if code := tryPrint(t, b.Station.KioskURL(), ap.Ticket); code != wantCode {
				t.Errorf("kiosk B while A is down: %q, want %s", code, wantCode)
			}
			if jobs, err := b.Printers.Jobs(ctx, ""); err != nil || len(jobs) != 0 {
				t.Fatalf("kiosk B submitted %d jobs while kiosk A was down (%v): a second card", len(jobs), err)
			}
			a.Registry.ClearFaults()
			kioskA = startStation(t, bin, a, "-settle-submit-grace", "1s")
			defer kioskA.kill()

			want := "printed"
			if point == "held" {
				want = "approved" // nothing reached printerd: the hold is given back
			}
			a.waitUpstream(t, ap.ApprovalID, rid, want)
			if point == "held" {
				if a.cards(t) != 0 {
					t.Fatal("kiosk A printed a job it never submitted")
				}
				// Now kiosk B may print it, once.
				if code := tryPrint(t, b.Station.KioskURL(), ap.Ticket); code != "" {
					t.Fatalf("kiosk B after the hold was given back: %s", code)
				}
				a.waitUpstream(t, ap.ApprovalID, rid, "printed")
			}
			r, burned := a.upstreamRequest(t, ap.ApprovalID, rid)
			if !burned || r.Confirmations != 1 {
				t.Errorf("upstream %+v, burned %v; want exactly one confirmation and the token burned", r, burned)
			}
			if n := a.cards(t) + b.cards(t); n != 1 {
				t.Errorf("%d cards in all (kiosk A %d, kiosk B %d), want 1", n, a.cards(t), b.cards(t))
			}
			if code := tryPrint(t, b.Station.KioskURL(), ap.Ticket); code != "ticket_used" {
				t.Errorf("kiosk B after the confirmation: %q, want ticket_used", code)
			}

			// Nothing is left owed at kiosk A.
			deadline := time.Now().Add(30 * time.Second)
			for {
				kioskA.kill()
				db, err := sqlite.Open(filepath.Join(a.Var, "station", "station.db"))
				mustOK(t, err)
				open, err := sqlite.Settlements{DB: db}.OpenSettlements(ctx)
				db.Close()
				mustOK(t, err)
				if len(open) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("kiosk A still owes: %+v", open)
				}
				kioskA = startStation(t, bin, a, "-settle-submit-grace", "1s")
				time.Sleep(time.Second)
			}
		})
	}
}
