package vendorexec_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/smartcard/ektp"
	"github.com/anjungan/anjungan/station/smartcard/vendorexec"
)

var readers = ektp.Readers{Card: "Reader A 00", SAM: "SAM B 01"}

// mustReader makes a Reader for a script in testdata. The timeout only
// stops a hung test; the tests of the timeout set their own.
func mustReader(tb testing.TB, script string, edit func(*vendorexec.Config)) *vendorexec.Reader {
	tb.Helper()
	cfg := vendorexec.Config{
		Program: filepath.Join("testdata", script),
		Args:    []string{"--vendor-opt"},
		Timeout: time.Minute,
		Grace:   100 * time.Millisecond,
		Rand:    bytes.NewReader(bytes.Repeat([]byte{0xab}, 8)),
		Logger:  zerolog.New(zerolog.NewTestWriter(tb)),
	}
	if edit != nil {
		edit(&cfg)
	}
	r, err := vendorexec.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestReadIdentityOK(t *testing.T) {
	var log bytes.Buffer
	r := mustReader(t, "ok.sh", func(c *vendorexec.Config) {
		c.Logger = zerolog.New(&log).Level(zerolog.DebugLevel)
	})
	id, err := r.ReadIdentity(context.Background(), readers)
	if err != nil {
		t.Fatal(err)
	}
	want := ektp.Identity{NIK: station.MustParseNIK("3171012503900001"), CardSerial: "0102030405060708",
		Issuer: "dukcapil-test", IssuedAt: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)}
	if id.NIK != want.NIK || id.CardSerial != want.CardSerial || id.Issuer != want.Issuer || !id.IssuedAt.Equal(want.IssuedAt) {
		t.Errorf("identity = %+v, want %+v", id, want)
	}
	out := log.String()
	for _, s := range []string{"args: --vendor-opt Reader A 00 SAM B 01", "request abababababababab", "read NIK [digits]"} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "3171012503900001") {
		t.Errorf("log holds the raw NIK:\n%s", out)
	}
}

func TestReadIdentityFails(t *testing.T) {
	for _, tt := range []struct {
		script string
		env    string
		want   *fault.Error
		cause  string // in the error text
	}{
		{"card-lost.sh", "", station.ErrCardUnreadable, `"card_lost" (exit 1)`},
		{"reports-error.sh", "not_ektp", ektp.ErrNotEKTP, "exit 3"},
		{"reports-error.sh", "sam_unavailable", ektp.ErrSAMUnavailable, ""},
		{"reports-error.sh", "not_genuine", ektp.ErrCardNotGenuine, ""},
		{"reports-error.sh", "printer_on_fire", vendorexec.ErrProgramFailed, `"printer_on_fire"`},
		{"reports-error.sh", "", vendorexec.ErrProgramFailed, `error ""`},
		{"garbage.sh", "", vendorexec.ErrProgramFailed, "exit 0"},
		{"huge-output.sh", "", vendorexec.ErrProgramFailed, "stdout over 65536 bytes"},
		{"two-objects.sh", "", vendorexec.ErrProgramFailed, "more than one JSON value"},
		{"bad-nik.sh", "", vendorexec.ErrProgramFailed, "nik_invalid"},
		{"exit-1-no-json.sh", "", vendorexec.ErrProgramFailed, "exit 1"},
		{"killed.sh", "", vendorexec.ErrProgramFailed, "signal: killed"},
		{"identity-exit-2.sh", "", vendorexec.ErrProgramFailed, "identity with exit 2"},
	} {
		t.Run(tt.script+"/"+tt.env, func(t *testing.T) {
			r := mustReader(t, tt.script, func(c *vendorexec.Config) { c.Env = []string{"VENDOR_ERROR=" + tt.env} })
			id, err := r.ReadIdentity(context.Background(), readers)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %s", err, tt.want.Code)
			}
			if !strings.Contains(err.Error(), tt.cause) {
				t.Errorf("err = %v, want it to say %q", err, tt.cause)
			}
			if !id.NIK.IsZero() {
				t.Errorf("failed read yields NIK %v", id.NIK)
			}
		})
	}
}

