package registry

import (
	"crypto/tls"
	"net/http"
	"time"

	"github.com/anjungan/anjungan/certs"
)

// ClientTLS returns the TLS configuration of the station's side of mTLS
// with the upstream: it trusts only the CA in caFile (not the system
// roots, so a certificate bought elsewhere cannot impersonate the
// upstream) and presents the station's client certificate.
func ClientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	return certs.ClientMTLS("upstream", caFile, certFile, keyFile)
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
