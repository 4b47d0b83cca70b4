package outlog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/printerd/internal/outlog"
)

func MustOpen(tb testing.TB, dir string) *outlog.Log {
	tb.Helper()
	l, err := outlog.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// TestSeqSurvivesReopenAndTornLine: seq continues across a reopen, and a
// line a crash cut short is reported torn, ended, and skipped.
func TestSeqSurvivesReopenAndTornLine(t *testing.T) {
	dir := t.TempDir()
	sum := outlog.Sum([]byte("doc"))
	l := MustOpen(t, dir)
	for _, r := range []outlog.Record{{Job: "J1", SHA256: sum, Card: "SIM-000001"}, {Job: "J2", SHA256: sum, Page: 1}} {
		if _, err := l.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, outlog.Name), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("seq=3 time=2025-03-01T08:00:00Z job=J3 sha2") // a crash mid-line
	_ = f.Close()

	l = MustOpen(t, dir)
	r, err := l.Append(outlog.Record{Job: "J4", SHA256: sum, Card: "SIM-000002"})
	if err != nil || r.Seq != 3 {
		t.Fatalf("Append after reopen = %+v, %v; want seq 3", r, err)
	}
	recs, torn, err := outlog.Read(dir)
	if err != nil || torn != 1 || len(recs) != 3 {
		t.Fatalf("Read = %+v, %d torn, %v", recs, torn, err)
	}
	tests := []struct {
		seq       int
		job, card string
		page      int
	}{{1, "J1", "SIM-000001", 0}, {2, "J2", "", 1}, {3, "J4", "SIM-000002", 0}}
	for i, tt := range tests {
		if g := recs[i]; g.Seq != tt.seq || g.Job != tt.job || g.Card != tt.card || g.Page != tt.page || g.SHA256 != sum || g.Time.IsZero() {
			t.Errorf("record %d = %+v, want %+v", i, g, tt)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, outlog.Name))
	if lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[3], "seq=3 ") {
		t.Errorf("file = %q, want the torn line ended and the next record on its own line", b)
	}
}

func TestReadNoFile(t *testing.T) {
	if recs, torn, err := outlog.Read(t.TempDir()); recs != nil || torn != 0 || err != nil {
		t.Errorf("Read of an empty directory = %v, %d, %v", recs, torn, err)
	}
}
