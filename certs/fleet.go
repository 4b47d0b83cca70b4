package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The fleet's PKI: its own CA (not the station's development CA), the
// hub's server certificate, and one client certificate per kiosk whose
// common name is the kiosk's ID. The CA key stays with the operator who
// signs; a kiosk's key never leaves the kiosk (it sends a CSR).
const (
	FleetCA  = "fleet-ca" // fleet-ca.crt, fleet-ca.key
	FleetHub = "fleethub" // fleethub.crt, fleethub.key
)

// KioskCertValidity is how long a kiosk's certificate lasts.
const KioskCertValidity = 2 * 365 * 24 * time.Hour

// InitFleetCA writes a new fleet CA and the hub's server certificate
// (for hosts: DNS names or IP addresses, plus localhost) into dir. It
// refuses to overwrite an existing CA: every kiosk's certificate chains
// to it.
func InitFleetCA(dir string, hosts []string, rnd io.Reader, now time.Time) error {
	if exists(filepath.Join(dir, FleetCA+".crt")) {
		return fmt.Errorf("%s already holds a fleet CA (%s.crt): kiosks' certificates chain to it", dir, FleetCA)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ca, key, err := newNamedCA(dir, FleetCA, pkix.Name{CommonName: "Anjungan fleet CA", Organization: []string{"Anjungan fleet"}}, rnd, now)
	if err != nil {
		return err
	}
	leaf := Leaf{Name: FleetHub, Server: true}
	hub, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(rnd),
		Subject:      pkix.Name{CommonName: leaf.Name, Organization: []string{"Anjungan fleet"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rnd, tmpl, ca, hub.Public(), key)
	if err != nil {
		return err
	}
	return write(dir, leaf.Name, der, hub)
}

// KioskRequest writes a new key for kiosk id into dir as ID.key and
// returns a certificate signing request for it (PEM), also written as
// ID.csr.
func KioskRequest(dir, id string, rnd io.Reader) ([]byte, error) {
	if exists(filepath.Join(dir, id+".key")) {
		return nil, fmt.Errorf("%s.key exists in %s: this kiosk already has a key", id, dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(rnd, &x509.CertificateRequest{Subject: pkix.Name{CommonName: id}}, key)
	if err != nil {
		return nil, err
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, id+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		return nil, err
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	return csr, os.WriteFile(filepath.Join(dir, id+".csr"), csr, 0o644)
}

// SignKiosk checks a kiosk's CSR (PEM) and signs it with the fleet CA in
// caDir: a client certificate whose common name is the CSR's. It returns
// the certificate (PEM) and the kiosk ID; the caller checks the ID's form
// and registers the kiosk.
func SignKiosk(caDir string, csrPEM []byte, rnd io.Reader, now time.Time) ([]byte, string, error) {
	blk, _ := pem.Decode(csrPEM)
	if blk == nil || blk.Type != "CERTIFICATE REQUEST" {
		return nil, "", errors.New("no CERTIFICATE REQUEST PEM block")
	}
	csr, err := x509.ParseCertificateRequest(blk.Bytes)
	if err != nil {
		return nil, "", err
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, "", fmt.Errorf("the request's signature: %w", err)
	}
	ca, key, err := loadNamedCA(caDir, FleetCA)
	if err != nil {
		return nil, "", err
	}
	id := csr.Subject.CommonName
	tmpl := &x509.Certificate{
		SerialNumber: serial(rnd),
		Subject:      pkix.Name{CommonName: id, Organization: []string{"Anjungan fleet kiosk"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(KioskCertValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rnd, tmpl, ca, csr.PublicKey, key)
	if err != nil {
		return nil, "", err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), id, nil
}
