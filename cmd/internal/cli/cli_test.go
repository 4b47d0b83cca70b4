package cli_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/cmd/internal/ctl"
	"github.com/anjungan/anjungan/cmd/internal/printerd"
	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	"github.com/anjungan/anjungan/cmd/internal/station"
)

// program parses a command line as one program's main.go does, writing
// to stdout and stderr.
type program struct {
	name  string
	usage string // how its usage begins
	parse func(args []string, stdout, stderr io.Writer) error
	// badValue is a flag whose value does not parse; refused one the
	// program refuses after parsing, which its message names by says.
	badValue, refused []string
	says              string
}

func programs() []program {
	return []program{
		{"station", "Usage of station:", func(args []string, stdout, stderr io.Writer) error {
			m := station.NewMain()
			m.Stdout, m.Stderr = stdout, stderr
			return m.ParseFlags(args)
		}, []string{"-idle-timeout", "soon"}, []string{"-fingerprint", "maybe"}, "-fingerprint"},
		{"printerd", "Usage of printerd:", func(args []string, stdout, stderr io.Writer) error {
			m := printerd.NewMain()
			m.Stdout, m.Stderr = stdout, stderr
			return m.ParseFlags(args)
		}, []string{"-low-stock", "many"}, []string{"-audit-every", "0"}, "-audit-every"},
		{"registry-sim", "Usage of registry-sim:", func(args []string, stdout, stderr io.Writer) error {
			m := registrysim.NewMain()
			m.Stdout, m.Stderr = stdout, stderr
			return m.ParseFlags(args)
		}, []string{"-people", "many"}, []string{"-people", "0"}, "-people"},
		{"anjunganctl", "usage: anjunganctl", func(args []string, stdout, stderr io.Writer) error {
			m := ctl.NewMain()
			m.Stdout, m.Stderr = stdout, stderr
			return m.ParseFlags(args)
		}, nil, nil, ""},
		// A command of anjunganctl is a program of its own for flags.
		{"anjunganctl printer fault", "usage: anjunganctl printer fault", func(args []string, stdout, stderr io.Writer) error {
			m := ctl.NewMain()
			m.Stdout, m.Stderr = stdout, stderr
			return m.ParseFlags(append([]string{"printer", "fault"}, args...))
		}, []string{"-count", "x", "card-1"}, []string{"-kind", "gremlins", "card-1"}, "gremlins"},
	}
}

// TestEveryProgramOneConvention: -h and -help print the usage on stdout
// and exit 0; an unknown flag, a bad value, a value the program refuses
// and an unexpected argument print "NAME: the problem" and the usage on
// stderr and exit 2.
func TestEveryProgramOneConvention(t *testing.T) {
	badConfig := filepath.Join(t.TempDir(), "bad.conf")
	if err := os.WriteFile(badConfig, []byte("# a key no program has\nno-such-key = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range programs() {
		cases := []struct {
			name string
			args []string
			help bool
			says string // what stderr names after "NAME: "
		}{
			{"-h", []string{"-h"}, true, ""},
			{"-help", []string{"-help"}, true, ""},
			{"unknown flag", []string{"-no-such-flag"}, false, "flag provided but not defined: -no-such-flag"},
			{"unexpected argument", []string{"surplus", "words"}, false, "surplus"},
		}
		if p.name != "anjunganctl" {
			cases = append(cases, struct {
				name string
				args []string
				help bool
				says string
			}{"unknown key in config", []string{"-config", badConfig}, false, badConfig + `:2: unknown key "no-such-key"`})
		}
		if p.badValue != nil {
			cases = append(cases, struct {
				name string
				args []string
				help bool
				says string
			}{"bad value", p.badValue, false, p.badValue[0]})
		}
		if p.refused != nil {
			cases = append(cases, struct {
				name string
				args []string
				help bool
				says string
			}{"value refused", p.refused, false, p.says})
		}
		if p.name == "anjunganctl" {
			// Not a command: a different word, but the same convention.
			cases[2].says, cases[3].says = `unknown command "-no-such-flag"`, `unknown command "surplus words"`
			cases = append(cases, struct {
				name string
				args []string
				help bool
				says string
			}{"no command", nil, false, "no command"})
		}
		for _, c := range cases {
			t.Run(p.name+"/"+c.name, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				err := p.parse(c.args, &stdout, &stderr)
				code := cli.ExitCode(err)
				if c.help {
					if code != 0 || !strings.HasPrefix(stdout.String(), p.usage) || stderr.Len() != 0 {
						t.Errorf("%s %q: exit %d (%v)\nstdout:\n%s\nstderr:\n%s\nwant exit 0 and the usage on stdout only",
							p.name, c.args, code, err, stdout.String(), stderr.String())
					}
					return
				}
				first, rest, _ := strings.Cut(stderr.String(), "\n")
				if code != 2 || !strings.HasPrefix(first, p.name+": ") || !strings.Contains(first, c.says) ||
					!strings.HasPrefix(rest, p.usage) || stdout.Len() != 0 {
					t.Errorf("%s %q: exit %d (%v)\nstdout:\n%s\nstderr:\n%s\nwant exit 2, %q naming %q, then the usage, on stderr only",
						p.name, c.args, code, err, stdout.String(), stderr.String(), p.name+": ", c.says)
				}
			})
		}
	}
}

func TestExitCode(t *testing.T) {
	var stdout, stderr bytes.Buffer
	fs := cli.NewFlagSet("x")
	if err := cli.Parse(fs, nil, &stdout, &stderr, cli.NoArgs(fs)); err != nil || cli.ExitCode(err) != 0 || stdout.Len()+stderr.Len() != 0 {
		t.Errorf("no arguments: %v, exit %d, printed %q %q", err, cli.ExitCode(err), stdout.String(), stderr.String())
	}
}
