package ipp_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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
	"time"

	"github.com/OpenPrinting/goipp"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/drivertest"
	"github.com/anjungan/anjungan/printerd/internal/pwgraster"
)

func peer(tb testing.TB, prog string) string {
	tb.Helper()
	path, err := exec.LookPath(prog)
	if err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			tb.Fatalf("%s is required: %v", prog, err)
		}
		tb.Skipf("%s is not installed (cups-ipp-utils, dbus, poppler-utils): %v", prog, err)
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

// Rig is one ippeveprinter and the faults its -c script, its /media
// form and its process can produce. It is the printerd.FaultInjector the
// conformance suite drives: the driver under test knows nothing of it.
type Rig struct {
	tb        testing.TB
	bus       string
	Card      bool
	Port      int
	URI       string
	Out       string // documents the printer received
	faultFile string
	holdFile  string // while it exists, a job armed to hang keeps hanging
	frozen    bool   // SIGSTOPped: the printer accepts connections and answers nothing
	cmd       *exec.Cmd
	exited    chan struct{} // closed when cmd ends (killed by the rig or its script)
}

var _ printerd.FaultInjector = (*Rig)(nil)
var _ drivertest.FaultSupport = (*Rig)(nil)

// MustRig starts an ippeveprinter: an A4 printer taking PDF, or a card
// printer (testdata/card.conf) taking only PWG raster.
func MustRig(tb testing.TB, bus string, card bool) *Rig {
	tb.Helper()
	peer(tb, "ippeveprinter")
	peer(tb, "pdftoppm")
	tmp := tb.TempDir()
	r := &Rig{tb: tb, bus: bus, Card: card, Out: filepath.Join(tmp, "out"), faultFile: filepath.Join(tmp, "fault"),
		holdFile: filepath.Join(tmp, "hold")}
	if err := os.Mkdir(r.Out, 0o700); err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r.Port = ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	r.URI = fmt.Sprintf("ipp://localhost:%d/ipp/print", r.Port)
	r.start()
	tb.Cleanup(r.kill)
	return r
}

func (r *Rig) start() {
	r.tb.Helper()
	spool := r.tb.TempDir()
	script, _ := filepath.Abs("testdata/print.sh")
	args := []string{"-r", "off", "-n", "localhost", "-p", fmt.Sprint(r.Port), "-d", spool, "-c", script}
	if r.Card {
		conf, _ := filepath.Abs("testdata/card.conf")
		// With -a, ippeveprinter takes no -f: card.conf lists PWG raster only.
		args = append(args, "-a", conf, "card")
	} else {
		args = append(args, "-f", "application/pdf,image/pwg-raster", "a4")
	}
	cmd := exec.Command("ippeveprinter", args...)
	cmd.Env = append(os.Environ(), "DBUS_SYSTEM_BUS_ADDRESS="+r.bus, "IPP_FAULT="+r.faultFile, "IPP_HOLD="+r.holdFile, "IPP_OUT="+r.Out)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	r.cmd, r.exited = cmd, exited
	// Ready when it answers; a hung start fails at the test's deadline.
	for {
		if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", r.Port)); err == nil {
			_ = resp.Body.Close()
			return
		}
		select {
		case <-exited:
			r.tb.Fatal("ippeveprinter exited at start")
		default:
		}
	}
}

// kill ends the printer and any command it runs (a hung script): they
// share the process group the rig gave ippeveprinter.
func (r *Rig) kill() {
	if r.cmd != nil {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.exited
		r.cmd = nil
	}
	r.frozen = false
}

// Supports implements drivertest.FaultSupport.
func (r *Rig) Supports(f printerd.Fault) error {
	switch f.Kind {
	case printerd.FaultRejectFull:
		// TestRigDropsOutputAreaFull shows it still holds.
		return errors.New("ippeveprinter (CUPS 2.4) keeps printer-state-reasons as a fixed set of keywords " +
			"(cover-open, media-jam, media-empty, marker-supply-empty, spool-area-full, …) and drops any other " +
			"STATE: keyword from its -c command: output-area-full never reaches printer-state-reasons")
	case printerd.FaultEncodeFailure:
		return errors.New("IPP has no card encoding")
	case printerd.FaultFeederEmpty:
		if r.Card {
			return errors.New("the card profile (-a) has no tray for the /media form, and a media-empty set by the script blocks the job that would clear it")
		}
	case printerd.FaultRibbonEmpty, printerd.FaultCoverOpen:
		if f.At == printerd.FaultAfterPrint {
			return errors.New("the fault table has no such point")
		}
	}
	return nil
}

