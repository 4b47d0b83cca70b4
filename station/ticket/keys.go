package ticket

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/anjungan/anjungan/internal/fault"
)

// BindingKeySize is the size of the upstream's NIK binding key.
const BindingKeySize = 32

// ErrKey is returned when a key file cannot be read, parsed or written.
// The cause keeps the underlying error, so errors.Is(err, fs.ErrNotExist)
// tells a missing file apart.
var ErrKey = fault.New("key_invalid",
	"Kunci kriptografi tidak dapat dibaca. Silakan hubungi petugas.",
	"A cryptographic key cannot be read. Please ask an officer.")

// LoadPrivateKey reads an Ed25519 private key from a PEM "PRIVATE KEY"
// (PKCS #8) file.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, ErrKey.With(fmt.Errorf("%s: %w", path, err))
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, ErrKey.Withf("%s: not an Ed25519 key", path)
	}
	return priv, nil
}

// LoadKeySet reads the public keys of comma-separated PEM files (see
// LoadPublicKey), each pinned by its KeyID: a verifier keeps an old key
// beside the new one while documents it signed are still in use.
func LoadKeySet(paths string) (KeySet, error) {
	ks := KeySet{}
	for _, p := range strings.Split(paths, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		k, err := LoadPublicKey(p)
		if err != nil {
			return nil, err
		}
		ks[KeyID(k)] = k
	}
	if len(ks) == 0 {
		return nil, ErrKey.Withf("no public key named")
	}
	return ks, nil
}

// LoadPublicKey reads an Ed25519 public key from a PEM "PUBLIC KEY"
// (PKIX) file.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	der, err := readPEM(path, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, ErrKey.With(fmt.Errorf("%s: %w", path, err))
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, ErrKey.Withf("%s: not an Ed25519 key", path)
	}
	return pub, nil
}

func readPEM(path, typ string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, ErrKey.With(err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != typ {
		return nil, ErrKey.Withf("%s: no PEM %q block", path, typ)
	}
	return block.Bytes, nil
}

// WriteKeyPair makes a new Ed25519 key pair from rand and writes
// dir/name.key (PKCS #8, mode 0600) and dir/name.pub (PKIX, 0644). It
// refuses to overwrite an existing file: replacing a signing key
// invalidates every ticket issued with it.
func WriteKeyPair(dir, name string, rand io.Reader) error {
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return ErrKey.With(err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return ErrKey.With(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ErrKey.With(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ErrKey.With(err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})
	if err := writeNew(filepath.Join(dir, name+".key"), privPEM, 0o600); err != nil {
		return err
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	return writeNew(filepath.Join(dir, name+".pub"), pubPEM, 0o644)
}

// LoadBindingKey reads the upstream's NIK binding key: 32 bytes, hex
// encoded, surrounding white space ignored.
func LoadBindingKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, ErrKey.With(err)
	}
	key, err := hex.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil {
		return nil, ErrKey.With(fmt.Errorf("%s: %w", path, err))
	}
	if len(key) != BindingKeySize {
		return nil, ErrKey.Withf("%s: binding key of %d bytes, want %d", path, len(key), BindingKeySize)
	}
	return key, nil
}

// WriteBindingKey writes a new random binding key to dir/name.key (hex,
// mode 0600), refusing to overwrite one.
func WriteBindingKey(dir, name string, rand io.Reader) error {
	key := make([]byte, BindingKeySize)
	if _, err := io.ReadFull(rand, key); err != nil {
		return ErrKey.With(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ErrKey.With(err)
	}
	return writeNew(filepath.Join(dir, name+".key"), []byte(hex.EncodeToString(key)+"\n"), 0o600)
}

// writeNew creates path (failing if it exists), writes b and syncs.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return ErrKey.With(err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return ErrKey.With(err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return ErrKey.With(err)
	}
	if err := f.Close(); err != nil {
		return ErrKey.With(err)
	}
	return nil
}
