package httpguard

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/internal/fault"
)

func TestIdentityEncoding(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   bool
	}{
		{"absent", nil, true},
		{"empty", []string{""}, true},
		{"identity", []string{"identity"}, true},
		{"identity in capitals, spaced", []string{" IDENTITY "}, true},
		{"identity twice", []string{"identity", "identity, identity"}, true},
		{"gzip", []string{"gzip"}, false},
		{"gzip in capitals", []string{"GZIP"}, false},
		{"deflate", []string{"deflate"}, false},
		{"br", []string{"br"}, false},
		{"chained", []string{"gzip, br"}, false},
		{"after identity", []string{"identity, gzip"}, false},
		{"on a second header line", []string{"identity", "gzip"}, false},
		{"unknown coding", []string{"x-bomb"}, false},
		{"empty tokens around gzip", []string{", ,gzip,"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IdentityEncoding(tt.values); got != tt.want {
				t.Errorf("IdentityEncoding(%q) = %v, want %v", tt.values, got, tt.want)
			}
		})
	}
}

func TestRefuseEncoded(t *testing.T) {
	reached := false
	var refused error
	h := RefuseEncoded(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }),
		func(_ http.ResponseWriter, _ *http.Request, err error) { refused = err })
	req := httptest.NewRequest("POST", "/", strings.NewReader("\x1f\x8b"))
	req.Header.Set("Content-Encoding", "gzip")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if reached || !errors.Is(refused, fault.EncodingUnsupported) {
		t.Errorf("gzip: reached %v, refused %v", reached, refused)
	}
	refused = nil
	req = httptest.NewRequest("POST", "/", strings.NewReader("{}"))
	req.Header.Set("Content-Encoding", "identity")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if !reached || refused != nil {
		t.Errorf("identity: reached %v, refused %v", reached, refused)
	}
}
