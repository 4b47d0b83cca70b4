// Package ctl is anjunganctl, the operators' and vendors' command line.
package ctl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	_ "github.com/anjungan/anjungan/station/documents" // the document types this program knows
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/cmd/internal/cli"
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
	name string
	// args is the synopsis of the positional arguments: the object the
	// command acts on ("JOB", "PRINTER"), "" when it takes none.
	args    string
	summary string
	parse   func(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error)
}

// Convention: the object a command acts on (a job, a printer, an account)
// is its positional argument, flags before or after it; what the command
// does to it is flags. Older flags that named the object (-printer,
// -name) are still accepted.
func commands() []command {
	return []command{
		{"keys init", "", "make development keys and certificates under var/ (kept if present)", parseKeysInit},
		{"dev", "", "run registry-sim, printerd and station together (what `make run` does)", parseDev},
		{"demo", "", "create demo approvals at registry-sim and show their tickets and PINs", parseDemo},
		{"printers", "", "show printerd's printers and their status", parsePrinters},
		{"jobs", "", "list printerd's jobs", parseJobs},
		{"job resolve", "JOB", "resolve an in-doubt job: printed, reprint or void a card (with a -reason-code)", parseJobResolve},
		{"job erase-note", "JOB", "erase the supervisor's note of a job's resolution from printerd's journal", parseJobEraseNote},
		{"job release", "JOB", "send a held job back to the queue", parseJobRelease},
		{"printer resume", "PRINTER", "let a stopped printer take jobs again", parsePrinterResume},
		{"printer fault", "PRINTER", "arm a fault on a simulated printer", parsePrinterFault},
		{"finger place", "", "put a finger on the station's simulated fingerprint sensor (--nik N or --wrong)", parseFingerPlace},
		{"printer conformance", "", "run the driver conformance checks against a connected device", parsePrinterConformance},
		{"printer clear", "PRINTER", "disarm a printer's faults and clear their conditions", parsePrinterClear},
		{"cards load", "[PRINTER]", "record blank cards loaded into a card printer (card-1 unless named)", parseCardsLoad},
		{"cards loads", "[PRINTER]", "list a card printer's loads with their numbers", parseCardsLoads},
		{"cards reverse", "LOAD", "correct a wrong load with a reversing entry (-reason)", parseCardsReverse},
		{"cards spoiled", "[PRINTER]", "list spoiled cards awaiting destruction", parseCardsSpoiled},
		{"cards reconcile", "[PRINTER]", "compare the ledger with the printer's card counter", parseCardsReconcile},
		{"ledger", "", "show the blank-card ledger per printer", parseLedger},
		{"user add", "NAME", "add a console account (password typed twice on stdin, or -password-file)", parseUserAdd},
		{"card insert", "", "put a virtual e-KTP and its SAM into vpcd until Ctrl-C (test machines only)", parseCardInsert},
		{"render", "", "render a document to PDF (and PNGs) from registry-sim or a sample file, for template work", parseRender},
		{"verify-qr", "'DQ1:…'", "check a printed document's QR text offline against the published document key", parseVerifyQR},
		{"audit verify", "", "recompute a service's audit log, check its checkpoints and their consistency", parseAuditVerify},
		{"backup", "DIR", "write a consistent backup of the kiosk's data into DIR while the services run (no private keys)", parseBackup},
		{"restore", "DIR", "restore the backup in DIR into a new data folder (-var), after checking its manifest", parseRestore},
		{"fleet ca-init", "", "make the fleet CA and the hub's server certificate (once per fleet)", parseFleetCAInit},
		{"fleet enrol", "", "make this kiosk's fleet key and a certificate request (-kiosk ID)", parseFleetEnrol},
		{"fleet sign", "", "sign a kiosk's request with the fleet CA and register the kiosk in the hub's database", parseFleetSign},
		{"fleet witness-key", "", "make the hub's witness key (witness.key, witness.vkey) for fleethub -witness-key", parseFleetWitnessKey},
		{"fleet audit-keys", "KIOSK", "register (or replace) a kiosk's audit log verifier keys for the hub's witness", parseFleetAuditKeys},
		{"fleet user add", "NAME", "add a supervisor to the hub's web console (-scope all, province:NN, regency:NNNN or kiosks:ID,ID)", parseFleetUserAdd},
		{"fleet revoke", "KIOSK", "revoke a kiosk: the hub refuses its events from now on", parseFleetRevoke},
		{"audit export", "", "write a service's audit entries with inclusion proofs (JSON Lines or CSV)", parseAuditExport},
	}
}