// InjectFault implements printerd.FaultInjector.
func (r *Rig) InjectFault(ctx context.Context, f printerd.Fault) error {
	e, err := f.Effect()
	if err != nil {
		return err
	}
	if err := r.Supports(f); err != nil {
		return printerd.ErrFaultUnsupported.With(err)
	}
	switch {
	case f.Kind == printerd.FaultOffline && f.At == printerd.FaultBeforePrint:
		r.kill()
		return nil
	case f.Kind == printerd.FaultOffline && f.At == printerd.FaultDuringPrint:
		return r.arm("kill")
	case f.Kind == printerd.FaultOffline:
		return r.arm("printed-kill")
	case f.Kind == printerd.FaultTimeout && f.At == printerd.FaultBeforePrint:
		// A hung printer: the kernel still accepts connections, nothing
		// answers, so the driver's status read before the job times out.
		if r.cmd == nil {
			return errors.New("the printer is not running")
		}
		if err := r.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			return err
		}
		r.frozen = true
		return nil
	case f.Kind == printerd.FaultTimeout:
		// The script hangs on this job (after printing it, at
		// after-print) until ClearFaults: far past the driver's
		// job-timeout.
		if err := os.WriteFile(r.holdFile, nil, 0o600); err != nil {
			return err
		}
		if f.At == printerd.FaultDuringPrint {
			return r.arm("hang")
		}
		return r.arm("printed-hang")
	case f.Kind == printerd.FaultFeederEmpty && !r.Card:
		// The /media form: the main tray holds A4, zero sheets.
		return r.media(0)
	case f.At == printerd.FaultBeforePrint:
		// A rig job through the script puts the reason on the printer,
		// as the printer's own sensor would.
		if err := r.arm("set " + e.Reason); err != nil {
			return err
		}
		return r.job(ctx)
	case f.At == printerd.FaultDuringPrint:
		return r.arm("fail " + e.Reason)
	default:
		return r.arm("printed-fail " + e.Reason)
	}
}

// ClearFaults implements printerd.FaultInjector: what an officer does.
func (r *Rig) ClearFaults(ctx context.Context) error {
	_ = os.Remove(r.faultFile)
	_ = os.Remove(r.holdFile) // a hung job ends (canceled, if the driver asked)
	if r.frozen {
		if err := r.cmd.Process.Signal(syscall.SIGCONT); err != nil {
			return err
		}
		r.frozen = false
	}
	if r.cmd != nil {
		// A refused connection means the script killed the printer: its
		// listener is gone though the process may not be reaped yet.
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.Port)); err == nil {
			c.Close()
		} else {
			select {
			case <-r.exited:
				r.cmd = nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if r.cmd == nil {
		r.start()
	}
	if !r.Card {
		if err := r.media(250); err != nil {
			return err
		}
	}
	if err := r.arm("clear"); err != nil {
		return err
	}
	return r.job(ctx)
}

func (r *Rig) arm(line string) error { return os.WriteFile(r.faultFile, []byte(line+"\n"), 0o600) }

func (r *Rig) media(level int) error {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/media?size1=iso_a4_210x297mm&type1=stationery&level1=%d&size3=&type3=&level3=-2", r.Port, level))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/media: %s", resp.Status)
	}
	// ippeveprinter sends the status line before it applies the form and
	// the page after: the change is made once the whole page is read.
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("/media: %w", err)
	}
	return nil
}

