package printerd_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The domain root imports no adapter technology.
func TestDomainImportsNoAdapter(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/anjungan/anjungan/printerd").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{"github.com/gofiber/", "github.com/rs/zerolog", "github.com/ebfe/scard",
		"codeberg.org/go-pdf/", "modernc.org/sqlite", "net/http"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("printerd depends on %s", dep)
			}
		}
	}
}
