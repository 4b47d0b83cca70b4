package e2e

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestFuzzMinimizeBudget: make fuzz gives minimising a new input its own
// budget, shorter than a target's FUZZTIME. go test's default (60 s) is
// longer than the whole run, and FuzzRender spent its 20 s minimising its
// first find: 7 executions (with 5 s: 7000).
func TestFuzzMinimizeBudget(t *testing.T) {
	b, err := os.ReadFile("../../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	mk := string(b)
	def := func(name string) time.Duration {
		m := regexp.MustCompile(`(?m)^` + name + ` \?= (\S+)$`).FindStringSubmatch(mk)
		if m == nil {
			t.Fatalf("the Makefile has no default for %s", name)
		}
		d, err := time.ParseDuration(m[1])
		if err != nil {
			t.Fatalf("%s ?= %s: %v", name, m[1], err)
		}
		return d
	}
	fuzz, minimize := def("FUZZTIME"), def("FUZZMINIMIZETIME")
	if minimize <= 0 || minimize >= fuzz {
		t.Errorf("FUZZMINIMIZETIME %s, want a budget above 0 and below FUZZTIME %s", minimize, fuzz)
	}
	recipe := mk[strings.Index(mk, "\nfuzz:"):]
	if !strings.Contains(recipe, "-fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME)") {
		t.Errorf("make fuzz does not pass -fuzzminimizetime $(FUZZMINIMIZETIME):\n%s", recipe)
	}
}
