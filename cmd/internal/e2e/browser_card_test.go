package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/fingerprint"
	"github.com/anjungan/anjungan/station/smartcard"
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
	// A kiosk's SAM sits in its slot from boot. Tapping the card the
	// moment the SAM goes in races pcscd's poller: the loop finds no SAM
	// yet and the read fails (card_sam_unavailable). That race made this
	// test fail under load: see waitSlot.
	waitSlot(tb, pcsctest.SAMReader, true)
	c, err := vcard.InsertApplet(fmt.Sprintf("127.0.0.1:%d", vcard.Port0), ektp.VirtualCardATR, card)
	if err != nil {
		sam.Remove()
		tb.Fatal(err)
	}
	return func() {
		c.Remove()
		sam.Remove()
		waitSlot(tb, pcsctest.CardReader, false)
		waitSlot(tb, pcsctest.SAMReader, false)
	}
}

// insertOther puts a virtual chip with atr and applet in the card slot;
// remove waits until pcscd sees the slot empty, since vpcd loses a card
// connected before its poller noticed the previous one left.
func insertOther(tb testing.TB, atr []byte, applet func([]byte) []byte) (remove func()) {
	tb.Helper()
	c, err := vcard.Insert(fmt.Sprintf("127.0.0.1:%d", vcard.Port0), atr, applet)
	mustOK(tb, err)
	return func() { c.Remove(); waitSlot(tb, pcsctest.CardReader, false) }
}

// waitSlot waits until pcscd sees a card in reader (or none). The
// deadline only stops a hung test.
func waitSlot(tb testing.TB, reader string, card bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !card {
		mustOK(tb, smartcard.WaitEmpty(ctx, reader))
		return
	}
	c, err := smartcard.WaitCard(ctx, reader)
	mustOK(tb, err)
	c.Close()
}

// TestBrowserCardLogin taps a virtual e-KTP through the real pcscd, enters
// the PIN on the keypad and prints.
func TestBrowserCardLogin(t *testing.T) {
	mustPCSC(t)
	sys := MustStartWith(t, Options{Card: true})
	a := sys.MustApprove(t, "ktp-el")
	b := MustBrowser(t, 1920, 1080)
	b.openCardScreen(sys)
	b.both("card")
	remove := sys.insertCard(t, a.NIK)
	defer remove()
	b.screen("pin")
	if got := b.Text("#card-subject"); got != maskedNIK(a.NIK) {
		t.Errorf("card read shows %q, want the masked NIK", got)
	}
	b.both("card-pin")
	b.keypad(a.PIN)
	b.tap("#pin-ok", "docs")
	b.tap("#doc-list button.print", "preview")
	b.tap("#preview-ok", "done")
	if !sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Error("PIN not burned after a card login print")
	}
}

// openCardScreen opens the kiosk and chooses "Tempel KTP-el".
func (b *Browser) openCardScreen(sys *System) {
	b.TB.Helper()
	b.openStart(sys.Station.KioskURL())
	b.Do(chromedp.WaitEnabled(chromedp.CSS("#way-card")))
	b.tap("#way-card", "card")
}

