package ctl

import (
	"flag"
	"net/http"
	"strings"

	"github.com/anjungan/anjungan/station/registry"
)

// upstream is how a command reaches registry-sim: its URL and, for an
// https URL, the mTLS files (the station's client certificate).
type upstream struct {
	url, ca, cert, key string
}

func upstreamFlags(fs *flag.FlagSet, varDir string) *upstream {
	u := &upstream{}
	fs.StringVar(&u.url, "registry", "https://127.0.0.1:8090", "registry-sim base URL")
	fs.StringVar(&u.ca, "registry-ca", varDir+"/certs/ca.crt", "CA of registry-sim's certificate")
	fs.StringVar(&u.cert, "registry-cert", varDir+"/certs/station-client.crt", "client certificate for registry-sim")
	fs.StringVar(&u.key, "registry-key", varDir+"/certs/station-client.key", "client key for registry-sim")
	return u
}

// client returns an HTTP client for the upstream: mTLS when the URL is https.
func (u *upstream) client() (*http.Client, error) {
	if !strings.HasPrefix(u.url, "https://") {
		return registry.HTTPClient(nil), nil
	}
	cfg, err := registry.ClientTLS(u.ca, u.cert, u.key)
	if err != nil {
		return nil, err
	}
	return registry.HTTPClient(cfg), nil
}
