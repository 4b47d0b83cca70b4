// Package ctl is anjunganctl, the operators' and vendors' command line.
package ctl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/station/ticket"
)

// Main is anjunganctl. ParseFlags picks the command, Run carries it out.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time

	run func(ctx context.Context) error
}

// NewMain returns anjunganctl writing to the standard streams.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now}
}

type command struct {
	name, summary string
	parse         func(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error)
}

func commands() []command {
	return []command{
		{"keys init", "make development keys and certificates under var/ (kept if present)", parseKeysInit},
		{"dev", "run registry-sim, printerd and station together (what `make run` does)", parseDev},
		{"demo", "create demo approvals at registry-sim and show their tickets and PINs", parseDemo},
		{"printers", "show printerd's printers and their status", parsePrinters},
		{"jobs", "list printerd's jobs", parseJobs},
		{"job resolve", "resolve an in-doubt job: printed, reprint or void a card (with a -reason-code)", parseJobResolve},
		{"job erase-note", "erase the supervisor's note of a job's resolution from printerd's journal", parseJobEraseNote},
		{"job release", "send a held job back to the queue", parseJobRelease},
		{"printer resume", "let a stopped printer take jobs again", parsePrinterResume},
		{"printer fault", "arm a fault on a simulated printer", parsePrinterFault},
		{"finger place", "put a finger on the station's simulated fingerprint sensor (--nik N or --wrong)", parseFingerPlace},
		{"printer conformance", "run the driver conformance checks against a connected device", parsePrinterConformance},
		{"printer clear", "disarm a printer's faults and clear their conditions", parsePrinterClear},
		{"cards load", "record blank cards loaded into a card printer", parseCardsLoad},
		{"ledger", "show the blank-card ledger per printer", parseLedger},
		{"user add", "add a console account (password typed twice on stdin, or -password-file)", parseUserAdd},
		{"card insert", "put a virtual e-KTP and its SAM into vpcd until Ctrl-C (test machines only)", parseCardInsert},
		{"render", "render a document to PDF (and PNGs) from registry-sim or a sample file, for template work", parseRender},
		{"verify-qr", "check a printed document's QR text offline against the published document key", parseVerifyQR},
		{"audit verify", "recompute a service's audit log, check its checkpoints and their consistency", parseAuditVerify},
		{"audit export", "write a service's audit entries with inclusion proofs (JSON Lines or CSV)", parseAuditExport},
	}
}

// ParseFlags reads the command and its flags.
func (m *Main) ParseFlags(args []string) error {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			fs := flag.NewFlagSet("anjunganctl "+c.name, flag.ContinueOnError)
			fs.SetOutput(m.Stderr)
			run, err := c.parse(m, fs, args[len(words):])
			if err != nil {
				return err
			}
			m.run = run
			return nil
		}
	}
	m.usage()
	if len(args) == 0 {
		return errors.New("no command")
	}
	return fmt.Errorf("unknown command %q", strings.Join(args, " "))
}

func (m *Main) usage() {
	fmt.Fprintln(m.Stderr, "usage: anjunganctl COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(m.Stderr, "  %-15s %s\n", c.name, c.summary)
	}
}

// Run carries out the command.
func (m *Main) Run(ctx context.Context) error { return m.run(ctx) }

// Close does nothing: every command finishes inside Run.
func (m *Main) Close() error { return nil }

func parseKeysInit(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	dir := fs.String("var", "var", "the station's var/ folder")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return func(context.Context) error { return m.keysInit(*dir) }, nil
}

// keysInit makes the development keys once: the simulated upstream's
// ticket-signing key pair and NIK-binding key, and the development PKI.
func (m *Main) keysInit(varDir string) error {
	keys := filepath.Join(varDir, "keys")
	if err := os.MkdirAll(keys, 0o700); err != nil {
		return err
	}
	made := []string{}
	if _, err := os.Stat(filepath.Join(keys, "ticket.key")); errors.Is(err, os.ErrNotExist) {
		if err := ticket.WriteKeyPair(keys, "ticket", rand.Reader); err != nil {
			return fmt.Errorf("ticket key: %w", err)
		}
		made = append(made, "keys/ticket.key", "keys/ticket.pub")
	}
	if _, err := os.Stat(filepath.Join(keys, "document.key")); errors.Is(err, os.ErrNotExist) {
		if err := ticket.WriteKeyPair(keys, "document", rand.Reader); err != nil {
			return fmt.Errorf("document key: %w", err)
		}
		made = append(made, "keys/document.key", "keys/document.pub")
	}
	if _, err := os.Stat(filepath.Join(keys, "binding.key")); errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(keys, "binding.key"), []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
			return err
		}
		made = append(made, "keys/binding.key")
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "station"
	}
	auditKeys, err := writeAuditKeys(keys, host)
	if err != nil {
		return fmt.Errorf("audit keys: %w", err)
	}
	made = append(made, auditKeys...)
	if _, err := os.Stat(filepath.Join(keys, "subject.key")); errors.Is(err, os.ErrNotExist) {
		// Keys the audit log's subjects (HMAC of the NIK); it never leaves the station.
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(keys, "subject.key"), []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
			return err
		}
		made = append(made, "keys/subject.key")
	}
	// EnsureDev also adds a leaf that is newer than an existing var/certs,
	// signed by the CA already there.
	madeCerts, err := certs.EnsureDev(filepath.Join(varDir, "certs"), rand.Reader, m.Now())
	if err != nil {
		return fmt.Errorf("development certificates: %w", err)
	}
	for _, f := range madeCerts {
		made = append(made, "certs/"+f)
	}
	sort.Strings(made)
	if len(made) == 0 {
		fmt.Fprintf(m.Stdout, "development keys already in %s\n", varDir)
		return nil
	}
	fmt.Fprintf(m.Stdout, "made in %s: %s\n", varDir, strings.Join(made, ", "))
	return nil
}
