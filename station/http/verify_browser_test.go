package http

import (
	"context"
	"crypto/ed25519"
	"flag"
	"net"
	"os"
	"path/filepath"
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

	b := MustChromium(t)
	dir := *verifyShots
	if dir == "" {
		dir = t.TempDir()
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(b, steps...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(b, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(b, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// paste puts text in the box as a paste does (no key events) and
	// presses the button.
	paste := func(s string) {
		t.Helper()
		do(chromedp.SetValue(chromedp.CSS("#qr-text"), s), chromedp.Click(chromedp.CSS(`#verify-form button[type="submit"]`)))
	}

	do(chromedp.Navigate(base+"/verify"), chromedp.WaitVisible(chromedp.CSS("#qr-text")))
	paste(good)
	do(chromedp.WaitVisible(chromedp.CSS("#verdict.valid")), chromedp.WaitVisible(chromedp.CSS("#fields")),
		chromedp.WaitVisible(chromedp.CSS("#compare")))
	for sel, want := range map[string]string{
		"#verdict":    "Asli",
		"#f-document": "Kartu Keluarga",
		"#f-number":   "3374********0007",
		"#f-name":     "JOSÉ D'ALMEIDA",
		"#f-issued":   "20-01-2025",
		"#f-key":      signer.KeyID(),
	} {
		if got := text(sel); !strings.Contains(got, want) {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	if strings.Contains(text("#result"), "3374121505150007") {
		t.Error("the page shows the KK number in full")
	}
	shot("verify-genuine")
	do(chromedp.Click(chromedp.CSS("#lang")))
	if got := text("#verdict"); !strings.HasPrefix(got, "Genuine") {
		t.Errorf("in English the verdict is %q", got)
	}
	do(chromedp.Click(chromedp.CSS("#lang")))

	paste(tampered)
	do(chromedp.WaitVisible(chromedp.CSS("#verdict.invalid")), chromedp.WaitNotVisible(chromedp.CSS("#fields")),
		chromedp.WaitNotVisible(chromedp.CSS("#compare")))
	if got := text("#verdict"); got != docqr.ErrInvalid.ID {
		t.Errorf("a tampered code gives %q, want %q", got, docqr.ErrInvalid.ID)
	}
	if got := text("#result"); strings.Contains(got, "JOSÉ") {
		t.Errorf("the refusal still shows the earlier name: %q", got)
	}
	shot("verify-tampered")
}
