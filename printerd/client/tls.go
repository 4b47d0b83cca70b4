package client

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/anjungan/anjungan/certs"
)

// NewTLS returns a client of a printerd serving its API with mutual TLS
// on -tls-addr, at baseURL ("https://printerd.example:7631"). cfg holds
// the CA that issued printerd's certificate and the client's own
// certificate (see TLSConfig); it is copied. Every method works as over
// the socket; a refused handshake is printerd.ErrUnreachable.
func NewTLS(baseURL string, cfg *tls.Config) *Client {
	if cfg != nil {
		cfg = cfg.Clone()
	}
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	// No proxy from the environment: printerd is on the kiosk's own
	// network, and a proxy would only see ciphertext anyway.
	tr := &http.Transport{
		DialContext:         d.DialContext,
		TLSClientConfig:     cfg,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        4,
		IdleConnTimeout:     time.Minute,
	}
	return &Client{Timeout: DefaultTimeout, http: &http.Client{Transport: tr}, base: strings.TrimRight(baseURL, "/")}
}

// TLSConfig reads the client's side of mTLS with printerd: it trusts only
// the CA in caFile (not the system roots, so no other certificate can pose
// as printerd) and presents the certificate in certFile/keyFile.
func TLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg, err := certs.ClientMTLS("printerd", caFile, certFile, keyFile)
	if err != nil {
		return nil, err
	}
	cfg.MinVersion = tls.VersionTLS13 // both ends are ours
	return cfg, nil
}

// Target is where a caller reaches printerd: its unix socket on this
// machine, or, when URL is set, its mutual-TLS listener on another
// (https://HOST:PORT) with the CA that issued printerd's certificate and
// the caller's own certificate and key.
type Target struct {
	Socket, URL, CA, Cert, Key string
}

// Check refuses a URL that printerd's listener cannot serve: it speaks
// only mutual TLS.
func (t Target) Check() error {
	if t.URL != "" && !strings.HasPrefix(t.URL, "https://") {
		return fmt.Errorf("printerd URL %q: printerd's TCP listener speaks only mutual TLS (https://HOST:PORT)", t.URL)
	}
	return nil
}

// Client returns a client of the target, reading the certificates for a
// URL.
func (t Target) Client() (*Client, error) {
	if t.URL == "" {
		return New(t.Socket), nil
	}
	if err := t.Check(); err != nil {
		return nil, err
	}
	cfg, err := TLSConfig(t.CA, t.Cert, t.Key)
	if err != nil {
		return nil, err
	}
	return NewTLS(t.URL, cfg), nil
}
