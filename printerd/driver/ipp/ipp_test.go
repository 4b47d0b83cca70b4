package ipp_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/ipp"
	"github.com/anjungan/anjungan/printerd/drivertest"
)

func peer(tb testing.TB, prog string) string {
	tb.Helper()
	path, err := exec.LookPath(prog)
	if err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			tb.Fatalf("%s is required: %v", prog, err)
		}
		tb.Skipf("%s is not installed (cups-ipp-utils, dbus): %v", prog, err)
	}
	return path
}

// MustBus starts a private D-Bus daemon for ippeveprinter, which needs a
// system bus even with DNS-SD off, and returns its address.
func MustBus(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(peer(tb, "dbus-daemon"), "--session", "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		tb.Fatalf("dbus-daemon: %v", err)
	}
	return strings.TrimSpace(addr)
}

// MustPrinter starts an A4 ippeveprinter on a free loopback port and
// returns its URI and the fault file its -c script reads.
func MustPrinter(tb testing.TB, bus string) (uri, faultFile string) {
	tb.Helper()
	bin := peer(tb, "ippeveprinter")
	tmp := tb.(interface{ TempDir() string }).TempDir()
	spool, out := filepath.Join(tmp, "spool"), filepath.Join(tmp, "out")
	for _, d := range []string{spool, out} {
		if err := os.Mkdir(d, 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	script, _ := filepath.Abs("testdata/print.sh")
	faultFile = filepath.Join(tmp, "fault")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command(bin, "-r", "off", "-n", "localhost", "-p", fmt.Sprint(port), "-d", spool, "-c", script,
		"-D", "file://"+out, "-f", "application/pdf,image/pwg-raster", "-m", "iso_a4_210x297mm", "anjungan-test")
	cmd.Env = append(os.Environ(), "DBUS_SYSTEM_BUS_ADDRESS="+bus, "IPP_FAULT="+faultFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	uri = fmt.Sprintf("ipp://localhost:%d/ipp/print", port)
	// Ready when it answers; a hung start fails at the test's deadline.
	for {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			_ = c.Close()
			return uri, faultFile
		}
		if cmd.ProcessState != nil {
			tb.Fatal("ippeveprinter exited")
		}
	}
}

func TestPrintAndStatus(t *testing.T) {
	bus := MustBus(t)
	uri, fault := MustPrinter(t, bus)
	dev, err := ipp.Open(printerd.DeviceConfig{URI: uri, Options: map[string]string{"media": string(printerd.MediaA4)}})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	ctx := context.Background()
	st := drivertest.MustStatus(t, dev)
	if st.State != printerd.PrinterIdle {
		t.Errorf("fresh printer: %+v", st)
	}
	if _, err := dev.Print(ctx, drivertest.Job(t, dev)); err != nil {
		t.Fatalf("Print: %v", err)
	}
	if err := os.WriteFile(fault, []byte("media-jam"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = dev.Print(ctx, drivertest.Job(t, dev))
	var de *printerd.DriverError
	if !errors.As(err, &de) || de.Reason != "media-jam" || de.Outcome != printerd.OutcomeStop {
		t.Errorf("Print with a jam = %v, want stop media-jam", err)
	}
}
