// Package httpguard holds the request checks every listener of Anjungan
// makes before a handler reads a body (the kiosk and the console in
// station/http, printerd's API, registry-sim).
package httpguard

import (
	"net/http"
	"strings"

	"github.com/anjungan/anjungan/internal/fault"
)

// IdentityEncoding reports whether the Content-Encoding header values ask
// for no decoding at all: absent, empty, or only "identity". Nothing
// Anjungan serves needs a compressed request, and inflating one is how a
// 2 KB body becomes 1 GiB (a body limit counts compressed bytes), so
// anything else is refused unread.
func IdentityEncoding(values []string) bool {
	for _, v := range values {
		for _, tok := range strings.Split(v, ",") {
			tok = strings.TrimSpace(tok)
			if tok != "" && !strings.EqualFold(tok, "identity") {
				return false
			}
		}
	}
	return true
}

// RefuseEncoded wraps a net/http handler: a request with a Content-Encoding
// other than identity gets fail with fault.EncodingUnsupported (answered
// 415) and never reaches next.
func RefuseEncoded(next http.Handler, fail func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if vs := r.Header.Values("Content-Encoding"); !IdentityEncoding(vs) {
			fail(w, r, fault.EncodingUnsupported.Withf("Content-Encoding %q", strings.Join(vs, ", ")))
			return
		}
		next.ServeHTTP(w, r)
	})
}
