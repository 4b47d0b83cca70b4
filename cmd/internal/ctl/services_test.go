package ctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// helperEnv makes this test binary act as one of dev's programs (see
// TestHelperService) when the supervisor starts it.
const helperEnv = "ANJUNGANCTL_HELPER_SERVICE"

// TestHelperService is not a test: run by the supervisor under a
// program's name, with helperEnv set, it listens on the unix socket of
// its first argument and then behaves as its second says:
//
//	serve      until SIGTERM, then exit 0
//	crash      exit 3 after 300 ms, saying why on stderr
//	stubborn   ignore SIGTERM
//
// Each SIGTERM it receives is appended to the file of its third argument.
func TestHelperService(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("a helper program for the supervisor tests, not a test")
	}
	args := flagArgs()
	sock, mode, record := args[0], args[1], args[2]
	name := filepath.Base(os.Args[0])
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	crash := make(<-chan time.Time)
	if mode == "crash" {
		crash = time.After(300 * time.Millisecond)
	}
	for {
		select {
		case <-crash:
			fmt.Fprintln(os.Stderr, name+": fatal: the disk is on fire")
			ln.Close()
			os.Exit(3)
		case <-term:
			f, err := os.OpenFile(record, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
			if err == nil {
				fmt.Fprintln(f, name)
				f.Close()
			}
			if mode != "stubborn" {
				ln.Close()
				os.Exit(0)
			}
		}
	}
}

// flagArgs returns the arguments after "--".
func flagArgs() []string {
	for i, a := range os.Args {
		if a == "--" {
			return os.Args[i+1:]
		}
	}
	return nil
}

// supervised is a supervisor over helper programs named after modes.
type supervised struct {
	sv     *supervisor
	record string
	stderr *syncBuffer
}

// syncBuffer is a bytes.Buffer the programs' output goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// mustSupervise starts the programs names (each a link to this test
// binary) in order, each in the mode modes gives it.
func mustSupervise(t *testing.T, names []string, modes map[string]string) *supervised {
	t.Helper()
	t.Setenv(helperEnv, "1")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	// Unix socket paths are limited to about 108 bytes, which t.TempDir
	// can exceed.
	socks, err := os.MkdirTemp("", "sv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(socks) })
	s := &supervised{record: filepath.Join(t.TempDir(), "terms"), stderr: &syncBuffer{}}
	s.sv = newSupervisor(bin, s.stderr)
	s.sv.grace = 500 * time.Millisecond
	for _, n := range names {
		if err := os.Symlink(self, filepath.Join(bin, n)); err != nil {
			t.Fatal(err)
		}
		mode := modes[n]
		if mode == "" {
			mode = "serve"
		}
		sock := filepath.Join(socks, n+".sock")
		svc := service{name: n, network: "unix", addr: sock, args: []string{"-test.run=^TestHelperService$", "--", sock, mode, s.record}}
		if err := s.sv.start(t.Context(), svc); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// terms returns the programs that received SIGTERM, in order.
func (s *supervised) terms() []string {
	b, _ := os.ReadFile(s.record)
	return strings.Fields(string(b))
}

// within runs f and fails the test when it takes longer than d: the
// supervisor must never hang.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %s", what, d)
	}
}

// TestSupervisorOneProgramStops: when one program of dev stops, wait
// returns an error naming it and why, and stop ends the others and
// returns; it never hangs.
func TestSupervisorOneProgramStops(t *testing.T) {
	for _, tt := range []struct {
		name  string
		modes map[string]string
		kill  string // a program the test kills
		why   string
	}{
		{"exits with an error", map[string]string{"printerd": "crash"}, "", "exit status 3"},
		{"killed", nil, "printerd", "signal: killed"},
		{"exits with an error, another ignores SIGTERM", map[string]string{"printerd": "crash", "registry-sim": "stubborn"}, "", "exit status 3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSupervise(t, []string{"registry-sim", "printerd", "station"}, tt.modes)
			if tt.kill != "" {
				for _, c := range s.sv.children {
					if c.name == tt.kill {
						_ = c.cmd.Process.Kill()
					}
				}
			}
			var err error
			within(t, 10*time.Second, "wait", func() { err = s.sv.wait(context.Background()) })
			if !errors.Is(err, errProgramStopped) || !strings.Contains(err.Error(), "printerd") || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("wait = %v, want %s naming printerd and %q", err, fault.Code("dev_program_stopped"), tt.why)
			}
			within(t, 10*time.Second, "stop", s.sv.stop)
			for _, c := range s.sv.children {
				if err := c.cmd.Process.Signal(syscall.Signal(0)); err == nil {
					t.Errorf("%s still runs after stop", c.name)
				}
			}
			if got := strings.Join(s.terms(), " "); got != "station registry-sim" {
				t.Errorf("SIGTERM went to %q, want station then registry-sim", got)
			}
		})
	}
}

// TestSupervisorStopsOnCancel: Ctrl-C (ctx canceled) makes wait return
// nil, and stop ends the programs in reverse order of start, killing one
// that ignores SIGTERM after the grace period.
func TestSupervisorStopsOnCancel(t *testing.T) {
	s := mustSupervise(t, []string{"registry-sim", "printerd", "station"}, map[string]string{"printerd": "stubborn"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var err error
	within(t, 10*time.Second, "wait", func() { err = s.sv.wait(ctx) })
	if err != nil {
		t.Errorf("wait after Ctrl-C = %v, want nil", err)
	}
	within(t, 10*time.Second, "stop", s.sv.stop)
	if got := strings.Join(s.terms(), " "); got != "station printerd registry-sim" {
		t.Errorf("SIGTERM went to %q, want station, printerd, registry-sim", got)
	}
	if !strings.Contains(s.stderr.String(), "printerd did not stop") {
		t.Errorf("stderr does not say printerd was killed:\n%s", s.stderr)
	}
}

// TestSupervisorProgramNotReady: a program that exits before it accepts
// connections is named with why.
func TestSupervisorProgramNotReady(t *testing.T) {
	t.Setenv(helperEnv, "1")
	sv := newSupervisor(t.TempDir(), &syncBuffer{})
	defer sv.stop()
	if err := os.Symlink("/bin/false", filepath.Join(sv.bin, "printerd")); err != nil {
		t.Fatal(err)
	}
	var err error
	within(t, 10*time.Second, "start", func() {
		err = sv.start(t.Context(), service{name: "printerd", network: "unix", addr: filepath.Join(t.TempDir(), "none.sock")})
	})
	if !errors.Is(err, errProgramStopped) || !strings.Contains(err.Error(), "printerd") || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("start = %v, want printerd exit status 1", err)
	}
}
