package e2e

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/smartcard/ektp"
	"github.com/anjungan/anjungan/station/smartcard/pcsctest"
	"github.com/anjungan/anjungan/station/smartcard/vcard"
	"github.com/anjungan/anjungan/station/ticket"
)

// mustPCSC holds the machine-wide PC/SC test lock for the test and makes
// sure pcscd runs with vpcd's readers; without them the test skips, unless
// peers are required.
func mustPCSC(tb testing.TB) {
	tb.Helper()
	unlock, err := pcsctest.Lock()
	mustOK(tb, err)
	stop, problem := pcsctest.Start()
	tb.Cleanup(func() { stop(); unlock() })
	if problem != "" {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			tb.Fatal(problem)
		}
		tb.Skip(problem)
	}
}

// insertCard puts a virtual e-KTP for nik into vpcd's first reader and its
// SAM into the second, with an identity record signed by the registry key.
func (s *System) insertCard(tb testing.TB, nik string) (remove func()) {
	tb.Helper()
	priv, err := ticket.LoadPrivateKey(filepath.Join(s.Var, "keys", "ticket.key"))
	mustOK(tb, err)
	master, serial := make([]byte, 32), make([]byte, ektp.SerialLen)
	rand.Read(master)
	rand.Read(serial)
	card, err := ektp.NewVirtualCard(ektp.CardSpec{NIK: station.MustParseNIK(nik), Serial: serial, MasterKey: master,
		Registry: priv, Issuer: "registry-sim", IssuedAt: time.Now(), Rand: rand.Reader})
	mustOK(tb, err)
	sam, err := vcard.InsertApplet(fmt.Sprintf("127.0.0.1:%d", vcard.Port0+1), ektp.VirtualSAMATR, ektp.NewVirtualSAM(master))
	mustOK(tb, err)
	c, err := vcard.InsertApplet(fmt.Sprintf("127.0.0.1:%d", vcard.Port0), ektp.VirtualCardATR, card)
	if err != nil {
		sam.Remove()
		tb.Fatal(err)
	}
	return func() { c.Remove(); sam.Remove() }
}

// TestBrowserCardLogin taps a virtual e-KTP through the real pcscd, enters
// the PIN on the keypad and prints.
//
// It runs with `make test-card` (ANJUNGAN_CARD_BROWSER=1), not in `make
// test`: inside the whole package it has hung with the page back on the
// start screen while waiting for the PIN screen, a failure not yet
// explained (see docs/testing.md).
func TestBrowserCardLogin(t *testing.T) {
	if os.Getenv("ANJUNGAN_CARD_BROWSER") != "1" {
		t.Skip("set ANJUNGAN_CARD_BROWSER=1 (make test-card) to run the e-KTP browser test")
	}
	mustPCSC(t)
	sys := MustStartWith(t, Options{Card: true})
	a := sys.MustApprove(t, "ktp-el")
	b := MustBrowser(t, 1280, 900)
	b.open(sys.Station.KioskURL())
	b.screen("start")
	b.do(chromedp.WaitEnabled(chromedp.CSS("#way-card")))
	b.do(chromedp.Click(chromedp.CSS("#way-card")))
	b.screen("card")
	b.both("card")
	remove := sys.insertCard(t, a.NIK)
	defer remove()
	b.screen("pin")
	if got := b.text("#card-subject"); got != a.NIK[:4]+"********"+a.NIK[12:] {
		t.Errorf("card read shows %q, want the masked NIK", got)
	}
	b.both("card-pin")
	b.keypad(a.PIN)
	b.do(chromedp.Click(chromedp.CSS("#pin-ok")))
	b.screen("docs")
	b.do(chromedp.Click(chromedp.CSS("#doc-list button.print")))
	b.screen("preview")
	b.do(chromedp.Click(chromedp.CSS("#preview-ok")))
	b.screen("done")
	if !sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Error("PIN not burned after a card login print")
	}
}
