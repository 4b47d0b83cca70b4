package durable_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/anjungan/anjungan/printerd/internal/durable"
)

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name    string
		old     []byte // existing content, if any
		data    []byte
		missing bool // the directory does not exist
	}{
		{name: "new file", data: []byte("%PDF-1.4 new")},
		{name: "replaces old content", old: []byte("old"), data: []byte("%PDF-1.4 new")},
		{name: "empty data", data: []byte{}},
		{name: "no directory", data: []byte("x"), missing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.missing {
				dir = filepath.Join(dir, "gone")
			}
			if tt.old != nil {
				if err := os.WriteFile(filepath.Join(dir, "f"), tt.old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := durable.WriteFile(dir, "f", tt.data, 0o640)
			if tt.missing {
				if err == nil || durable.Renamed(err) {
					t.Fatalf("WriteFile into a missing directory = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, "f"))
			if err != nil || string(got) != string(tt.data) {
				t.Errorf("content = %q, %v; want %q", got, err, tt.data)
			}
			fi, _ := os.Stat(filepath.Join(dir, "f"))
			if fi.Mode().Perm() != 0o640 {
				t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("directory holds %d entries, want only the file", len(entries))
			}
		})
	}
}

func TestSweep(t *testing.T) {
	dir := t.TempDir()
	keep := []string{"abc", "notes.tmp", ".hidden"}
	drop := []string{".abc.123" + durable.TempSuffix, ".J1.pdf.9" + durable.TempSuffix}
	for _, n := range append(append([]string{}, keep...), drop...) {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := durable.Sweep(dir); err != nil {
		t.Fatal(err)
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed", n)
		}
	}
	for _, n := range drop {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s was kept", n)
		}
	}
}

func TestSafeName(t *testing.T) {
	for name, want := range map[string]bool{
		"JNTDZWCWHBLDW": true, "job-1_a": true, "": false, "../etc": false, "a/b": false,
		"a.pdf": false, "J\x00": false, string(make([]byte, 65)): false,
	} {
		if got := durable.SafeName(name); got != want {
			t.Errorf("SafeName(%q) = %v, want %v", name, got, want)
		}
	}
}
