package printerd_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestTempDirEmptiedAtStart: printerd makes its private temp folder
// (data/tmp, mode 0700) and removes what a crash left there before any
// printer opens; the end-to-end crash canary (cmd/internal/e2e) does the
// same with real kills.
func TestTempDirEmptiedAtStart(t *testing.T) {
	tmp := t.TempDir()
	key, _ := MustAuditKey(t, tmp)
	data := filepath.Join(tmp, "data")
	leftover := filepath.Join(data, "tmp", "simcard-123", "doc.pdf")
	if err := os.MkdirAll(filepath.Dir(leftover), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(leftover, []byte("%PDF-1.4 a citizen's card"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(data, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := MustRun(t, io.Discard, "-audit-key", key, "-socket", filepath.Join(MustSocketDir(t), "printerd.sock"), "-data", data,
		"-printer", "name=card-1,driver=sim,uri="+filepath.Join(tmp, "card")+",media=om_card_54x86mm,blanks=10")
	if m.TempDir() != filepath.Join(data, "tmp") {
		t.Errorf("TempDir %s, want data/tmp", m.TempDir())
	}
	entries, err := os.ReadDir(m.TempDir())
	if err != nil || len(entries) != 0 {
		t.Errorf("temp folder after start: %v %v, want empty", entries, err)
	}
	if fi, err := os.Stat(m.TempDir()); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("temp folder mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
}