func TestReportedErrorCause(t *testing.T) {
	r := mustReader(t, "card-lost.sh", nil)
	_, err := r.ReadIdentity(context.Background(), readers)
	var pe *vendorexec.ProgramError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *ProgramError cause", err)
	}
	if *pe != (vendorexec.ProgramError{Code: "card_lost", Message: "no answer at APDU 4", Exit: 1}) {
		t.Errorf("cause = %+v", *pe)
	}
}

func TestTimeoutKillsGroup(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	r := mustReader(t, "slow.sh", func(c *vendorexec.Config) {
		c.Timeout = 300 * time.Millisecond
		c.Env = []string{"PIDFILE=" + pidfile}
	})
	_, err := r.ReadIdentity(context.Background(), readers)
	if !errors.Is(err, vendorexec.ErrProgramFailed) || !strings.Contains(err.Error(), "no answer within 300ms") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	// The helper exists only if the script got that far before the
	// timeout; TestCancelKillsGroup checks it deterministically.
	if _, err := os.Stat(pidfile); err == nil {
		mustDie(t, pidfile)
	}
}

func TestCancelKillsGroup(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	r := mustReader(t, "slow.sh", func(c *vendorexec.Config) { c.Env = []string{"PIDFILE=" + pidfile} })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := r.ReadIdentity(ctx, readers)
		done <- err
	}()
	waitFor(t, func() bool { _, err := os.Stat(pidfile); return err == nil })
	cancel()
	if err := <-done; !errors.Is(err, station.ErrCardUnreadable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want card_unreadable from the cancel", err)
	}
	mustDie(t, pidfile)
}

func TestCanceledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := mustReader(t, "ok.sh", nil).ReadIdentity(ctx, readers)
	if !errors.Is(err, station.ErrCardUnreadable) {
		t.Fatalf("err = %v, want card_unreadable", err)
	}
}

func TestOrphanHoldingStdout(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	r := mustReader(t, "orphan.sh", func(c *vendorexec.Config) { c.Env = []string{"PIDFILE=" + pidfile} })
	id, err := r.ReadIdentity(context.Background(), readers)
	if err != nil {
		t.Fatal(err)
	}
	if id.NIK != station.MustParseNIK("3171012503900001") {
		t.Errorf("NIK = %v", id.NIK)
	}
	mustDie(t, pidfile)
}

func TestNewRefusesMissingProgram(t *testing.T) {
	for _, p := range []string{"", filepath.Join("testdata", "no-such-program.sh")} {
		if _, err := vendorexec.New(vendorexec.Config{Program: p}); err == nil {
			t.Errorf("New(%q) succeeded", p)
		}
	}
}

// mustDie waits until the process whose pid is in pidfile is gone (or a
// zombie nobody reaped yet); the test's own deadline stops a hang.
func mustDie(tb testing.TB, pidfile string) {
	tb.Helper()
	b, err := os.ReadFile(pidfile)
	if err != nil {
		tb.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		tb.Fatal(err)
	}
	waitFor(tb, func() bool {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true
		}
		// pid (comm) S ...: the state follows the last ')'.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
	})
}

// waitFor polls cond; it fails only when the process would hang.
func waitFor(tb testing.TB, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatal("condition not reached within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkReadIdentity measures one read through ok.sh: starting a
// shell dominates; Decode is BenchmarkDecode.
func BenchmarkReadIdentity(b *testing.B) {
	r := mustReader(b, "ok.sh", func(c *vendorexec.Config) { c.Rand = zeros{}; c.Logger = zerolog.Nop() })
	for b.Loop() {
		if _, err := r.ReadIdentity(context.Background(), readers); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	out := []byte(`{"nik": "3171012503900001", "card_serial": "0102030405060708", "issuer": "dukcapil-test", "issued_at": "2020-01-02T00:00:00Z"}`)
	for b.Loop() {
		if _, err := vendorexec.Decode(out); err != nil {
			b.Fatal(err)
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
