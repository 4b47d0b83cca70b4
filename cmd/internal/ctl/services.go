package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// errProgramStopped is one of dev's programs that exited while dev ran
// (or before it was ready); its cause names the program and how it ended.
var errProgramStopped = fault.New("dev_program_stopped",
	"Salah satu program berhenti; program lainnya ikut dihentikan.",
	"One of the programs stopped; the others were stopped too.")

// service is a program dev runs: its file in the bin folder, where it
// accepts connections once it is ready, and its arguments.
type service struct {
	name          string
	network, addr string
	args          []string
}

// child is a started program.
type child struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{} // closed once the program has exited and err is set
	err    error         // what cmd.Wait returned
}

// ended says how c ended, once exited is closed.
func (c *child) ended() error {
	if c.err == nil {
		return errProgramStopped.Withf("%s exited on its own (exit status 0)", c.name)
	}
	return errProgramStopped.Withf("%s: %v", c.name, c.err)
}

// supervisor runs dev's programs and stops them. Each exit is seen by any
// number of readers (exited is closed, never drained), so stopping after
// a program died cannot wait for an exit already taken.
type supervisor struct {
	bin      string
	stderr   io.Writer
	ready    time.Duration // how long a program may take to accept connections
	grace    time.Duration // how long a program may take to stop after SIGTERM
	children []*child
	first    chan *child // each child once, as it exits
}

func newSupervisor(bin string, stderr io.Writer) *supervisor {
	return &supervisor{bin: bin, stderr: stderr, ready: 60 * time.Second, grace: 10 * time.Second, first: make(chan *child, 16)}
}

// start starts s and waits until it accepts connections.
func (sv *supervisor) start(ctx context.Context, s service) error {
	c := &child{name: s.name, cmd: exec.Command(filepath.Join(sv.bin, s.name), s.args...), exited: make(chan struct{})}
	c.cmd.Stdout, c.cmd.Stderr = sv.stderr, sv.stderr
	// A process group of its own: Ctrl-C at the terminal reaches dev
	// alone, which stops the programs in order, rather than all at once.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w (run `make build` first)", s.name, err)
	}
	sv.children = append(sv.children, c)
	go func() {
		c.err = c.cmd.Wait()
		close(c.exited)
		sv.first <- c
	}()
	return sv.waitReady(ctx, c, s)
}

// waitReady waits until the child accepts connections.
func (sv *supervisor) waitReady(ctx context.Context, c *child, s service) error {
	ctx, cancel := context.WithTimeout(ctx, sv.ready)
	defer cancel()
	for {
		if conn, err := net.Dial(s.network, s.addr); err == nil {
			conn.Close()
			return nil
		}
		// One started earlier may die meanwhile: no point waiting on.
		for _, o := range sv.children {
			select {
			case <-o.exited:
				if o != c {
					return o.ended()
				}
			default:
			}
		}
		select {
		case <-c.exited:
			return errProgramStopped.Withf("%s exited before it was ready: %v", c.name, c.err)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready on %s: %w", c.name, s.addr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// wait returns nil when ctx ends (Ctrl-C, SIGTERM), or errProgramStopped
// naming the first program that exits.
func (sv *supervisor) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case c := <-sv.first:
		fmt.Fprintf(sv.stderr, "anjunganctl dev: %s stopped (%v); stopping the others\n", c.name, c.err)
		return c.ended()
	}
}

// stopped returns errProgramStopped for a program that has exited, or
// err when none has: a setup step that failed because a program died is
// reported as that program's end.
func (sv *supervisor) stopped(err error) error {
	for _, c := range sv.children {
		select {
		case <-c.exited:
			return c.ended()
		default:
		}
	}
	return err
}

// stop asks every running child to stop (SIGTERM), in reverse order of
// start, and kills one that has not stopped after the grace period; a
// second Ctrl-C or SIGTERM kills the rest at once. It returns once every
// child has exited.
func (sv *supervisor) stop() {
	hurry := make(chan os.Signal, 1)
	signal.Notify(hurry, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(hurry)
	now := false
	for i := len(sv.children) - 1; i >= 0; i-- {
		c := sv.children[i]
		select {
		case <-c.exited:
			continue
		default:
		}
		if !now {
			_ = c.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-c.exited:
			case <-time.After(sv.grace):
				fmt.Fprintf(sv.stderr, "%s did not stop within %s; killing it\n", c.name, sv.grace)
			case <-hurry:
				fmt.Fprintln(sv.stderr, "killing the programs still running")
				now = true
			}
		}
		_ = c.cmd.Process.Kill() // a no-op error once it has exited
		<-c.exited
		var ee *exec.ExitError
		if c.err != nil && !errors.As(c.err, &ee) {
			fmt.Fprintf(sv.stderr, "%s: %v\n", c.name, c.err)
		}
	}
}
