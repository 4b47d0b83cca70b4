package http

import (
	"context"
	"crypto/ed25519"
	"flag"
	"net"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/ticket"
)

var verifyShots = flag.String("verify-screenshots", "", "save screenshots of the verification page into this folder")

// MustKioskVerifyServer serves the kiosk server, as the station composes
// it (the page's scripts and styles come from its static files), with a
// verifier of key, on 127.0.0.1:0. It has no kiosk behind it: only the
// verification page may be used.
func MustKioskVerifyServer(tb testing.TB, key ed25519.PrivateKey) string {
	tb.Helper()
	pub := key.Public().(ed25519.PublicKey)
	s := NewKiosk(nil, &docqr.Verifier{Keys: ticket.KeySet{ticket.KeyID(pub): pub}}, zerolog.Nop())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	tb.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

// TestVerifyPageInChromium: an officer pastes a document's QR text into
// /verify and the page says it is genuine and shows its key fields, in
// both languages; a tampered text is refused in plain words.
func TestVerifyPageInChromium(t *testing.T) {
	key := ed25519.NewKeyFromSeed([]byte("anjungan-verify-test-key-32bytes"))
	base := MustKioskVerifyServer(t, key)
	signer, err := docqr.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	good, err := signer.Sign(station.Document{Type: station.KK, Fields: map[string]string{
		"no_kk": "3374121505150007", "nama_kepala_keluarga": "JOSÉ D'ALMEIDA", "tanggal_terbit": "20-01-2025"}})
	if err != nil {
		t.Fatal(err)
	}
	tampered := good[:len(good)-3] + "000"

	b := MustChromium(t, *verifyShots)
	// paste puts text in the box as a paste does (no key events) and
	// presses the button.
	paste := func(s string) {
		t.Helper()
		b.Do(chromedp.SetValue(chromedp.CSS("#qr-text"), s), chromedp.Click(chromedp.CSS(`#verify-form button[type="submit"]`)))
	}

	b.Do(chromedp.Navigate(base+"/verify"), chromedp.WaitVisible(chromedp.CSS("#qr-text")))
	paste(good)
	b.Do(chromedp.WaitVisible(chromedp.CSS("#verdict.valid")), chromedp.WaitVisible(chromedp.CSS("#fields")),
		chromedp.WaitVisible(chromedp.CSS("#compare")))
	for sel, want := range map[string]string{
		"#verdict":    "Asli",
		"#f-document": "Kartu Keluarga",
		"#f-number":   "3374********0007",
		"#f-name":     "JOSÉ D'ALMEIDA",
		"#f-issued":   "20-01-2025",
		"#f-key":      signer.KeyID(),
	} {
		if got := b.Text(sel); !strings.Contains(got, want) {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	if strings.Contains(b.Text("#result"), "3374121505150007") {
		t.Error("the page shows the KK number in full")
	}
	b.Shot("verify-genuine")
	b.Do(chromedp.Click(chromedp.CSS("#lang")))
	if got := b.Text("#verdict"); !strings.HasPrefix(got, "Genuine") {
		t.Errorf("in English the verdict is %q", got)
	}
	b.Do(chromedp.Click(chromedp.CSS("#lang")))

	paste(tampered)
	b.Do(chromedp.WaitVisible(chromedp.CSS("#verdict.invalid")), chromedp.WaitNotVisible(chromedp.CSS("#fields")),
		chromedp.WaitNotVisible(chromedp.CSS("#compare")))
	if got := b.Text("#verdict"); got != docqr.ErrInvalid.ID {
		t.Errorf("a tampered code gives %q, want %q", got, docqr.ErrInvalid.ID)
	}
	if got := b.Text("#result"); strings.Contains(got, "JOSÉ") {
		t.Errorf("the refusal still shows the earlier name: %q", got)
	}
	b.Shot("verify-tampered")
}
