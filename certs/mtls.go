package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Pool reads the PEM certificates in file into a pool of their own: a
// peer is trusted only when one of them issued its certificate, never
// for a certificate of the system roots bought elsewhere.
func Pool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// ClientMTLS is a client's side of mutual TLS with server (a name for
// errors: "printerd", "upstream"): it trusts only the CA in caFile and
// presents the certificate in certFile/keyFile.
func ClientMTLS(server, caFile, certFile, keyFile string) (*tls.Config, error) {
	pool, err := Pool(caFile)
	if err != nil {
		return nil, fmt.Errorf("%s CA: %w", server, err)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("client certificate for %s: %w", server, err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// ServerMTLS is a server's side of mutual TLS: it presents the
// certificate in certFile/keyFile and lets through the handshake only
// clients with a certificate that the CA in clientCAFile issued.
func ServerMTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	pool, err := Pool(clientCAFile)
	if err != nil {
		return nil, fmt.Errorf("client CA: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
