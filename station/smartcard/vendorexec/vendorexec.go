// Package vendorexec is the ektp.Vendor that runs a licensed vendor's
// program to read an e-KTP, once per card:
//
//	program [ARGS...] CARD_READER SAM_READER
//
// ARGS come from the configuration; the reader names are PC/SC reader
// names (SAM_READER may be ""). The environment is the station's plus
// Config.Env plus ANJUNGAN_REQUEST_ID, a random id the station logs with
// the outcome so a vendor can match its own logs.
//
// The program prints ONE JSON object on stdout and exits: on success with
// status 0 and
//
//	{"nik": "3171012503900001", "card_serial": "0102030405060708",
//	 "issuer": "...", "issued_at": "2020-01-02T00:00:00Z"}
//
// and on failure with a non-zero status and
//
//	{"error": "card_lost", "message": "for the log"}
//
// error is one of card_lost, not_ektp, sam_unavailable, not_genuine (see
// docs/card-profile.md, "Vendor programs"). stderr is logged, capped and
// masked, and never read as an identity.
package vendorexec

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"regexp"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/smartcard/ektp"
)

// Limits on what the program may print. An identity object is a few
// hundred bytes; anything near the cap is a broken program.
const (
	MaxStdout = 64 << 10
	MaxStderr = 8 << 10
)

// EnvRequestID names the environment variable that carries the request id.
const EnvRequestID = "ANJUNGAN_REQUEST_ID"

// ErrProgramFailed is a vendor program that did not answer by the
// contract: it crashed, hung, printed something else than one valid JSON
// object, or reported an error code the station does not know. The
// cause says which, for the log.
var ErrProgramFailed = fault.New("card_reader_failed",
	"Pembaca KTP-el mengalami gangguan. Silakan coba lagi, atau hubungi petugas / gunakan tiket QR.",
	"The e-KTP reader has a problem. Please try again, or ask an officer / use your QR ticket.")

// ProgramError is the cause of an error a program reported: its code and
// message (masked), and its exit status (-1 after a signal).
type ProgramError struct {
	Code    string
	Message string
	Exit    int
}

func (e *ProgramError) Error() string {
	return fmt.Sprintf("vendor program: error %q (exit %d): %s", e.Code, e.Exit, e.Message)
}

// errorCodes maps the codes a program reports to the errors a citizen sees.
var errorCodes = map[string]*fault.Error{
	"card_lost":       station.ErrCardUnreadable,
	"not_ektp":        ektp.ErrNotEKTP,
	"sam_unavailable": ektp.ErrSAMUnavailable,
	"not_genuine":     ektp.ErrCardNotGenuine,
}

// Config configures a Reader.
type Config struct {
	Program string   // path of the vendor program
	Args    []string // arguments before the reader names
	Env     []string // extra environment, "KEY=value"
	// Timeout bounds one read, from start to exit. Default 10 s.
	Timeout time.Duration
	// Grace is how long the program has to exit after SIGTERM before its
	// process group is killed. Default 1 s.
	Grace  time.Duration
	Rand   io.Reader // request ids; default crypto/rand
	Logger zerolog.Logger
}

// Reader reads cards by running the vendor program. It is safe for
// concurrent use; each call runs its own process.
type Reader struct {
	cfg Config
}

var _ ektp.Vendor = (*Reader)(nil)

// New checks cfg and finds the program.
func New(cfg Config) (*Reader, error) {
	if cfg.Program == "" {
		return nil, errors.New("vendorexec: no program")
	}
	path, err := osexec.LookPath(cfg.Program)
	if err != nil {
		return nil, fmt.Errorf("vendorexec: %w", err)
	}
	cfg.Program = path
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = time.Second
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Reader{cfg: cfg}, nil
}

