package cli_test

import (
	"bytes"
	"errors"
	"flag"
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

// testFlags is a small program's flag set, like printerd's.
func testFlags() (*flag.FlagSet, *string, *int, *[]string) {
	fs := cli.NewFlagSet("printerd")
	socket := fs.String("socket", "var/run/printerd.sock", "unix socket")
	low := fs.Int("low-stock", 5, "blank cards")
	var printers []string
	fs.Func("printer", "a printer (repeatable)", func(s string) error { printers = append(printers, s); return nil })
	return fs, socket, low, &printers
}

// TestConfigRefusesCorruptFiles: each fixture in testdata/config is named
// by what is wrong with it; the error is typed, names the file (and the
// line when one is at fault) and carries that code.
func TestConfigRefusesCorruptFiles(t *testing.T) {
	cases := []struct {
		file string
		code cli.ConfigCode
		line int
	}{
		{"unknown-key.conf", cli.ConfigUnknownKey, 3},
		{"no-equals.conf", cli.ConfigSyntax, 1},
		{"empty-key.conf", cli.ConfigSyntax, 1},
		{"dashed-key.conf", cli.ConfigSyntax, 1},
		{"unterminated-quote.conf", cli.ConfigSyntax, 1},
		{"nul-byte.conf", cli.ConfigNotText, 0},
		{"not-utf8.conf", cli.ConfigNotText, 0},
		{"duplicate-key.conf", cli.ConfigDuplicate, 2},
		{"bad-value.conf", cli.ConfigBadValue, 1},
		{"nested-config.conf", cli.ConfigUnknownKey, 1},
		{"missing.conf", cli.ConfigUnreadable, 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "config", c.file)
			fs, _, _, _ := testFlags()
			err := fs.Parse([]string{"-config", path})
			if err == nil {
				err = cli.ApplyConfigFlag(fs, nil)
			}
			var ce *cli.ConfigError
			if !errors.As(err, &ce) || ce.Code != c.code || ce.Line != c.line || !strings.HasPrefix(err.Error(), path+":") {
				t.Fatalf("%s: %v (%#v), want %s at line %d, naming the file", c.file, err, ce, c.code, c.line)
			}
		})
	}
	t.Run("too-large", func(t *testing.T) {
		big := bytes.Repeat([]byte("# padding\n"), cli.MaxConfigSize/10+1)
		path := filepath.Join(t.TempDir(), "too-large.conf")
		if err := os.WriteFile(path, big, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := cli.LoadConfig(path)
		var ce *cli.ConfigError
		if !errors.As(err, &ce) || ce.Code != cli.ConfigTooLarge {
			t.Fatalf("%d bytes: %v, want %s", len(big), err, cli.ConfigTooLarge)
		}
	})
}

// TestConfigFlagsOverrideFile: the file sets what the command line does
// not; a flag on the command line wins over the file; a repeatable flag
// takes every line of its key; comments, blank lines, quotes and '#'
// inside a value are handled.
func TestConfigFlagsOverrideFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "printerd.conf")
	conf := "# printerd on a kiosk\n\n  socket = /run/anjungan/printerd.sock  \r\nlow-stock = 9\n" +
		"printer = name=card-1,driver=sim\nprinter = \"name=a4 #2,driver=ipp \"\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		args     []string
		socket   string
		low      int
		printers []string
	}{
		{"file only", []string{"-config", path}, "/run/anjungan/printerd.sock", 9, []string{"name=card-1,driver=sim", "name=a4 #2,driver=ipp "}},
		{"flag wins", []string{"-low-stock", "2", "-config", path}, "/run/anjungan/printerd.sock", 2, []string{"name=card-1,driver=sim", "name=a4 #2,driver=ipp "}},
		{"flag after wins", []string{"-config", path, "-socket", "/tmp/s", "-printer", "name=x"}, "/tmp/s", 9, []string{"name=x"}},
		{"no file", nil, "var/run/printerd.sock", 5, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs, socket, low, printers := testFlags()
			if err := cli.Parse(fs, c.args, &bytes.Buffer{}, &bytes.Buffer{}, nil); err != nil {
				t.Fatal(err)
			}
			if *socket != c.socket || *low != c.low || strings.Join(*printers, "|") != strings.Join(c.printers, "|") {
				t.Errorf("socket %q low-stock %d printers %q, want %q %d %q", *socket, *low, *printers, c.socket, c.low, c.printers)
			}
		})
	}
}

