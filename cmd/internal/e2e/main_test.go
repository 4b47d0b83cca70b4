package e2e

import (
	"os"
	"testing"

	"github.com/anjungan/anjungan/internal/pgtest"
)

// TestMain runs a private PostgreSQL cluster for the fleet tests (the
// hub's database); the other tests do not use it.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
