package backup

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/internal/fault"
)

// TestReadManifestFixtures reads each corrupt manifest in
// testdata/manifest, named by what is wrong with it: each is refused with
// ErrManifest; valid.json is read.
func TestReadManifestFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "manifest", "*.json"))
	if err != nil || len(paths) < 10 {
		t.Fatalf("fixtures: %d, %v", len(paths), err)
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := ReadManifest(f)
			if name == "valid" {
				if err != nil || len(m.Files) != 3 {
					t.Fatalf("ReadManifest = %d files, %v", len(m.Files), err)
				}
				return
			}
			if !errors.Is(err, ErrManifest) {
				t.Fatalf("ReadManifest = %v, want %v", err, ErrManifest)
			}
		})
	}
}

// TestReadManifestTooLarge: a manifest is read up to its limit, no more.
func TestReadManifestTooLarge(t *testing.T) {
	r := &countingReader{r: bytes.NewReader(bytes.Repeat([]byte(" "), 3*maxManifestSize))}
	if _, err := ReadManifest(r); !errors.Is(err, ErrManifest) {
		t.Fatalf("ReadManifest = %v", err)
	}
	if r.n > maxManifestSize+1 {
		t.Errorf("read %d bytes of a manifest, limit %d", r.n, maxManifestSize)
	}
}

type countingReader struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// FuzzReadManifest: no input panics, and whatever is accepted names only
// paths inside a backup and no private key.
func FuzzReadManifest(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "manifest", "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadManifest(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrManifest) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, fl := range m.Files {
			if filepath.IsAbs(fl.Path) || strings.Contains(fl.Path, "..") || strings.HasSuffix(fl.Path, ".key") {
				t.Fatalf("accepted path %q", fl.Path)
			}
		}
	})
}

// docs/operations.md lists every error code of backup and restore.
func TestErrorsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*fault.Error{ErrManifest, ErrMismatch, ErrTargetNotEmpty, ErrSchemaNewer, ErrSource, ErrWrite} {
		if !strings.Contains(string(doc), "| `"+string(e.Code)+"` |") {
			t.Errorf("docs/operations.md does not list %s", e.Code)
		}
	}
}
