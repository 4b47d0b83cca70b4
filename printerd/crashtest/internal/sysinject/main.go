//go:build linux && amd64

// Command sysinject is printerd/crashtest's syscall fault injector. It
// attaches to every thread of a running process (ptrace), counts the
// calls of chosen syscalls on chosen paths across all its threads, and at
// the Nth one kills the process or fails that one call with an errno.
//
// strace -e inject=…:when=N counts per thread ("accounting … is done per
// syscall and per tracee"), and a Go program makes the same call from
// whichever thread runs the goroutine: N then names no particular call,
// and an error injected at N fails the Nth call of every thread that gets
// that far. Counting across threads makes "the Nth fsync of the journal
// after start-up" one call, the same in every run of the same workload.
//
//	sysinject -pid PID -syscalls fsync,pwrite64 -path /data/ -exclude -shm [-at N -kill | -at N -errno EIO [-all]] [-log FILE]
//
// It prints "attached" on stdout once every thread is traced. With -at 0
// it only counts. Each matching call is logged as "N syscall path", the
// ones acted on with " KILL" or " ERRNO". After an errno it detaches and
// exits, unless -all fails every matching call from the Nth on (a disk
// that keeps failing); otherwise it exits when the process does.
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

func init() { runtime.LockOSThread() } // ptrace requests come from the tracing thread

const (
	ptraceSeize         = 0x4206
	ptraceInterrupt     = 0x4207
	ptraceGetSyscallInf = 0x420e
	ptraceEventStop     = 128
	syscallInfoEntry    = 1
	syscallInfoExit     = 2
	traceOptions        = syscall.PTRACE_O_TRACESYSGOOD | syscall.PTRACE_O_TRACECLONE | syscall.PTRACE_O_TRACEFORK | syscall.PTRACE_O_TRACEVFORK
)

// numbers are the syscalls sysinject knows (linux/amd64), and how each
// names its file: the fd argument, or a path argument (with its dirfd).
var numbers = map[string]struct {
	nr            uint64
	fd, path, dir int // argument indexes; -1 when none
}{
	"write":     {1, 0, -1, -1},
	"pwrite64":  {18, 0, -1, -1},
	"fsync":     {74, 0, -1, -1},
	"fdatasync": {75, 0, -1, -1},
	"ftruncate": {77, 0, -1, -1},
	"rename":    {82, -1, 1, -1},
	"unlink":    {87, -1, 0, -1},
	"unlinkat":  {263, -1, 1, 0},
	"renameat":  {264, -1, 3, 2},
	"renameat2": {316, -1, 3, 2},
}

type tracer struct {
	pid      int
	calls    map[uint64]string // syscall number → name
	paths    []string
	excludes []string
	at       int
	kill     bool
	errno    syscall.Errno
	all      bool // fail every matching call from the at-th on
	log      *bufio.Writer
	mem      *os.File

	count     int
	threads   map[int]bool // seized, not yet gone
	injecting map[int]bool // the threads whose call is being failed
	detaching bool
}

func main() {
	t := &tracer{calls: map[uint64]string{}, threads: map[int]bool{}, injecting: map[int]bool{}}
	var syscalls, errno, logName string
	flag.IntVar(&t.pid, "pid", 0, "process to trace")
	flag.StringVar(&syscalls, "syscalls", "fsync,fdatasync,write,pwrite64", "syscalls to count: "+strings.Join(known(), ","))
	flag.Func("path", "count only calls on files under this prefix (repeatable; none: every file)", func(s string) error {
		t.paths = append(t.paths, s)
		return nil
	})
	flag.Func("exclude", "do not count calls on files ending so (repeatable)", func(s string) error {
		t.excludes = append(t.excludes, s)
		return nil
	})
	flag.IntVar(&t.at, "at", 0, "act on the Nth matching call; 0 only counts")
	flag.BoolVar(&t.kill, "kill", false, "kill the process (SIGKILL) at the Nth call, before it runs")
	flag.StringVar(&errno, "errno", "", "fail the Nth call with this error (EIO, ENOSPC) instead of running it")
	flag.BoolVar(&t.all, "all", false, "with -errno: fail every matching call from the Nth on, and stay attached")
	flag.StringVar(&logName, "log", "", "log each matching call to this file")
	flag.Parse()
	if err := t.setup(syscalls, errno, logName); err != nil {
		fmt.Fprintln(os.Stderr, "sysinject:", err)
		os.Exit(2)
	}
	err := t.run()
	if t.log != nil {
		fmt.Fprintf(t.log, "calls %d\n", t.count)
		err = errors.Join(err, t.log.Flush())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sysinject:", err)
		os.Exit(1)
	}
}

