package registrysim_test

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/fingerprint"
)

// TestClientFingerprintLogin: the card_fingerprint login over mTLS opens
// the holder's oldest live approval, and the approvals' prints stay
// one-time.
func TestClientFingerprintLogin(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	firstID, nikText, _, _ := w.Approve(t, map[string]any{"documents": []string{"ktp-el", "kk"}})
	w.Advance(time.Minute)
	secondID, _, _, _ := w.Approve(t, map[string]any{"nik": nikText, "documents": []string{"kk"}})
	nik := station.MustParseNIK(nikText)

	a, err := w.client.AuthenticateCardFingerprint(ctx, nik, "simulated-v1")
	if err != nil {
		t.Fatalf("fingerprint login: %v", err)
	}
	if a.Subject != nik || a.Method != station.AuthCardFingerprint || len(a.Requests) != 2 {
		t.Fatalf("authorization %+v, want the first approval's two requests", a)
	}
	for i, r := range a.Requests {
		if _, err := w.client.ConfirmPrint(ctx, outcome(a, r, "f1-"+string(rune('a'+i)), station.ResultPrinted)); err != nil {
			t.Fatal(err)
		}
	}
	if !w.Burned(t, firstID) || w.Burned(t, secondID) {
		t.Fatal("printing the first approval should burn it and only it")
	}

	b, err := w.client.AuthenticateCardFingerprint(ctx, nik, "simulated-v1")
	if err != nil {
		t.Fatalf("fingerprint login after the first approval printed: %v", err)
	}
	if len(b.Requests) != 1 || b.Requests[0].Document != station.KK {
		t.Fatalf("second authorization %+v, want the second approval", b)
	}
	if _, err := w.client.ConfirmPrint(ctx, outcome(b, b.Requests[0], "f2", station.ResultPrinted)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.AuthenticateCardFingerprint(ctx, nik, "simulated-v1"); !errors.Is(err, station.ErrTicketUsed) {
		t.Fatalf("fingerprint login with every approval printed: %v", err)
	}

	// A resident without an approval has nothing to print.
	var other station.NIK
	for _, p := range w.Residents(t) {
		if p != nik {
			other = p
			break
		}
	}
	if _, err := w.client.AuthenticateCardFingerprint(ctx, other, "simulated-v1"); !errors.Is(err, station.ErrNothingToPrint) {
		t.Fatalf("fingerprint login without an approval: %v", err)
	}
}

// fingerCards is a card reader that always reads the same e-KTP.
type fingerCards struct{ nik station.NIK }

func (c fingerCards) ReadNIK(context.Context) (station.NIK, error) { return c.nik, nil }

// TestKioskFingerprintLogin runs the whole second factor against the real
// upstream client and registry-sim over mTLS: a card read, the simulated
// sensor and matcher, misses, then a match and a session.
func TestKioskFingerprintLogin(t *testing.T) {
	w := newWorld(t)
	_, nikText, _, _ := w.Approve(t, map[string]any{"documents": []string{"ktp-el"}})
	nik := station.MustParseNIK(nikText)
	k := station.NewKiosk(station.KioskConfig{Registry: w.client, Cards: fingerCards{nik}, Now: time.Now, Rand: rand.Reader})
	defer k.Close()
	dir := filepath.Join(t.TempDir(), "fingerprint")
	sensor, err := fingerprint.NewDirSensor(fingerprint.DirSensorConfig{Dir: dir, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	matcher, err := fingerprint.NewSimulated(fingerprint.SimulatedConfig{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := station.NewFingerprintLogin(k, station.FingerprintConfig{Sensor: sensor, Matcher: matcher, MatcherID: "simulated-v1"})
	if err != nil {
		t.Fatal(err)
	}
	// The deadline only stops a hung test.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	read, masked, err := k.ReadCard(ctx)
	if err != nil || masked != nik.Masked() {
		t.Fatalf("ReadCard = %q, %v", masked, err)
	}
	if _, err := fingerprint.PlaceSample(dir, []byte("another finger"), time.Now()); err != nil {
		t.Fatal(err)
	}
	var left station.AttemptsLeft
	if _, err := f.Login(ctx, read); !errors.As(err, &left) || left != 3 {
		t.Fatalf("wrong finger: %v", err)
	}
	if _, err := fingerprint.PlaceSample(dir, fingerprint.Template(nik), time.Now()); err != nil {
		t.Fatal(err)
	}
	s, err := f.Login(ctx, read)
	if err != nil {
		t.Fatalf("right finger: %v", err)
	}
	if s.Authz.Subject != nik || s.Authz.Method != station.AuthCardFingerprint || len(s.Authz.Requests) != 1 {
		t.Fatalf("session %+v", s.Authz)
	}
}
