package smartcard_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station/smartcard"
	"github.com/anjungan/anjungan/station/smartcard/pcsctest"
	"github.com/anjungan/anjungan/station/smartcard/vcard"
)

// pcscdProblem says why the PC/SC peers are missing ("" when pcscd with
// vpcd's readers runs). TestMain starts a private pcscd when none runs and
// this is root, and stops it afterwards; ownPCSCD is that process (nil
// when another pcscd was already running), which restartPCSCD replaces.
var (
	pcscdProblem string
	ownPCSCD     *exec.Cmd
	pcscdPath    string
	unplugged    bool // the own pcscd runs without vpcd's readers
)

func TestMain(m *testing.M) {
	// Other packages' tests use pcscd too; these kill and restart it.
	unlock, err := pcsctest.Lock()
	if err != nil {
		pcscdProblem = "PC/SC test lock: " + err.Error()
		unlock = func() {}
	}
	stop := startPCSC()
	code := m.Run()
	stop()
	unlock()
	os.Exit(code)
}

func vpcdReady() bool {
	rs, err := smartcard.Readers()
	return err == nil && slices.Contains(rs, "Virtual PCD 00 00")
}

func startPCSC() (stop func()) {
	if vpcdReady() {
		return func() {}
	}
	pcscd, err := exec.LookPath("pcscd")
	if err != nil {
		pcscd = "/usr/sbin/pcscd"
	}
	if _, err := os.Stat(pcscd); err != nil || os.Getuid() != 0 {
		pcscdProblem = "pcscd with vsmartcard-vpcd is needed (apt-get install pcscd vsmartcard-vpcd; run as root)"
		return func() {}
	}
	pcscdPath = pcscd
	if err := spawnPCSCD("", nil); err != nil {
		pcscdProblem = "cannot start pcscd: " + err.Error()
		return func() {}
	}
	stop = func() {
		if ownPCSCD != nil {
			_ = ownPCSCD.Process.Kill()
			_ = ownPCSCD.Wait()
		}
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if vpcdReady() {
			return stop
		}
	}
	pcscdProblem = "pcscd started but shows no vpcd reader (is vsmartcard-vpcd installed?)"
	return stop
}

// spawnPCSCD starts pcscd. conf, when not "", replaces /etc/reader.conf.d
// as the folder of serial reader configurations: an empty folder makes a
// pcscd without vpcd's readers, as if the reader were unplugged. debug,
// when not nil, receives pcscd's debug log.
func spawnPCSCD(conf string, debug io.Writer) error {
	args := []string{"--foreground"}
	if conf != "" {
		args = append(args, "--config", conf)
	}
	if debug != nil {
		args = append(args, "--debug")
	}
	cmd := exec.Command(pcscdPath, args...)
	cmd.Stdout, cmd.Stderr = debug, debug
	if err := cmd.Start(); err != nil {
		return err
	}
	ownPCSCD = cmd
	return nil
}

// killPCSCD kills the pcscd this test binary started (SIGKILL: a crash,
// not a clean stop); startPCSCDAgain starts a new one with vpcd's readers.
func killPCSCD(tb testing.TB) {
	tb.Helper()
	_ = ownPCSCD.Process.Kill()
	_ = ownPCSCD.Wait()
	ownPCSCD = nil
}

func startPCSCDAgain(tb testing.TB) {
	tb.Helper()
	if err := spawnPCSCD("", nil); err != nil {
		tb.Fatalf("restart pcscd: %v", err)
	}
}

// unplugReaders restarts pcscd without vpcd's readers (an empty
// configuration folder) and waits until it answers; debug gets its debug
// log. replugReaders restarts it with them and waits until both show.
func unplugReaders(tb testing.TB, debug io.Writer) {
	tb.Helper()
	empty := tb.TempDir()
	killPCSCD(tb)
	unplugged = true
	// A test that fails with the readers away leaves them plugged in for
	// the next one (cleanups run before the slots' emptiness checks).
	tb.Cleanup(func() {
		if unplugged {
			replugReaders(tb)
		}
	})
	if err := spawnPCSCD(empty, debug); err != nil {
		tb.Fatalf("restart pcscd without readers: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		rs, err := smartcard.Readers()
		if err == nil && len(rs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("pcscd without readers: %v, %v", rs, err)
		}
	}
}

func replugReaders(tb testing.TB) {
	tb.Helper()
	killPCSCD(tb)
	unplugged = false
	startPCSCDAgain(tb)
	for deadline := time.Now().Add(30 * time.Second); !pcsctest.Ready(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatal("pcscd came back without vpcd's readers")
		}
	}
}

// mustPCSC skips the test without the peers, unless
// ANJUNGAN_REQUIRE_PEERS=1 (CI) makes that a failure.
func mustPCSC(tb testing.TB) {
	tb.Helper()
	if pcscdProblem == "" {
		return
	}
	if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
		tb.Fatal(pcscdProblem)
	}
	tb.Skip(pcscdProblem)
}

func TestVirtualCardThroughRealPCSC(t *testing.T) {
	mustPCSC(t)
	atr := []byte{0x3b, 0x8c, 0x80, 0x01, 0x80, 0x31, 0x80, 0x65, 0xb0, 0x85, 0x03, 0x00, 0xef, 0x12, 0x0f, 0xff, 0x82, 0x90, 0x00}
	selectDF := []byte{0x00, 0xa4, 0x04, 0x00, 0x02, 0x7f, 0x0a}
	card, err := vcard.Insert(fmt.Sprintf("127.0.0.1:%d", vcard.Port0), atr, func(apdu []byte) []byte {
		if bytes.Equal(apdu, selectDF) {
			return []byte{0x90, 0x00}
		}
		return []byte{0x6a, 0x82} // file not found
	})
	if err != nil {
		t.Fatalf("vpcd: %v", err)
	}
	defer func() {
		card.Remove()
		_ = smartcard.WaitEmpty(context.Background(), "Virtual PCD 00 00")
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := smartcard.WaitCard(ctx, "Virtual PCD 00 00")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !bytes.Equal(c.ATR, atr) {
		t.Errorf("ATR % x, want % x", c.ATR, atr)
	}
	for _, tt := range []struct {
		apdu, want []byte
	}{
		{selectDF, []byte{0x90, 0x00}},
		{[]byte{0x00, 0xa4, 0x02, 0x0c, 0x02, 0x6f, 0xf0}, []byte{0x6a, 0x82}},
	} {
		got, err := c.Transmit(tt.apdu)
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("Transmit(% x) = % x, %v; want % x", tt.apdu, got, err, tt.want)
		}
	}
}

func TestWaitCardHonoursCancel(t *testing.T) {
	mustPCSC(t)
	// Reader 01 has no card (nothing connects to its vpcd port): WaitCard
	// must return when ctx ends.
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	if _, err := smartcard.WaitCard(ctx, "Virtual PCD 00 01"); err == nil {
		t.Fatal("WaitCard returned a card from an empty reader")
	}
}
