package registry

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"
)

// ClientTLS returns the TLS configuration of the station's side of mTLS
// with the upstream: it trusts only the CA in caFile (not the system
// roots, so a certificate bought elsewhere cannot impersonate the
// upstream) and presents the station's client certificate.
func ClientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	pemCA, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("upstream CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCA) {
		return nil, fmt.Errorf("upstream CA %s holds no PEM certificate", caFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("station client certificate: %w", err)
	}
	return &tls.Config{
		RootCAs:      pool,
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// HTTPClient returns an http.Client for the upstream that uses cfg (nil:
// plain HTTP). Per-call timeouts come from Client.Timeout; this one only
// bounds connection setup.
func HTTPClient(cfg *tls.Config) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = cfg
	t.TLSHandshakeTimeout = 5 * time.Second
	return &http.Client{Transport: t}
}
