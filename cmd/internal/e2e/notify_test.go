package e2e

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anjungan/anjungan/cmd/internal/systemd"
)

// TestServicesNotifySystemdWhenListening runs the built printerd and
// station as systemd runs them under Type=notify: with $NOTIFY_SOCKET,
// the station's flags in a config file. Each says READY=1 only once it
// listens — the first request after it succeeds, no retry — and
// STOPPING=1 on SIGTERM, then exits 0.
func TestServicesNotifySystemdWhenListening(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the programs")
	}
	s := MustStartWith(t, Options{NoStation: true})
	bin := t.TempDir()
	buildServices(t, bin)
	dir := filepath.Join(s.Var, "notify")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "sd"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()
	next := func(want string) {
		t.Helper()
		buf := make([]byte, 256)
		_ = notify.SetReadDeadline(time.Now().Add(60 * time.Second))
		n, err := notify.Read(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("from NOTIFY_SOCKET: %q, %v; want %q", buf[:n], err, want)
		}
	}
	start := func(name string, args ...string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Env = append(os.Environ(), systemd.NotifySocket+"="+filepath.Join(dir, "sd"))
		var logs bytes.Buffer
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd, &logs
	}
	stop := func(cmd *exec.Cmd, logs *bytes.Buffer) {
		t.Helper()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		next(systemd.Stopping)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%s after SIGTERM: %v\n%s", cmd.Path, err, logs)
		}
	}

	socket := filepath.Join(dir, "pd.sock")
	printerd, pdLogs := start("printerd", "-socket", socket, "-data", filepath.Join(dir, "printerd"),
		"-audit-key", filepath.Join(s.Keys, "keys", "audit-printerd.key"),
		"-printer", "name=paper-1,driver=sim,uri="+filepath.Join(dir, "out")+",media=iso_a4_210x297mm")
	next(systemd.Ready)
	res, err := unixHTTP(socket).Get("http://printerd/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("printerd said READY=1, then /healthz: %v %v\n%s", res, err, pdLogs)
	}
	res.Body.Close()

	// The station's flags come from its config file, as in the package's unit.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	kiosk := ln.Addr().String()
	ln.Close()
	args := append(append([]string{}, s.StationArgs...), "-kiosk-addr", kiosk, "-printerd-socket", socket,
		"-db", filepath.Join(dir, "station.db"))
	var conf strings.Builder
	conf.WriteString("# the station, as the unit runs it\n")
	last := map[string]int{} // a flag given twice: the later wins, as on a command line
	for i := 0; i+1 < len(args); i += 2 {
		last[args[i]] = i
	}
	for i := 0; i+1 < len(args); i += 2 {
		if last[args[i]] == i {
			conf.WriteString(strings.TrimPrefix(args[i], "-") + " = " + args[i+1] + "\n")
		}
	}
	confPath := filepath.Join(dir, "station.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	station, stLogs := start("station", "-config", confPath)
	next(systemd.Ready)
	if status, rep := readiness(t, http.DefaultClient, "http://"+kiosk); status != http.StatusOK || !rep.Ready {
		t.Fatalf("station said READY=1, then /readyz: %d %+v\n%s", status, rep, stLogs)
	}
	stop(station, stLogs)
	stop(printerd, pdLogs)
}