// ReadIdentity implements ektp.Vendor: it runs the program once and
// returns the identity it printed, or the error it reported.
func (r *Reader) ReadIdentity(ctx context.Context, rd ektp.Readers) (ektp.Identity, error) {
	var idb [8]byte
	if _, err := io.ReadFull(r.cfg.Rand, idb[:]); err != nil {
		return ektp.Identity{}, fault.Internal.With(err)
	}
	reqID := hex.EncodeToString(idb[:])
	log := r.cfg.Logger.With().Str("request_id", reqID).Logger()

	runCtx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	stdout := &capped{max: MaxStdout, full: cancel} // a flood stops the program at once
	stderr := &capped{max: MaxStderr}
	cmd := osexec.CommandContext(runCtx, r.cfg.Program, append(r.cfg.Args[:len(r.cfg.Args):len(r.cfg.Args)], rd.Card, rd.SAM)...)
	cmd.Env = append(append(os.Environ(), r.cfg.Env...), EnvRequestID+"="+reqID)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Its own process group, so a timeout also stops whatever the
	// program started (a helper may hold the card reader).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = r.cfg.Grace

	if err := ctx.Err(); err != nil {
		return ektp.Identity{}, station.ErrCardUnreadable.With(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return ektp.Identity{}, ErrProgramFailed.Withf("start: %w", err)
	}
	pid := cmd.Process.Pid
	waitErr := cmd.Wait()
	// Stragglers die with the group even when the program exited by
	// itself. The group id cannot be reused while a member lives.
	_ = killGroup(pid, syscall.SIGKILL)

	exit := -1
	var ee *osexec.ExitError
	switch {
	case waitErr == nil, errors.Is(waitErr, osexec.ErrWaitDelay):
		exit = 0
	case errors.As(waitErr, &ee) && ee.Exited():
		exit = ee.ExitCode()
	}
	ev := log.Debug()
	if waitErr != nil { // a failure, or a helper left holding stdout
		ev = log.Warn()
	}
	ev.Int("exit", exit).Err(waitErr).Dur("took", time.Since(start)).
		Str("stderr", mask(stderr.buf.Bytes())).Bool("stderr_truncated", stderr.over).
		Msg("vendor program ran")

	switch {
	case stdout.over:
		return ektp.Identity{}, ErrProgramFailed.Withf("stdout over %d bytes", MaxStdout)
	case ctx.Err() != nil:
		// The loop gave up (closing): nobody waits for this card.
		return ektp.Identity{}, station.ErrCardUnreadable.With(ctx.Err())
	case runCtx.Err() != nil:
		return ektp.Identity{}, ErrProgramFailed.Withf("no answer within %s", r.cfg.Timeout)
	}
	id, err := Decode(stdout.buf.Bytes())
	var pe *ProgramError
	if errors.As(err, &pe) {
		pe.Exit = exit
		return ektp.Identity{}, err
	}
	if err != nil {
		return ektp.Identity{}, ErrProgramFailed.Withf("exit %d (%v): %w", exit, waitErr, err)
	}
	if exit != 0 {
		return ektp.Identity{}, ErrProgramFailed.Withf("identity with exit %d (%v)", exit, waitErr)
	}
	return id, nil
}

// killGroup signals the process group led by pid; a group already gone
// is not an error.
func killGroup(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// capped keeps the first max bytes written to it and swallows the rest,
// so the program never blocks on a full pipe; full is called once when
// the cap is passed.
type capped struct {
	max  int
	buf  bytes.Buffer
	over bool
	full func()
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	if room := c.max - c.buf.Len(); len(p) > room {
		p = p[:room]
		if !c.over && c.full != nil {
			c.full()
		}
		c.over = true
	}
	c.buf.Write(p)
	return n, nil
}

// longDigits finds runs that could be a NIK.
var longDigits = regexp.MustCompile(`[0-9]{12,}`)

// mask makes program text fit for the log: valid UTF-8, at most 2 KiB,
// and no long digit runs, since a vendor may echo a NIK.
func mask(b []byte) string {
	s := string(bytes.ToValidUTF8(b, []byte("?")))
	if len(s) > 2048 {
		s = s[:2048]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return longDigits.ReplaceAllString(s, "[digits]")
}

// output is the object a program prints. Every value is a string.
type output struct {
	NIK, CardSerial, Issuer, IssuedAt string
	Error, Message                    string
}

// Decode parses a program's stdout: exactly one JSON object, with only
// whitespace around it, holding either the four identity fields or an
// error code and an optional message. Keys are matched exactly and may
// not repeat (encoding/json would fold case and let the last duplicate
// win). A reported error comes back as the matching fault with a
// *ProgramError cause; anything malformed as ErrProgramFailed.
func Decode(out []byte) (ektp.Identity, error) {
	if len(out) > MaxStdout {
		return ektp.Identity{}, ErrProgramFailed.Withf("output over %d bytes", MaxStdout)
	}
	if !utf8.Valid(out) {
		return ektp.Identity{}, ErrProgramFailed.Withf("output is not UTF-8")
	}
	o, seen, err := parseObject(out)
	if err != nil {
		return ektp.Identity{}, ErrProgramFailed.Withf("output: %w", err)
	}
	if seen["error"] {
		if seen["nik"] || seen["card_serial"] || seen["issuer"] || seen["issued_at"] {
			return ektp.Identity{}, ErrProgramFailed.Withf("output has both an error and identity fields")
		}
		pe := &ProgramError{Code: mask([]byte(o.Error)), Message: mask([]byte(o.Message))}
		if f, ok := errorCodes[o.Error]; ok {
			return ektp.Identity{}, f.With(pe)
		}
		return ektp.Identity{}, ErrProgramFailed.With(pe)
	}
	if seen["message"] {
		return ektp.Identity{}, ErrProgramFailed.Withf("output has a message but no error")
	}
	for _, k := range []string{"nik", "card_serial", "issuer", "issued_at"} {
		if !seen[k] {
			return ektp.Identity{}, ErrProgramFailed.Withf("output lacks %q", k)
		}
	}
	nik, err := station.ParseNIK(o.NIK)
	if err != nil {
		return ektp.Identity{}, ErrProgramFailed.Withf("nik: %w", err)
	}
	serial, err := hex.DecodeString(o.CardSerial)
	if err != nil || len(serial) == 0 || len(serial) > 32 {
		return ektp.Identity{}, ErrProgramFailed.Withf("card_serial is not 1 to 32 bytes of hex")
	}
	if o.Issuer == "" || len(o.Issuer) > 128 || !printable(o.Issuer) {
		return ektp.Identity{}, ErrProgramFailed.Withf("issuer is empty, too long or not printable")
	}
	at, err := time.Parse(time.RFC3339, o.IssuedAt)
	if err != nil {
		return ektp.Identity{}, ErrProgramFailed.Withf("issued_at: %w", err)
	}
	return ektp.Identity{NIK: nik, CardSerial: hex.EncodeToString(serial), Issuer: o.Issuer, IssuedAt: at}, nil
}

// parseObject reads one object of string values and reports which of
// the known keys it held.
func parseObject(out []byte) (output, map[string]bool, error) {
	var o output
	seen := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	if t, err := dec.Token(); err != nil {
		return o, nil, err
	} else if t != json.Delim('{') {
		return o, nil, fmt.Errorf("not an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return o, nil, err
		}
		key, ok := t.(string)
		if !ok {
			return o, nil, fmt.Errorf("object key is not a string")
		}
		t, err = dec.Token()
		if err != nil {
			return o, nil, err
		}
		v, ok := t.(string)
		if !ok {
			return o, nil, fmt.Errorf("value of %q is not a string", mask([]byte(key)))
		}
		if seen[key] {
			return o, nil, fmt.Errorf("key %q repeats", mask([]byte(key)))
		}
		seen[key] = true
		switch key {
		case "nik":
			o.NIK = v
		case "card_serial":
			o.CardSerial = v
		case "issuer":
			o.Issuer = v
		case "issued_at":
			o.IssuedAt = v
		case "error":
			o.Error = v
		case "message":
			o.Message = v
		default:
			return o, nil, fmt.Errorf("unknown key %q", mask([]byte(key)))
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return o, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return o, nil, fmt.Errorf("more than one JSON value")
	}
	return o, seen, nil
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
