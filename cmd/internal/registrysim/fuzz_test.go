package registrysim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/anjungan/anjungan/internal/httpguard"
)

// fuzzRoutes are the simulator's routes that read a JSON body, but the
// admin faults route: a fault the fuzzer injected would answer 5xx on
// purpose.
func fuzzRoutes() []string {
	return []string{"/v1/authorizations", "/admin/approvals",
		"/v1/authorizations/aut_x/requests/req_x/hold", "/v1/authorizations/aut_x/requests/req_x/confirmation",
		"/v1/authorizations/aut_x/requests/req_x/report", "/v1/authorizations/aut_x/requests/req_x/release",
		"/v1/pin-lockouts/lift"}
}

// FuzzRequest sends registry-sim's POST routes any body with any
// Content-Encoding. A compressed body is refused unread (415
// encoding_unsupported); any other body is decoded or refused as a client
// error with its code and both messages, never a server error. The seeds
// in testdata/fuzz/FuzzRequest are the attacker's requests, by failure
// mode.
func FuzzRequest(f *testing.F) {
	f.Add(uint8(0), "", []byte(`{"method":"pin","nik":"3171014501900001","pin":"123456"}`))
	s := newSim(f)
	h := s.Main.http.Handler
	f.Fuzz(func(t *testing.T, route uint8, encoding string, body []byte) {
		path := fuzzRoutes()[int(route)%len(fuzzRoutes())]
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if encoding != "" {
			req.Header.Set("Content-Encoding", encoding)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out struct {
			Error map[string]string `json:"error"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		if rec.Code >= 500 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && (out.Error["code"] == "" || out.Error["message_id"] == "" || out.Error["message_en"] == "") {
			t.Fatalf("%s: %d without an error body: %s", path, rec.Code, rec.Body)
		}
		if !httpguard.IdentityEncoding(req.Header.Values("Content-Encoding")) &&
			(rec.Code != http.StatusUnsupportedMediaType || out.Error["code"] != "encoding_unsupported") {
			t.Fatalf("%s with Content-Encoding %q: %d %s", path, encoding, rec.Code, rec.Body)
		}
	})
}