// waitCardState waits until the card screen shows the reader's status.
func (b *Browser) waitCardState(status string) {
	b.TB.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 60*time.Second) // stops a hung test only
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#card-state[data-status="`+status+`"]`))); err != nil {
		got, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.querySelector("#card-state").dataset.status + ": " + document.querySelector("#card-state").textContent`))
		b.TB.Fatalf("card screen never showed %q; it shows %q", status, got)
	}
}

// TestBrowserCardPresence follows the reader live on the card screen
// through the real pcscd: waiting, a card that is not an e-KTP, an e-KTP
// lifted before its read ended (its own screen), then a good tap that
// goes on to the PIN without starting over.
func TestBrowserCardPresence(t *testing.T) {
	mustPCSC(t)
	sys := MustStartWith(t, Options{Card: true})
	a := sys.MustApprove(t, "ktp-el")
	b := MustBrowser(t, 1080, 1920)
	b.openCardScreen(sys)
	b.waitCardState("waiting")
	b.mustAccessible("card")

	// Another card (here: the SAM's ATR, which is not an e-KTP's).
	removeOther := insertOther(t, ektp.VirtualSAMATR, func([]byte) []byte { return []byte{0x6D, 0x00} })
	b.waitCardState("not_ektp")
	if got := b.Text("#card-state"); !strings.Contains(got, "bukan KTP-el") {
		t.Errorf("not an e-KTP: the screen says %q", got)
	}
	b.both("card-not-ektp")
	removeOther()

	// An e-KTP lifted at its first command: vpcd answers nothing.
	removeLifted := insertOther(t, ektp.VirtualCardATR, func([]byte) []byte { return nil })
	b.screen("card-again")
	if got := b.Text("#screen-card-again"); !strings.Contains(got, "tahan") {
		t.Errorf("card lifted too early: the screen says %q", got)
	}
	b.both("card-removed-early")
	b.mustAccessible("card-again")
	removeLifted()

	// Tapped again and held: the PIN comes next.
	remove := sys.insertCard(t, a.NIK)
	defer remove()
	b.screen("pin")
	if got := b.Text("#card-subject"); got != maskedNIK(a.NIK) {
		t.Errorf("card read shows %q, want the masked NIK", got)
	}
}

// TestBrowserCardFingerprint taps a virtual e-KTP, chooses the fingerprint
// instead of the PIN, places a wrong finger (the page says so and counts
// the attempts left), then the right one, and prints: the approval is
// burned once the print is confirmed.
func TestBrowserCardFingerprint(t *testing.T) {
	mustPCSC(t)
	sys := MustStartWith(t, Options{Card: true, Fingerprint: true})
	a := sys.MustApprove(t, "ktp-el")
	nik, err := station.ParseNIK(a.NIK)
	mustOK(t, err)
	dir := filepath.Join(sys.Var, "fingerprint")
	b := MustBrowser(t, 1080, 1920)
	b.openCardScreen(sys)
	remove := sys.insertCard(t, a.NIK)
	defer remove()
	b.screen("pin")
	b.Do(chromedp.WaitVisible(chromedp.CSS("#use-finger")))
	b.tap("#use-finger", "finger")
	// Which finger, in both languages: the station's setting, by default
	// the right index.
	if got := b.Text("#finger-title"); !strings.Contains(got, "jari telunjuk kanan") {
		t.Errorf("the fingerprint screen says %q; it should name the right index finger", got)
	}
	b.Do(chromedp.Click(chromedp.CSS("#lang")))
	if got := b.Text("#finger-title"); !strings.Contains(got, "right index finger") {
		t.Errorf("the English fingerprint screen says %q; it should name the right index finger", got)
	}
	b.Do(chromedp.Click(chromedp.CSS("#lang")))
	b.both("finger")
	b.mustAccessible("finger")
	_, err = fingerprint.PlaceSample(dir, []byte("not this citizen's finger"), time.Now())
	mustOK(t, err)
	b.Do(chromedp.WaitVisible(chromedp.CSS("#finger-state.bad")))
	if got := b.Text("#finger-state"); !strings.Contains(got, "3") {
		t.Errorf("after a wrong finger the page says %q, want the 3 attempts left", got)
	}
	b.both("finger-no-match")
	b.mustAccessible("finger after a miss")
	_, err = fingerprint.PlaceSample(dir, fingerprint.Template(nik), time.Now())
	mustOK(t, err)
	b.screen("docs")
	b.tap("#doc-list button.print", "preview")
	b.tap("#preview-ok", "done")
	if !sys.approvalStatus(t, a.ApprovalID).TokenBurned {
		t.Error("approval not burned after a fingerprint login print")
	}
}

// TestBrowserCardLeftOnReader: a citizen who chose English prints after
// a card login and leaves the e-KTP on the reader. The kiosk says "take
// your e-KTP"; the next visitor starts in Bahasa Indonesia, and the card
// left behind does not log them in: the card screen asks for it to be
// lifted, and only a new tap is read.
func TestBrowserCardLeftOnReader(t *testing.T) {
	mustPCSC(t)
	sys := MustStartWith(t, Options{Card: true})
	a := sys.MustApprove(t, "kk")
	b := MustBrowser(t, 1080, 1920)
	b.openCardScreen(sys)
	remove := sys.insertCard(t, a.NIK)
	b.screen("pin")
	b.Do(chromedp.Click(chromedp.CSS("#lang")))
	b.keypad(a.PIN)
	b.tap("#pin-ok", "docs")
	b.tap("#doc-list button.print", "preview")
	b.tap("#preview-ok", "done")
	b.Do(chromedp.WaitVisible(chromedp.CSS("#done-takecard")))
	if got := b.Text("#done-takecard"); got != "Take your e-KTP" {
		t.Errorf("done screen reminds %q", got)
	}
	b.tap("#done-ok", "takecard")
	if got := eval[string](b, `document.documentElement.lang`); got != "id" {
		t.Errorf("the next visitor starts in %q", got)
	}
	b.bothSizes("takecard")

	// The next visitor: the card left behind is not their tap.
	b.tap("#takecard-ok", "start")
	b.tap("#way-card", "card")
	b.waitCardState("set_aside")
	b.bothSizes("card-set-aside")
	time.Sleep(2 * time.Second) // a read would show the PIN screen by now; not a timing assertion on speed
	if eval[bool](b, `!document.querySelector("#screen-pin").hidden`) {
		t.Fatal("a card left on the reader logged the next visitor in")
	}
	remove()
	b.waitCardState("waiting")
	remove = sys.insertCard(t, a.NIK)
	defer remove()
	b.screen("pin") // tapped again: read
}
