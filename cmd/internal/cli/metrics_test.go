package cli_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/cmd/internal/fleethub"
	"github.com/anjungan/anjungan/cmd/internal/printerd"
)

// TestMetricsAddrBeyondLoopbackRefused: the counts of logins and prints
// stay on the machine unless the operator sets -metrics-public.
func TestMetricsAddrBeyondLoopbackRefused(t *testing.T) {
	parsers := map[string]func(args []string, stderr *bytes.Buffer) error{
		"printerd": func(args []string, stderr *bytes.Buffer) error {
			m := printerd.NewMain()
			m.Stdout, m.Stderr = &bytes.Buffer{}, stderr
			return m.ParseFlags(args)
		},
		"fleethub": func(args []string, stderr *bytes.Buffer) error {
			m := fleethub.NewMain()
			m.Stdout, m.Stderr = &bytes.Buffer{}, stderr
			return m.ParseFlags(append([]string{"-db", "postgres://x"}, args...))
		},
	}
	for name, parse := range parsers {
		for _, tt := range []struct {
			args []string
			ok   bool
		}{
			{[]string{"-metrics-addr", "0.0.0.0:9100"}, false},
			{[]string{"-metrics-addr", "10.1.2.3:9100"}, false},
			{[]string{"-metrics-addr", ":9100"}, false},
			{[]string{"-metrics-addr", "0.0.0.0:9100", "-metrics-public"}, true},
			{[]string{"-metrics-addr", "127.0.0.1:9100"}, true},
			{[]string{"-metrics-addr", "[::1]:9100"}, true},
			{[]string{"-metrics-addr", "localhost:9100"}, true},
			{[]string{"-metrics-addr", ""}, true},
		} {
			var stderr bytes.Buffer
			err := parse(tt.args, &stderr)
			if (err == nil) != tt.ok {
				t.Errorf("%s %q: %v, want ok %v", name, tt.args, err, tt.ok)
			}
			if !tt.ok && !strings.Contains(stderr.String(), "-metrics-public") {
				t.Errorf("%s %q: the refusal does not say how: %s", name, tt.args, stderr.String())
			}
		}
	}
}