// job prints a rig document and waits for it to end; the script acts on
// the armed line.
func (r *Rig) job(ctx context.Context) error {
	doc, format := []byte(nil), "application/pdf"
	if r.Card {
		var buf bytes.Buffer
		if err := pwgraster.Encode(&buf, []pwgraster.Page{{Width: 1, Height: 1, DPI: 300, Pix: []byte{255, 255, 255}}}); err != nil {
			return err
		}
		doc, format = buf.Bytes(), "image/pwg-raster"
	} else {
		doc = drivertest.Document(printerd.MediaA4)
	}
	req := rigRequest(r.URI, goipp.OpPrintJob)
	req.Operation.Add(goipp.MakeAttribute("job-name", goipp.TagName, goipp.String("rig")))
	req.Operation.Add(goipp.MakeAttribute("document-format", goipp.TagMimeType, goipp.String(format)))
	var resp *goipp.Message
	for {
		var err error
		if resp, err = r.post(ctx, req, doc); err != nil {
			return fmt.Errorf("rig job: %w", err)
		}
		// Busy until a job that hung ends: wait for it as a client must.
		if goipp.Status(resp.Code) != goipp.StatusErrorBusy {
			break
		}
		if err := pause(ctx); err != nil {
			return fmt.Errorf("rig job: %w", err)
		}
	}
	var id goipp.Value
	for _, a := range resp.Job {
		if a.Name == "job-id" && len(a.Values) > 0 {
			id = a.Values[0].V
		}
	}
	if id == nil {
		return fmt.Errorf("rig job: no job-id (status %s)", goipp.Status(resp.Code))
	}
	for {
		req := rigRequest(r.URI, goipp.OpGetJobAttributes)
		req.Operation.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, id))
		resp, err := r.post(ctx, req, nil)
		if err != nil {
			return fmt.Errorf("rig job: %w", err)
		}
		for _, a := range resp.Job {
			if a.Name == "job-state" && len(a.Values) > 0 {
				if st, ok := a.Values[0].V.(goipp.Integer); ok && st >= 7 {
					return r.dropRigOutput()
				}
			}
		}
		if err := pause(ctx); err != nil {
			return err
		}
	}
}

// pause waits between two polls of the printer; it is not a timed
// assertion.
func pause(ctx context.Context) error {
	t := time.NewTimer(10 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// dropRigOutput removes what the rig's own jobs printed: it is not what
// the driver printed.
func (r *Rig) dropRigOutput() error {
	files, _ := filepath.Glob(filepath.Join(r.Out, "*rig*"))
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	return nil
}

func rigRequest(uri string, op goipp.Op) *goipp.Message {
	m := goipp.NewRequest(goipp.DefaultVersion, op, 1)
	m.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	m.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	m.Operation.Add(goipp.MakeAttribute("printer-uri", goipp.TagURI, goipp.String(uri)))
	m.Operation.Add(goipp.MakeAttribute("requesting-user-name", goipp.TagName, goipp.String("rig")))
	return m
}

func (r *Rig) post(ctx context.Context, m *goipp.Message, doc []byte) (*goipp.Message, error) {
	b, err := m.EncodeBytes()
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/ipp/print", r.Port), bytes.NewReader(append(b, doc...)))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", goipp.ContentType)
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out goipp.Message
	if err := out.Decode(resp.Body); err != nil {
		return nil, err
	}
	return &out, nil
}

// printerJob is one job as the printer lists it.
type printerJob struct {
	ID      int // the printer's job-id
	Name    string
	State   int
	Reasons []string
}

// jobs lists every job the printer knows (Get-Jobs, which-jobs=all).
func (r *Rig) jobs(ctx context.Context) ([]printerJob, error) {
	req := rigRequest(r.URI, goipp.OpGetJobs)
	req.Operation.Add(goipp.MakeAttribute("which-jobs", goipp.TagKeyword, goipp.String("all")))
	var want goipp.Values
	for _, a := range []string{"job-id", "job-name", "job-state", "job-state-reasons"} {
		want.Add(goipp.TagKeyword, goipp.String(a))
	}
	req.Operation.Add(goipp.Attribute{Name: "requested-attributes", Values: want})
	resp, err := r.post(ctx, req, nil)
	if err != nil {
		return nil, err
	}
	if st := goipp.Status(resp.Code); st >= 0x0100 {
		return nil, fmt.Errorf("Get-Jobs: %s", st)
	}
	var out []printerJob
	for _, g := range resp.Groups {
		if g.Tag != goipp.TagJobGroup {
			continue
		}
		var j printerJob
		for _, a := range g.Attrs {
			for _, v := range a.Values {
				switch a.Name {
				case "job-id":
					if n, ok := v.V.(goipp.Integer); ok {
						j.ID = int(n)
					}
				case "job-name":
					j.Name = v.V.String()
				case "job-state":
					if n, ok := v.V.(goipp.Integer); ok {
						j.State = int(n)
					}
				case "job-state-reasons":
					j.Reasons = append(j.Reasons, v.V.String())
				}
			}
		}
		out = append(out, j)
	}
	return out, nil
}
