package station_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainImportsNoAdapter keeps the domain roots free of technology:
// adapters depend on the domain, never the other way round.
func TestDomainImportsNoAdapter(t *testing.T) {
	forbidden := []string{
		"github.com/gofiber/", "github.com/valyala/fasthttp", "github.com/rs/zerolog",
		"github.com/ebfe/scard", "codeberg.org/go-pdf/fpdf", "modernc.org/sqlite",
		"database/sql", "net/http",
	}
	for _, pkg := range []string{"github.com/anjungan/anjungan/station", "github.com/anjungan/anjungan/printerd", "github.com/anjungan/anjungan/internal/fault"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("domain package %s depends on adapter %s", pkg, dep)
				}
			}
		}
	}
}
