package ticket

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if err := WriteKeyPair(dir, "ticket", rand.Reader); err != nil {
		t.Fatal(err)
	}
	priv, err := LoadPrivateKey(filepath.Join(dir, "ticket.key"))
	if err != nil {
		t.Fatal(err)
	}
	gotPub, err := LoadPublicKey(filepath.Join(dir, "ticket.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	if !bytes.Equal(gotPub, pub) {
		t.Fatal("loaded keys differ from written ones")
	}
	if len(KeyID(pub)) != 16 {
		t.Fatalf("KeyID = %q", KeyID(pub))
	}
	st, err := os.Stat(filepath.Join(dir, "ticket.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v, %v", st.Mode(), err)
	}
	if err := WriteKeyPair(dir, "ticket", rand.Reader); !errors.Is(err, ErrKey) || !errors.Is(err, fs.ErrExist) {
		t.Fatalf("overwrite: %v", err)
	}

	if err := WriteBindingKey(dir, "binding", rand.Reader); err != nil {
		t.Fatal(err)
	}
	bk, err := LoadBindingKey(filepath.Join(dir, "binding.key"))
	if err != nil || len(bk) != BindingKeySize {
		t.Fatalf("LoadBindingKey = %x, %v", bk, err)
	}
}

func TestKeyFilesInvalid(t *testing.T) {
	dir := t.TempDir()
	if err := WriteKeyPair(dir, "ticket", rand.Reader); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pubPath := filepath.Join(dir, "ticket.pub")
	privPath := filepath.Join(dir, "ticket.key")
	tests := []struct {
		name string
		load func() error
	}{
		{"missing private", func() error { _, err := LoadPrivateKey(filepath.Join(dir, "nope.key")); return err }},
		{"public as private", func() error { _, err := LoadPrivateKey(pubPath); return err }},
		{"private as public", func() error { _, err := LoadPublicKey(privPath); return err }},
		{"not pem", func() error { _, err := LoadPublicKey(write("garbage.pub", "hello")); return err }},
		{"bad der", func() error {
			_, err := LoadPrivateKey(write("bad.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
			return err
		}},
		{"binding not hex", func() error { _, err := LoadBindingKey(write("b1.key", "zz")); return err }},
		{"binding short", func() error { _, err := LoadBindingKey(write("b2.key", "00112233")); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.load(); !errors.Is(err, ErrKey) {
				t.Fatalf("err = %v, want %s", err, ErrKey.Code)
			}
		})
	}
}
