package http

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/ticket"
)

// MustVerifyServer serves MountVerify with a verifier of key on
// 127.0.0.1:0 and returns its base URL.
func MustVerifyServer(tb testing.TB, key ed25519.PrivateKey) string {
	tb.Helper()
	pub := key.Public().(ed25519.PublicKey)
	app := newApp(zerolog.Nop(), "verify-test", kioskAnswer, nil)
	MountVerify(app, &docqr.Verifier{Keys: ticket.KeySet{ticket.KeyID(pub): pub}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = serve(app, ln) }()
	tb.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}

func TestVerifyPage(t *testing.T) {
	key := ed25519.NewKeyFromSeed([]byte("anjungan-verify-test-key-32bytes"))
	base := MustVerifyServer(t, key)
	signer, err := docqr.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	good, err := signer.Sign(station.Document{Type: station.KTPEl, Fields: map[string]string{
		"nik": "3174011708850003", "nama": "JOSÉ D'ALMEIDA", "tanggal_terbit": "12-08-2024"}})
	if err != nil {
		t.Fatal(err)
	}

	res, err := http.Get(base + "/verify")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(page, []byte(`id="qr-text"`)) {
		t.Fatalf("GET /verify: %d, page without the text box", res.StatusCode)
	}

	for _, tc := range []struct {
		name, body string
		status     int
		valid      bool
		want       string // in the response
	}{
		{"genuine", mustJSON(t, map[string]string{"text": good}), 200, true, `"number":"3174********0003"`},
		{"tampered", mustJSON(t, map[string]string{"text": good[:len(good)-3] + "000"}), 200, false, `"code":"document_qr_invalid"`},
		{"not a document QR", mustJSON(t, map[string]string{"text": "hello"}), 200, false, `"code":"document_qr_invalid"`},
		{"not JSON", "{", 400, false, `"code":"body_invalid"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := http.Post(base+"/api/verify", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			var r verifyResult
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			if r.Valid != tc.valid || !strings.Contains(string(body), tc.want) {
				t.Errorf("answer %s, want valid=%v and %s", body, tc.valid, tc.want)
			}
			if strings.Contains(string(body), "3174011708850003") {
				t.Error("the answer shows the NIK unmasked")
			}
		})
	}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
