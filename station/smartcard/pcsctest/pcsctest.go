// Package pcsctest gives tests in different packages safe use of the
// machine's one pcscd with vsmartcard's virtual readers. go test runs
// packages in parallel, and some tests kill and restart pcscd, so every
// test that needs it holds a machine-wide lock.
package pcsctest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/anjungan/anjungan/station/smartcard"
)

// Readers are vpcd's two virtual readers: the e-KTP slot and the SAM slot.
const (
	CardReader = "Virtual PCD 00 00"
	SAMReader  = "Virtual PCD 00 01"
)

// Lock takes the machine-wide PC/SC test lock, waiting for it.
func Lock() (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "anjungan-pcscd.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// Ready reports whether pcscd answers and shows both virtual readers.
func Ready() bool {
	rs, err := smartcard.Readers()
	return err == nil && slices.Contains(rs, CardReader) && slices.Contains(rs, SAMReader)
}

// Start makes sure pcscd runs with vpcd's readers, starting a private one
// when none runs and this is root. problem says why not, when it cannot;
// stop kills the pcscd it started.
func Start() (stop func(), problem string) {
	if Ready() {
		return func() {}, ""
	}
	path, err := exec.LookPath("pcscd")
	if err != nil {
		path = "/usr/sbin/pcscd"
	}
	if _, err := os.Stat(path); err != nil || os.Getuid() != 0 {
		return func() {}, "pcscd with vsmartcard-vpcd is needed (apt-get install pcscd vsmartcard-vpcd; run as root)"
	}
	cmd := exec.Command(path, "--foreground")
	if err := cmd.Start(); err != nil {
		return func() {}, "cannot start pcscd: " + err.Error()
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if Ready() {
			return stop, ""
		}
	}
	return stop, "pcscd started but shows no vpcd readers (is vsmartcard-vpcd installed?)"
}
