// Package certs makes the development PKI of a station: a private CA and
// the certificates its processes use (the upstream's server certificate,
// the station's client certificate for mTLS to the upstream, the
// console's server certificate, printerd's server certificate and the
// client certificate of printerd's callers for its mTLS TCP listener). Private keys are written only under the
// ignored var/ folder, never committed; production certificates come from
// the ministry's PKI.
package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Leaf describes one certificate to issue.
type Leaf struct {
	Name   string // file stem: Name.crt, Name.key
	Server bool   // server or client authentication
}

// DevLeaves are the certificates `anjunganctl keys init` makes.
var DevLeaves = []Leaf{
	{Name: "registry", Server: true},
	{Name: "station-client", Server: false},
	{Name: "console", Server: true},
	{Name: "printerd", Server: true},
	{Name: "printerd-client", Server: false},
}

// WriteDev makes the development PKI in dir; see EnsureDev.
func WriteDev(dir string, rnd io.Reader, now time.Time) error {
	_, err := EnsureDev(dir, rnd, now)
	return err
}

// EnsureDev makes the development PKI in dir and returns the files it
// wrote (names relative to dir). Keys are made once: with no ca.crt it
// writes a new CA and every leaf of DevLeaves; with one it keeps the CA
// and every leaf that has both its .crt and .key, and signs only the
// missing leaves with ca.key, so a folder made before a leaf was added to
// DevLeaves gains it. A missing leaf with no ca.key is an error.
func EnsureDev(dir string, rnd io.Reader, now time.Time) ([]string, error) {
	var missing []Leaf
	for _, l := range DevLeaves {
		if !exists(filepath.Join(dir, l.Name+".crt")) || !exists(filepath.Join(dir, l.Name+".key")) {
			missing = append(missing, l)
		}
	}
	var (
		caCert *x509.Certificate
		caKey  crypto.Signer
		made   []string
		err    error
	)
	_, err = os.Stat(filepath.Join(dir, "ca.crt"))
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, err
	case err != nil:
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if caCert, caKey, err = newCA(dir, rnd, now); err != nil {
			return nil, err
		}
		made = append(made, "ca.crt", "ca.key")
		missing = DevLeaves // leaves of an older CA would not chain to this one
	case len(missing) == 0:
		return nil, nil
	default:
		if caCert, caKey, err = loadCA(dir); err != nil {
			return nil, fmt.Errorf("signing the missing certificates %s: %w", leafNames(missing), err)
		}
	}
	for _, l := range missing {
		if err := issue(dir, l, caCert, caKey, rnd, now); err != nil {
			return made, fmt.Errorf("%s: %w", l.Name, err)
		}
		made = append(made, l.Name+".crt", l.Name+".key")
	}
	return made, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func leafNames(ls []Leaf) string {
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.Name
	}
	return strings.Join(names, ", ")
}

func newCA(dir string, rnd io.Reader, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	return newNamedCA(dir, "ca", pkix.Name{CommonName: "Anjungan development CA", Organization: []string{"Anjungan (development only)"}}, rnd, now)
}

// newNamedCA writes a CA's NAME.crt and NAME.key in dir.
func newNamedCA(dir, name string, subject pkix.Name, rnd io.Reader, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return nil, nil, err
	}
	ca := &x509.Certificate{
		SerialNumber:          serial(rnd),
		Subject:               subject,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rnd, ca, ca, caKey.Public(), caKey)
	if err != nil {
		return nil, nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, err
	}
	return caCert, caKey, write(dir, name, caDER, caKey)
}

// loadCA reads ca.crt and ca.key and checks that they belong together.
func loadCA(dir string) (*x509.Certificate, crypto.Signer, error) {
	return loadNamedCA(dir, "ca")
}

// loadNamedCA reads NAME.crt and NAME.key in dir and checks that they belong together.
func loadNamedCA(dir, name string) (*x509.Certificate, crypto.Signer, error) {
	cert, err := readPEM(filepath.Join(dir, name+".crt"), "CERTIFICATE")
	if err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(cert)
	if err != nil {
		return nil, nil, fmt.Errorf("ca.crt: %w", err)
	}
	if !c.IsCA {
		return nil, nil, errors.New("ca.crt is not a CA certificate")
	}
	der, err := readPEM(filepath.Join(dir, name+".key"), "PRIVATE KEY")
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, nil, fmt.Errorf("ca.key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("ca.key cannot sign")
	}
	if pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(c.PublicKey) {
		return nil, nil, errors.New("ca.key is not the key of ca.crt")
	}
	return c, signer, nil
}

func readPEM(path, typ string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != typ {
		return nil, fmt.Errorf("%s: no %s PEM block", filepath.Base(path), typ)
	}
	return blk.Bytes, nil
}

// issue writes l's key and certificate, signed by the CA.
func issue(dir string, l Leaf, caCert *x509.Certificate, caKey crypto.Signer, rnd io.Reader, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(rnd),
		Subject:      pkix.Name{CommonName: l.Name, Organization: []string{"Anjungan (development only)"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if l.Server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	der, err := x509.CreateCertificate(rnd, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		return err
	}
	return write(dir, l.Name, der, key)
}

func serial(rnd io.Reader) *big.Int {
	b := make([]byte, 16)
	_, _ = io.ReadFull(rnd, b)
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b)
}

func write(dir, name string, der []byte, key crypto.Signer) error {
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// Verify checks that every development leaf in dir chains to dir's CA and
// is fit for its use.
func Verify(dir string, now time.Time) error {
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return errors.New("ca.crt holds no certificate")
	}
	for _, l := range DevLeaves {
		b, err := os.ReadFile(filepath.Join(dir, l.Name+".crt"))
		if err != nil {
			return err
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			return fmt.Errorf("%s.crt: no PEM block", l.Name)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return fmt.Errorf("%s.crt: %w", l.Name, err)
		}
		usage := x509.ExtKeyUsageClientAuth
		if l.Server {
			usage = x509.ExtKeyUsageServerAuth
		}
		if _, err := c.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			return fmt.Errorf("%s.crt: %w", l.Name, err)
		}
	}
	return nil
}