// ParseFlags reads the command and its flags. -h (anywhere a flag may
// be) prints the usage on stdout and returns flag.ErrHelp; a mistake
// prints what is wrong and the usage on stderr (cli's convention).
func (m *Main) ParseFlags(args []string) error {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			fs := cli.NewFlagSet("anjunganctl " + c.name)
			fs.Usage = func() {
				synopsis := "usage: anjunganctl " + c.name + " [flags]"
				if c.args != "" {
					synopsis += " " + c.args
				}
				fmt.Fprintf(fs.Output(), "%s\n\n%s\n\nflags:\n", synopsis, c.summary)
				fs.PrintDefaults()
			}
			run, err := c.parse(m, fs, args[len(words):])
			if err == nil && c.args == "" && fs.NArg() > 0 {
				err = fmt.Errorf("unexpected arguments %q", fs.Args())
			}
			if err := cli.Fail(fs, err, m.Stdout, m.Stderr); err != nil {
				return err
			}
			m.run = run
			return nil
		}
	}
	fs := cli.NewFlagSet("anjunganctl")
	fs.Usage = func() { m.usage(fs.Output()) }
	var err error
	switch {
	case len(args) == 0:
		err = errors.New("no command")
	case len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help"):
		err = flag.ErrHelp
	default:
		err = fmt.Errorf("unknown command %q", strings.Join(args, " "))
	}
	return cli.Fail(fs, err, m.Stdout, m.Stderr)
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: anjunganctl COMMAND [flags] [OBJECT]\n\ncommands:")
	for _, c := range commands() {
		name := c.name
		if c.args != "" {
			name += " " + c.args
		}
		fmt.Fprintf(w, "  %-28s %s\n", name, c.summary)
	}
	fmt.Fprintln(w, "\nanjunganctl COMMAND -h shows a command's flags.")
}

// parseArgs parses args with fs, flags before and after positional
// arguments alike (`printer fault card-1 -kind media-jam`); fs.Args()
// then holds every positional argument, in order. Everything after "--"
// is positional.
func parseArgs(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if err := fs.Parse(append([]string{"--"}, pos...)); err != nil {
		return err
	}
	c, err := cli.ConfigFromFlag(fs)
	if c == nil || err != nil {
		return err
	}
	// The commands share one file: a key of another command is no
	// mistake in it, but a key whose default differs between commands
	// (-db is the station's in one, printerd's journal in another) would
	// set the wrong thing in one of them.
	defaults := map[string]map[string]bool{}
	for _, cfs := range CommandFlags() {
		cfs.VisitAll(func(f *flag.Flag) {
			if defaults[f.Name] == nil {
				defaults[f.Name] = map[string]bool{}
			}
			defaults[f.Name][f.DefValue] = true
		})
	}
	for _, s := range c.Settings {
		if len(defaults[s.Key]) > 1 {
			return &cli.ConfigError{Path: c.Path, Line: s.Line, Code: cli.ConfigAmbiguous,
				Err: fmt.Errorf("key %q means different things to different commands: give it on the command line", s.Key)}
		}
	}
	return c.Apply(fs, func(key string) bool { return defaults[key] != nil })
}

// CommandFlags returns every command's flag set, by command name.
func CommandFlags() map[string]*flag.FlagSet {
	out := map[string]*flag.FlagSet{}
	for _, c := range commands() {
		fs := cli.NewFlagSet("anjunganctl " + c.name)
		c.parse(NewMain(), fs, []string{"-h"}) // defines the flags, then stops at -h
		out[c.name] = fs
	}
	return out
}

// object returns the one positional argument of a command, the thing it
// acts on (what, e.g. "PRINTER"); alias is the value of the older flag
// that named it, "" when not given, and def the object when neither is.
func object(fs *flag.FlagSet, what, alias, def string) (string, error) {
	switch {
	case fs.NArg() > 1:
		return "", fmt.Errorf("one %s, not %d: %q", what, fs.NArg(), fs.Args())
	case fs.NArg() == 1 && alias != "" && alias != fs.Arg(0):
		return "", fmt.Errorf("two %ss: %q and %q", what, fs.Arg(0), alias)
	case fs.NArg() == 1:
		return fs.Arg(0), nil
	case alias != "":
		return alias, nil
	case def != "":
		return def, nil
	}
	return "", fmt.Errorf("name the %s", what)
}

// Run carries out the command.
func (m *Main) Run(ctx context.Context) error { return m.run(ctx) }

// Close does nothing: every command finishes inside Run.
func (m *Main) Close() error { return nil }

func parseKeysInit(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	dir := fs.String("var", "var", "the station's var/ folder")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	return func(context.Context) error { return m.keysInit(*dir) }, nil
}

// keysInit makes the development keys once: the simulated upstream's
// ticket-signing and document-signing key pairs and NIK-binding key, the
// station's audit and subject keys, and the development PKI. It makes
// no document key for the station: a station signs no document.
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
	// The simulated upstream signs each document's QR; the station gets
	// only the public half (-document-pubkey) and signs nothing.
	if _, err := os.Stat(filepath.Join(keys, "upstream-document.key")); errors.Is(err, os.ErrNotExist) {
		if err := ticket.WriteKeyPair(keys, "upstream-document", rand.Reader); err != nil {
			return fmt.Errorf("upstream document key: %w", err)
		}
		made = append(made, "keys/upstream-document.key", "keys/upstream-document.pub")
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
	if _, err := os.Stat(filepath.Join(keys, "document.key")); err == nil {
		fmt.Fprintf(m.Stdout, "%s is no longer used (the upstream signs documents, the station signs nothing): delete it\n", filepath.Join(keys, "document.key"))
	}
	if len(made) == 0 {
		fmt.Fprintf(m.Stdout, "development keys already in %s\n", varDir)
		return nil
	}
	fmt.Fprintf(m.Stdout, "made in %s: %s\n", varDir, strings.Join(made, ", "))
	return nil
}
