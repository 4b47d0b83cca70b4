package systemd_test

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anjungan/anjungan/cmd/internal/systemd"
)

// listen is systemd's end: a datagram socket at path.
func listen(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func receive(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 256)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNotify(t *testing.T) {
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn := listen(t, path)
	for _, state := range []string{systemd.Ready, systemd.Stopping} {
		if err := systemd.Notify(path, state); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, conn); got != state {
			t.Errorf("got %q, want %q", got, state)
		}
	}
	abstract := "@anjungan-test-" + filepath.Base(dir)
	aconn := listen(t, "\x00"+abstract[1:])
	if err := systemd.Notify(abstract, systemd.Ready); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, aconn); got != systemd.Ready {
		t.Errorf("abstract socket: got %q", got)
	}
	if err := systemd.Notify("", systemd.Ready); err != nil {
		t.Errorf("no socket: %v", err)
	}
	if err := systemd.Notify(filepath.Join(dir, "absent"), systemd.Ready); err == nil {
		t.Error("a socket that is not there: no error")
	}
}