// TestProgramsReadTheirConfig: the real programs take their flags from the
// file, the command line overriding it.
func TestProgramsReadTheirConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	st := station.NewMain()
	if err := st.ParseFlags([]string{"-config", write("station.conf", "kiosk-addr = 127.0.0.1:9080\ndb = /var/lib/anjungan/station.db\nidle-timeout = 45s\n"), "-db", "/tmp/x.db"}); err != nil {
		t.Fatal(err)
	}
	if st.KioskAddr != "127.0.0.1:9080" || st.DBPath != "/tmp/x.db" || st.IdleTimeout.String() != "45s" {
		t.Errorf("station: kiosk %q db %q idle %v", st.KioskAddr, st.DBPath, st.IdleTimeout)
	}
	rs := registrysim.NewMain()
	if err := rs.ParseFlags([]string{"-config", write("registry-sim.conf", "people = 7\naddr = 127.0.0.1:0\n")}); err != nil {
		t.Fatal(err)
	}
	if rs.People != 7 || rs.Addr != "127.0.0.1:0" {
		t.Errorf("registry-sim: people %d addr %q", rs.People, rs.Addr)
	}
}

// FuzzParseConfig: no input panics, and what parses applies to a flag set
// or fails with a ConfigError.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"socket = /x\n", "# c\n\nprinter = \"a\\tb\"\n", "low-stock=3\r\n", "=\n", "a b\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := cli.ParseConfig("f.conf", data)
		var ce *cli.ConfigError
		if err != nil {
			if !errors.As(err, &ce) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		fs, _, _, _ := testFlags()
		if err := c.Apply(fs, nil); err != nil && !errors.As(err, &ce) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

// TestCtlSharesOneConfig: anjunganctl's commands read one file; a key of
// another command is no mistake, a key of none is.
func TestCtlSharesOneConfig(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		conf string
		ok   bool
	}{
		{"socket = /run/anjungan/printerd.sock\nvar = /var/lib/anjungan\n", true},
		{"socket = /run/anjungan/printerd.sock\nbogus = 1\n", false},
		{"socket = /run/anjungan/printerd.sock\ndb = /var/lib/anjungan/station.db\n", false},
	} {
		path := filepath.Join(dir, "anjunganctl.conf")
		if err := os.WriteFile(path, []byte(c.conf), 0o600); err != nil {
			t.Fatal(err)
		}
		m := ctl.NewMain()
		var stderr bytes.Buffer
		m.Stdout, m.Stderr = &bytes.Buffer{}, &stderr
		err := m.ParseFlags([]string{"printers", "-config", path})
		if (err == nil) != c.ok || (!c.ok && !strings.Contains(stderr.String(), path+`:2: `)) {
			t.Errorf("%q: %v\n%s", c.conf, err, stderr.String())
		}
	}
}

// TestPackagedConfigs: the configuration the Debian package ships
// (internal/deb/root/etc/anjungan) is read by its program without error,
// and the citizen's screen opens the kiosk address the station listens on.
func TestPackagedConfigs(t *testing.T) {
	dir := "../../../internal/deb/root/etc/anjungan"
	parse := map[string]func(args []string) error{
		"station.conf": func(a []string) error { return quiet(station.NewMain()).ParseFlags(a) },
		"printerd.conf": func(a []string) error {
			m := printerd.NewMain()
			m.Stdout, m.Stderr = io.Discard, io.Discard
			return m.ParseFlags(a)
		},
		"registry-sim.conf": func(a []string) error {
			m := registrysim.NewMain()
			m.Stdout, m.Stderr = io.Discard, io.Discard
			return m.ParseFlags(a)
		},
		"anjunganctl.conf": func(a []string) error {
			m := ctl.NewMain()
			m.Stdout, m.Stderr = io.Discard, io.Discard
			return m.ParseFlags(append([]string{"printers"}, a...))
		},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.conf"))
	if err != nil || len(files) != len(parse) {
		t.Fatalf("packaged configs %q, want one for each of %d programs", files, len(parse))
	}
	for _, f := range files {
		if err := parse[filepath.Base(f)]([]string{"-config", f}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	st := quiet(station.NewMain())
	if err := st.ParseFlags([]string{"-config", filepath.Join(dir, "station.conf")}); err != nil {
		t.Fatal(err)
	}
	unit, err := os.ReadFile("../../../internal/deb/root/lib/systemd/system/anjungan-kiosk.service")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), " http://"+st.KioskAddr+"/\n") {
		t.Errorf("anjungan-kiosk.service does not open the station's kiosk-addr %s", st.KioskAddr)
	}
}

func quiet(m *station.Main) *station.Main {
	m.Stdout, m.Stderr = io.Discard, io.Discard
	return m
}
