// Package certs makes the development PKI of a station: a private CA and
// the certificates its processes use (the upstream's server certificate,
// the station's client certificate for mTLS to the upstream, the
// console's server certificate). Private keys are written only under the
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
	"math/big"
	"net"
	"os"
	"path/filepath"
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
}

// WriteDev writes ca.crt/ca.key and every leaf into dir, unless ca.crt is
// already there (then it does nothing: keys are made once).
func WriteDev(dir string, rnd io.Reader, now time.Time) error {
	if _, err := os.Stat(filepath.Join(dir, "ca.crt")); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return err
	}
	ca := &x509.Certificate{
		SerialNumber:          serial(rnd),
		Subject:               pkix.Name{CommonName: "Anjungan development CA", Organization: []string{"Anjungan (development only)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rnd, ca, ca, caKey.Public(), caKey)
	if err != nil {
		return err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	if err := write(dir, "ca", caDER, caKey); err != nil {
		return err
	}
	for _, l := range DevLeaves {
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
		if err := write(dir, l.Name, der, key); err != nil {
			return err
		}
	}
	return nil
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
