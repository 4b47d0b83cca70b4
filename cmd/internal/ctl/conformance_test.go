package ctl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func runConformance(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr = &out, io.Discard
	fs := flag.NewFlagSet("printer conformance", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// Never the default under the working directory (the source tree).
	args = append([]string{"-temp-dir", filepath.Join(t.TempDir(), "tmp")}, args...)
	run, err := parsePrinterConformance(m, fs, args)
	if err != nil {
		return "", err
	}
	err = run(context.Background())
	return out.String(), err
}

func TestConformanceFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no driver", []string{"-uri", "ipp://localhost/ipp/print"}},
		{"no uri", []string{"-driver", "ipp"}},
		{"unknown driver", []string{"-driver", "acme", "-uri", "x"}},
		{"bad option", []string{"-driver", "ipp", "-uri", "x", "-option", "media"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := runConformance(t, tc.args...); err == nil {
				t.Error("parsed")
			}
		})
	}
}

// The simulated paper printer injects faults: with -faults every check
// runs, the ones it cannot simulate are skipped with a reason.
func TestConformanceSimulatorWithFaults(t *testing.T) {
	out, err := runConformance(t, "-driver", "simpaper", "-uri", t.TempDir(), "-faults")
	if err != nil {
		t.Fatalf("conformance: %v\n%s", err, out)
	}
	for check, want := range map[string]string{"Faults/media-jam@during-print": "PASS", "Faults/ribbon-empty@before-print": "SKIP", "HappyPath": "PASS"} {
		if got := result(out, check); got != want {
			t.Errorf("%s: %q, want %s:\n%s", check, got, want, out)
		}
	}
	if !strings.Contains(out, "a paper printer has no ribbon-empty") {
		t.Errorf("the table does not say why a fault was skipped:\n%s", out)
	}
}

// A real IPP printer (ippeveprinter): the checks pass and the fault
// checks are skipped without -faults.
func TestConformanceIPP(t *testing.T) {
	uri := mustIPPEvePrinter(t)
	out, err := runConformance(t, "-driver", "ipp", "-uri", uri, "-option", "media=iso_a4_210x297mm")
	if err != nil {
		t.Fatalf("conformance: %v\n%s", err, out)
	}
	for check, want := range map[string]string{"HappyPath": "PASS", "StatusDuringPrint": "PASS", "Faults": "SKIP", "Close": "PASS"} {
		if got := result(out, check); got != want {
			t.Errorf("%s: %q, want %s:\n%s", check, got, want, out)
		}
	}
	if !strings.Contains(out, "fault checks not requested") {
		t.Errorf("the table does not say why the faults were skipped:\n%s", out)
	}
}

// A printer that is not there fails the run with a table that says so.
func TestConformanceFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	out, err := runConformance(t, "-driver", "ipp", "-uri", "ipp://"+addr+"/ipp/print", "-option", "media=iso_a4_210x297mm")
	if !errors.Is(err, errConformance) {
		t.Fatalf("conformance against nothing = %v, want errConformance\n%s", err, out)
	}
	if result(out, "HappyPath") != "FAIL" || !strings.Contains(out, "FAIL: ") {
		t.Errorf("output does not show the failure:\n%s", out)
	}
}

// result is the RESULT column of check's line in a conformance table.
func result(table, check string) string {
	for _, line := range strings.Split(table, "\n") {
		if name, res, ok := strings.Cut(line, "  "); ok && name == check {
			return strings.TrimSpace(res)
		}
	}
	return ""
}

// mustIPPEvePrinter starts an A4 ippeveprinter whose jobs end at once
// (-c /bin/true) and returns its URI.
func mustIPPEvePrinter(t *testing.T) string {
	t.Helper()
	for _, prog := range []string{"ippeveprinter", "dbus-daemon"} {
		if _, err := exec.LookPath(prog); err != nil {
			if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
				t.Fatalf("%s is required (cups-ipp-utils, dbus): %v", prog, err)
			}
			t.Skipf("%s is not installed (cups-ipp-utils, dbus): %v", prog, err)
		}
	}
	bus := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	stdout, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Process.Kill(); _ = bus.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command("ippeveprinter", "-r", "off", "-n", "localhost", "-p", fmt.Sprint(port), "-d", t.TempDir(),
		"-c", "/bin/true", "-f", "application/pdf", "conformance")
	cmd.Env = append(os.Environ(), "DBUS_SYSTEM_BUS_ADDRESS="+strings.TrimSpace(addr))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for {
		// Polling a peer until it answers; a hung start fails at the
		// test's deadline.
		if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port)); err == nil {
			_ = resp.Body.Close()
			return fmt.Sprintf("ipp://localhost:%d/ipp/print", port)
		}
	}
}
