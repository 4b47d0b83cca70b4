package certs_test

import (
	"crypto/rand"
	"crypto/tls"
	"os"
	"path/filepath"
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
