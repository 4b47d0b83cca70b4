package audit_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/anjungan/anjungan/internal/audit"
)

// TestOpenCheckpointFixtures: a stored checkpoint verifies only as the
// log signed it, with its own signature and no other (testdata/checkpoint,
// signed with the fuzz key pair).
func TestOpenCheckpointFixtures(t *testing.T) {
	tests := []struct {
		file string
		ok   bool
	}{
		{"valid.note", true},
		// note.Open verifies the known signature and keeps the other
		// aside: a line anyone can add to a stored checkpoint.
		{"extra-signature.note", false},
		{"unknown-key-only.note", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "checkpoint", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			c, err := audit.OpenCheckpoint(b, fuzzVkey)
			if tt.ok && (err != nil || c.Size != 7) {
				t.Fatalf("OpenCheckpoint = %+v, %v", c, err)
			}
			if !tt.ok && err == nil {
				t.Fatalf("OpenCheckpoint accepted %s", tt.file)
			}
		})
	}
}
