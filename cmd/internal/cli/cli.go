// Package cli is the one command-line convention of Anjungan's programs
// (station, printerd, registry-sim, anjunganctl):
//
//   - -h or -help prints the usage on stdout and exits 0;
//   - a bad flag, a bad value or arguments the program does not take
//     print "NAME: the problem" and the usage on stderr and exit 2;
//   - anything that fails later is the program's own (exit 1).
//
// A Main's ParseFlags parses with NewFlagSet and Parse (or reports its own
// errors through Fail); its main.go exits with ExitCode. Every flag set
// has -config FILE: the flags also come from that file (config.go), and
// the command line overrides it.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// NewFlagSet returns a flag set that prints nothing while parsing: Parse
// and Fail print, each to the right stream.
func NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String(ConfigFlag, "", "read flags from this file (key = value, keys are flag names; the command line overrides it)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses args with fs, applies the -config file, then runs check
// (nil: none), and reports the outcome as Fail does. Positional arguments
// are refused unless check looks at them.
func Parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer, check func() error) error {
	err := fs.Parse(args)
	if err == nil {
		err = ApplyConfigFlag(fs, nil)
	}
	if err == nil && check != nil {
		err = check()
	}
	return Fail(fs, err, stdout, stderr)
}

// Fail reports the outcome of parsing fs: on flag.ErrHelp the usage goes
// to stdout; on another error "NAME: err" and the usage go to stderr (nil
// streams are os.Stdout and os.Stderr). It returns err; fs's usage must
// print to fs.Output().
func Fail(fs *flag.FlagSet, err error, stdout, stderr io.Writer) error {
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
	default:
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		fs.SetOutput(stderr)
	}
	fs.Usage()
	fs.SetOutput(io.Discard)
	return err
}

// ExitCode is what a program exits with after ParseFlags returned err:
// 0 for help (or nil), 2 for a usage error.
func ExitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// NoArgs is a check for programs that take no positional argument.
func NoArgs(fs *flag.FlagSet) func() error {
	return func() error {
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments %q", fs.Args())
		}
		return nil
	}
}