func known() []string {
	var ks []string
	for k := range numbers {
		ks = append(ks, k)
	}
	return ks
}

func (t *tracer) setup(syscalls, errno, logName string) error {
	if t.pid <= 0 {
		return errors.New("no -pid")
	}
	for _, s := range strings.Split(syscalls, ",") {
		n, ok := numbers[s]
		if !ok {
			return fmt.Errorf("unknown syscall %q", s)
		}
		t.calls[n.nr] = s
	}
	switch errno {
	case "":
	case "EIO":
		t.errno = syscall.EIO
	case "ENOSPC":
		t.errno = syscall.ENOSPC
	default:
		return fmt.Errorf("errno %q: EIO or ENOSPC", errno)
	}
	if t.at > 0 && t.kill == (t.errno != 0) {
		return errors.New("-at needs one of -kill and -errno")
	}
	if t.all && t.errno == 0 {
		return errors.New("-all needs -errno")
	}
	if logName != "" {
		f, err := os.Create(logName)
		if err != nil {
			return err
		}
		t.log = bufio.NewWriter(f)
	}
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", t.pid))
	if err != nil {
		return err
	}
	t.mem = mem
	return nil
}

func ptrace(req, tid int, addr, data uintptr) error {
	_, _, e := syscall.Syscall6(syscall.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// attach seizes every thread, again until no new one appears (a thread
// not yet seized may start another), and interrupts each.
func (t *tracer) attach() (map[int]bool, error) {
	pending := map[int]bool{}
	for {
		entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", t.pid))
		if err != nil {
			return nil, err
		}
		found := false
		for _, e := range entries {
			tid, err := strconv.Atoi(e.Name())
			if err != nil || t.threads[tid] {
				continue
			}
			if err := ptrace(ptraceSeize, tid, 0, traceOptions); err != nil {
				if errors.Is(err, syscall.ESRCH) {
					continue // gone meanwhile
				}
				return nil, fmt.Errorf("seize %d: %w", tid, err)
			}
			t.threads[tid], pending[tid], found = true, true, true
			if err := ptrace(ptraceInterrupt, tid, 0, 0); err != nil && !errors.Is(err, syscall.ESRCH) {
				return nil, fmt.Errorf("interrupt %d: %w", tid, err)
			}
		}
		if !found {
			return pending, nil
		}
	}
}

func (t *tracer) run() error {
	pending, err := t.attach()
	if err != nil {
		return err
	}
	attached := false
	for {
		if !attached && len(pending) == 0 {
			// Every thread has stopped once and runs traced again.
			fmt.Println("attached")
			attached = true
		}
		if t.detaching && len(t.threads) == 0 {
			return nil
		}
		var ws syscall.WaitStatus
		tid, err := syscall.Wait4(-1, &ws, syscall.WALL, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if errors.Is(err, syscall.ECHILD) {
			return nil // every thread is gone
		}
		if err != nil {
			return err
		}
		delete(pending, tid)
		if ws.Exited() || ws.Signaled() {
			delete(t.threads, tid)
			continue
		}
		if !ws.Stopped() {
			continue
		}
		t.threads[tid] = true // a new thread may report before its clone event
		sig := ws.StopSignal()
		event := int(ws) >> 16 & 0xff
		var deliver syscall.Signal
		switch {
		case sig == syscall.SIGTRAP|0x80:
			if stop, err := t.syscallStop(tid); err != nil {
				return err
			} else if stop {
				continue // killed: it will report its death
			}
		case event != 0: // an interrupt, a new thread, a clone
		default:
			deliver = sig // a signal on its way to the thread
		}
		t.resume(tid, deliver)
	}
}

func (t *tracer) resume(tid int, sig syscall.Signal) {
	req := syscall.PTRACE_SYSCALL
	if t.detaching && !t.injecting[tid] {
		req = syscall.PTRACE_DETACH
		delete(t.threads, tid)
	}
	if err := ptrace(req, tid, 0, uintptr(sig)); err != nil && !errors.Is(err, syscall.ESRCH) {
		fmt.Fprintf(os.Stderr, "sysinject: resume %d: %v\n", tid, err)
	}
}

// syscallStop handles a syscall entry or exit of tid. It reports whether
// the process was killed.
func (t *tracer) syscallStop(tid int) (bool, error) {
	var info [88]byte
	if err := ptrace(ptraceGetSyscallInf, tid, uintptr(len(info)), uintptr(unsafe.Pointer(&info[0]))); errors.Is(err, syscall.ESRCH) {
		return false, nil // killed in the stop (another thread exited the process): it reports its death
	} else if err != nil {
		return false, fmt.Errorf("syscall info of %d: %w", tid, err)
	}
	switch info[0] {
	case syscallInfoExit:
		if t.injecting[tid] {
			err := setRegs(tid, func(r *syscall.PtraceRegs) { r.Rax = uint64(-int64(t.errno)) })
			delete(t.injecting, tid)
			if !t.all {
				t.startDetach()
			}
			return false, err
		}
		return false, nil
	case syscallInfoEntry:
	default:
		return false, nil
	}
	if t.at > 0 && t.count >= t.at && !t.all {
		return false, nil // acted already
	}
	nr := binary.LittleEndian.Uint64(info[24:])
	name, ok := t.calls[nr]
	if !ok {
		return false, nil
	}
	var args [6]uint64
	for i := range args {
		args[i] = binary.LittleEndian.Uint64(info[32+8*i:])
	}
	path := t.pathOf(name, args)
	if !t.matches(path) {
		return false, nil
	}
	t.count++
	act := t.at > 0 && (t.count == t.at || t.all && t.count > t.at)
	what := ""
	switch {
	case act && t.kill:
		what = " KILL"
	case act:
		what = " ERRNO " + t.errno.Error()
	}
	if t.log != nil {
		fmt.Fprintf(t.log, "%d %s %s%s\n", t.count, name, path, what)
	}
	if !act {
		return false, nil
	}
	if t.kill {
		// At the entry stop: the call never runs.
		return true, syscall.Kill(t.pid, syscall.SIGKILL)
	}
	t.injecting[tid] = true
	// No such call: the kernel skips it, and its exit gets the errno.
	return false, setRegs(tid, func(r *syscall.PtraceRegs) { r.Orig_rax = ^uint64(0) })
}

// setRegs changes a stopped thread's registers. A thread killed in its
// stop (another thread exited the process) is no error.
func setRegs(tid int, change func(*syscall.PtraceRegs)) error {
	var regs syscall.PtraceRegs
	err := syscall.PtraceGetRegs(tid, &regs)
	if err == nil {
		change(&regs)
		err = syscall.PtraceSetRegs(tid, &regs)
	}
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// startDetach interrupts every thread; each is detached at its next stop.
func (t *tracer) startDetach() {
	t.detaching = true
	for tid := range t.threads {
		_ = ptrace(ptraceInterrupt, tid, 0, 0)
	}
}

func (t *tracer) pathOf(name string, args [6]uint64) string {
	n := numbers[name]
	if n.fd >= 0 {
		p, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", t.pid, int32(args[n.fd])))
		if err != nil {
			return "?"
		}
		return p
	}
	p := t.readString(args[n.path])
	if !filepath.IsAbs(p) && n.dir >= 0 && int32(args[n.dir]) != -100 { // AT_FDCWD
		if d, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", t.pid, int32(args[n.dir]))); err == nil {
			p = filepath.Join(d, p)
		}
	}
	return p
}

func (t *tracer) readString(addr uint64) string {
	buf := make([]byte, 4096)
	n, _ := t.mem.ReadAt(buf, int64(addr))
	if i := strings.IndexByte(string(buf[:n]), 0); i >= 0 {
		return string(buf[:i])
	}
	return string(buf[:n])
}

func (t *tracer) matches(path string) bool {
	for _, x := range t.excludes {
		if strings.HasSuffix(path, x) {
			return false
		}
	}
	if len(t.paths) == 0 {
		return true
	}
	for _, p := range t.paths {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}
