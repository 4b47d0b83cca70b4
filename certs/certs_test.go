package certs_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/certs"
)

func TestWriteDevMakesAChainThatVerifies(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	if err := certs.WriteDev(dir, rand.Reader, now); err != nil {
		t.Fatal(err)
	}
	if err := certs.Verify(dir, now); err != nil {
		t.Fatal(err)
	}
	for _, l := range certs.DevLeaves {
		if _, err := tls.LoadX509KeyPair(filepath.Join(dir, l.Name+".crt"), filepath.Join(dir, l.Name+".key")); err != nil {
			t.Errorf("%s: %v", l.Name, err)
		}
		fi, err := os.Stat(filepath.Join(dir, l.Name+".key"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s.key mode = %v, %v; want 0600", l.Name, fi.Mode().Perm(), err)
		}
	}
	if err := certs.Verify(dir, now.AddDate(2, 0, 0)); err == nil {
		t.Error("an expired leaf verified")
	}
	// A second call keeps the existing keys.
	before, _ := os.ReadFile(filepath.Join(dir, "ca.key"))
	if err := certs.WriteDev(dir, rand.Reader, now); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "ca.key"))
	if string(before) != string(after) {
		t.Error("WriteDev replaced an existing CA")
	}
}

// A folder made before a leaf joined DevLeaves gains it, signed by the
// CA it already has; nothing that was there changes.
func TestEnsureDevAddsMissingLeaves(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name    string
		remove  []string // files removed after a full WriteDev
		want    []string // files EnsureDev writes
		wantErr string
	}{
		{"complete folder", nil, nil, ""},
		{"leaf added since", []string{"printerd-client.crt", "printerd-client.key"}, []string{"printerd-client.crt", "printerd-client.key"}, ""},
		{"key lost", []string{"printerd.key"}, []string{"printerd.crt", "printerd.key"}, ""},
		{"no CA key, nothing missing", []string{"ca.key"}, nil, ""},
		{"no CA key, a leaf missing", []string{"ca.key", "printerd-client.crt"}, nil, "printerd-client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := certs.WriteDev(dir, rand.Reader, now); err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.remove {
				if err := os.Remove(filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
			}
			before := MustReadDir(t, dir)
			made, err := certs.EnsureDev(dir, rand.Reader, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("EnsureDev = %v, want an error naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(made, tt.want) {
				t.Errorf("made %q, want %q", made, tt.want)
			}
			for name, b := range before {
				if after, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(after, b) && !slices.Contains(made, name) {
					t.Errorf("%s changed", name)
				}
			}
			if slices.Contains(tt.remove, "ca.key") {
				return // Verify needs no CA key, but nothing was missing to check
			}
			if err := certs.Verify(dir, now); err != nil {
				t.Errorf("Verify after EnsureDev: %v", err)
			}
		})
	}
}

func TestEnsureDevRefusesAForeignCAKey(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	now := time.Now()
	for _, d := range []string{dir, other} {
		if err := certs.WriteDev(d, rand.Reader, now); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(other, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.key"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "printerd-client.crt")); err != nil {
		t.Fatal(err)
	}
	if _, err := certs.EnsureDev(dir, rand.Reader, now); err == nil || !strings.Contains(err.Error(), "not the key of ca.crt") {
		t.Errorf("EnsureDev with another CA's key = %v, want a refusal", err)
	}
}

func MustReadDir(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}
