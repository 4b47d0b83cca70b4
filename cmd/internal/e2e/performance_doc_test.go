package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPerformanceDocCommands: every command docs/performance.md gives to
// measure a figure names benchmarks that exist in the package it runs, so
// the page cannot point at a benchmark renamed or removed; and make bench
// runs each slow benchmark with the fixed count the page gives it.
func TestPerformanceDocCommands(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "performance.md"))
	if err != nil {
		t.Fatal(err)
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	bench := string(mk[strings.Index(string(mk), "\nbench:"):])
	if i := strings.Index(bench[1:], "\n\n"); i >= 0 {
		bench = bench[:i+1]
	}
	cmdRE := regexp.MustCompile(`(?m)^    go test .*-bench '?([^' ]+)'?(.*) (\./\S+)$`)
	cmds := cmdRE.FindAllStringSubmatch(string(doc), -1)
	if len(cmds) < 4 {
		t.Fatalf("docs/performance.md: %d benchmark commands found, want the station's four at least", len(cmds))
	}
	funcRE := regexp.MustCompile(`(?m)^func (Benchmark\w+)\(b \*testing\.B\)`)
	for _, c := range cmds {
		pattern, rest, pkg := c[1], c[2], c[3]
		re, err := regexp.Compile(strings.Split(pattern, "/")[0])
		if err != nil {
			t.Errorf("%s: %v", c[0], err)
			continue
		}
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*_test.go"))
		found := false
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range funcRE.FindAllStringSubmatch(string(b), -1) {
				found = found || re.MatchString(m[1])
			}
		}
		if !found {
			t.Errorf("%q: no benchmark of %s matches %s", strings.TrimSpace(c[0]), pkg, pattern)
		}
		if n := regexp.MustCompile(`-benchtime (\d+x)`).FindStringSubmatch(rest); n != nil {
			want := "-bench '" + pattern + "' -benchtime " + n[1] + " " + pkg
			if !strings.Contains(bench, want) {
				t.Errorf("make bench does not run %s with %s (want %q in its recipe)", pattern, n[1], want)
			}
		}
	}
}
