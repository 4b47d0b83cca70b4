package station_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/fingerprint"
)

// fingerRegistry answers the logins of this unit test; the contract test
// in cmd/internal/registrysim runs the real client against registry-sim.
type fingerRegistry struct {
	station.Registry // nil: the kiosk calls nothing else here
	mu               sync.Mutex
	subject          station.NIK // answered; zero: the NIK asked
	logins           []string    // matcher ids
}

func (r *fingerRegistry) AuthenticateCardFingerprint(_ context.Context, nik station.NIK, matcher string) (station.Authorization, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logins = append(r.logins, matcher)
	if !r.subject.IsZero() {
		nik = r.subject
	}
	return station.Authorization{ID: "A1", Subject: nik, Method: station.AuthCardFingerprint, Requests: []station.PrintRequest{
		{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}}, nil
}

type fingerCards struct{ nik station.NIK }

func (c fingerCards) ReadNIK(context.Context) (station.NIK, error) { return c.nik, nil }

// events keeps what the kiosk records.
type events struct {
	mu  sync.Mutex
	all []station.Event
}

func (e *events) Record(_ context.Context, ev station.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) codes() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.all {
		out = append(out, string(ev.Kind)+":"+string(fault.CodeOf(ev.Err)))
	}
	return out
}

// fingerKiosk is a kiosk with a card reader, the simulated sensor on a
// temporary folder and the simulated matcher.
type fingerKiosk struct {
	k      *station.Kiosk
	f      *station.FingerprintLogin
	reg    *fingerRegistry
	ev     *events
	sensor string // the sensor's folder
}

func mustFingerKiosk(tb testing.TB, holder station.NIK, attempts int) *fingerKiosk {
	tb.Helper()
	fk := &fingerKiosk{reg: &fingerRegistry{}, ev: &events{}, sensor: filepath.Join(tb.TempDir(), "fingerprint")}
	fk.k = station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(tb), Registry: fk.reg, Cards: fingerCards{nik: holder}, Recorder: fk.ev,
		Printers: &fakePrinters{}, Now: time.Now, Rand: rand.Reader})
	tb.Cleanup(fk.k.Close)
	sensor, err := fingerprint.NewDirSensor(fingerprint.DirSensorConfig{Dir: fk.sensor, Poll: time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	matcher, err := fingerprint.NewSimulated(fingerprint.SimulatedConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	fk.f, err = station.NewFingerprintLogin(fk.k, station.FingerprintConfig{Sensor: sensor, Matcher: matcher, MatcherID: "simulated-v1", Attempts: attempts})
	if err != nil {
		tb.Fatal(err)
	}
	return fk
}

// place puts a finger on the sensor: the holder's, a wrong one, or an
// unreadable sample file.
func (fk *fingerKiosk) place(tb testing.TB, finger string, nik station.NIK) {
	tb.Helper()
	switch finger {
	case "good":
		_, err := fingerprint.PlaceSample(fk.sensor, fingerprint.Template(nik), time.Now())
		if err != nil {
			tb.Fatal(err)
		}
	case "wrong":
		if _, err := fingerprint.PlaceSample(fk.sensor, []byte("somebody else"), time.Now()); err != nil {
			tb.Fatal(err)
		}
	case "smudged":
		if err := os.WriteFile(filepath.Join(fk.sensor, "smudge.sample"), []byte("not a sample\n"), 0o600); err != nil {
			tb.Fatal(err)
		}
	default:
		tb.Fatalf("finger %q", finger)
	}
}

func (fk *fingerKiosk) mustRead(tb testing.TB) string {
	tb.Helper()
	id, _, err := fk.k.ReadCard(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// want is the outcome of one attempt: "session", "waiting", or an error
// code with the attempts left for a miss.
type want struct {
	code string
	left int
}

func TestFingerprintLogin(t *testing.T) {
	holder := station.MustParseNIK("3171012503900001")
	for _, tt := range []struct {
		name     string
		attempts int
		fingers  []string // "" for no finger: the wait ends
		want     []want
		events   []string
	}{
		{"match at once", 0, []string{"good"}, []want{{code: "session"}},
			[]string{"login_ok:"}},
		{"misses count down, then a match", 0, []string{"wrong", "wrong", "wrong", "good"},
			[]want{{"fingerprint_no_match", 3}, {"fingerprint_no_match", 2}, {"fingerprint_no_match", 1}, {code: "session"}},
			[]string{"login_refused:fingerprint_no_match", "login_refused:fingerprint_no_match", "login_refused:fingerprint_no_match", "login_ok:"}},
		{"the fourth miss locks and ends the read", 0, []string{"wrong", "wrong", "wrong", "wrong", "good"},
			[]want{{"fingerprint_no_match", 3}, {"fingerprint_no_match", 2}, {"fingerprint_no_match", 1}, {code: "fingerprint_locked"}, {code: "card_unreadable"}},
			[]string{"login_refused:fingerprint_no_match", "login_refused:fingerprint_no_match", "login_refused:fingerprint_no_match", "login_refused:fingerprint_locked", "login_refused:card_unreadable"}},
		{"fewer attempts configured: the kiosk locks the read", 2, []string{"wrong", "wrong", "good"},
			[]want{{"fingerprint_no_match", 1}, {code: "fingerprint_locked"}, {code: "card_unreadable"}},
			[]string{"login_refused:fingerprint_no_match", "login_refused:fingerprint_locked", "login_refused:card_unreadable"}},
		{"no finger costs no attempt", 0, []string{"", "wrong", "", "good"},
			[]want{{code: "waiting"}, {"fingerprint_no_match", 3}, {code: "waiting"}, {code: "session"}},
			[]string{"login_refused:fingerprint_no_match", "login_ok:"}},
		{"an unreadable sample costs no attempt", 0, []string{"smudged", "wrong", "good"},
			[]want{{code: "fingerprint_unreadable"}, {"fingerprint_no_match", 3}, {code: "session"}},
			[]string{"login_refused:fingerprint_unreadable", "login_refused:fingerprint_no_match", "login_ok:"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fk := mustFingerKiosk(t, holder, tt.attempts)
			id := fk.mustRead(t)
			for i, finger := range tt.fingers {
				ctx, cancel := context.WithCancel(context.Background())
				if finger == "" {
					cancel() // the wait ends before any finger
				} else {
					fk.place(t, finger, holder)
				}
				s, err := fk.f.Login(ctx, id)
				cancel()
				got := want{code: string(fault.CodeOf(err))}
				switch {
				case err == nil:
					got.code = "session"
					if s.Authz.Method != station.AuthCardFingerprint || s.Authz.Subject != holder {
						t.Errorf("attempt %d: session %+v", i, s.Authz)
					}
				case errors.Is(err, station.ErrFingerprintWaiting):
					got.code = "waiting"
				}
				var left station.AttemptsLeft
				if errors.As(err, &left) {
					got.left = int(left)
					if msg := fmt.Sprintf("Sisa %d kali", got.left); !strings.Contains(err.(*station.Error).ID, msg) {
						t.Errorf("attempt %d: message %q lacks %q", i, err.(*station.Error).ID, msg)
					}
				}
				if got != tt.want[i] {
					t.Fatalf("attempt %d (%s): got %+v (%v), want %+v", i, finger, got, err, tt.want[i])
				}
			}
			if got := fk.ev.codes(); strings.Join(got, " ") != strings.Join(tt.events, " ") {
				t.Errorf("events %v, want %v", got, tt.events)
			}
			for _, ev := range fk.ev.all {
				if ev.Method != station.AuthCardFingerprint {
					t.Errorf("event %s with method %q", ev.Kind, ev.Method)
				}
				if strings.Contains(fmt.Sprint(ev), holder.Reveal()) {
					t.Errorf("event %s shows the NIK: %v", ev.Kind, ev)
				}
			}
		})
	}
}

// TestFingerprintMatcherCountsAcrossReads: a new tap does not give a new
// set of attempts while the matcher still counts the NIK's misses.
func TestFingerprintMatcherCountsAcrossReads(t *testing.T) {
	holder := station.MustParseNIK("3171012503900001")
	fk := mustFingerKiosk(t, holder, 0)
	id := fk.mustRead(t)
	for range 2 {
		fk.place(t, "wrong", holder)
		fk.f.Login(context.Background(), id)
	}
	// The citizen taps again: the kiosk allows 4, the matcher only 1 more.
	id = fk.mustRead(t)
	fk.place(t, "wrong", holder)
	_, err := fk.f.Login(context.Background(), id)
	var left station.AttemptsLeft
	if !errors.As(err, &left) || left != 1 {
		t.Fatalf("third miss of the NIK: %v, want 1 attempt left", err)
	}
	fk.place(t, "wrong", holder)
	_, err = fk.f.Login(context.Background(), id)
	if !errors.Is(err, station.ErrFingerprintLocked) || !strings.Contains(err.(*station.Error).EN, "15 minutes") {
		t.Fatalf("fourth miss of the NIK: %v, want the matcher's lockout", err)
	}
}

func TestFingerprintRefuses(t *testing.T) {
	holder := station.MustParseNIK("3171012503900001")

	t.Run("unknown read", func(t *testing.T) {
		fk := mustFingerKiosk(t, holder, 0)
		if _, err := fk.f.Login(context.Background(), "nope"); !errors.Is(err, station.ErrCardUnreadable) {
			t.Fatalf("Login = %v", err)
		}
	})
	t.Run("read used by a PIN login", func(t *testing.T) {
		fk := mustFingerKiosk(t, holder, 0)
		id := fk.mustRead(t)
		fk.k.LoginCard(context.Background(), id, "12") // a malformed PIN still uses the read
		fk.place(t, "good", holder)
		if _, err := fk.f.Login(context.Background(), id); !errors.Is(err, station.ErrCardUnreadable) {
			t.Fatalf("Login = %v", err)
		}
		if len(fk.reg.logins) != 0 {
			t.Fatalf("the upstream was asked: %v", fk.reg.logins)
		}
	})
	t.Run("a match uses the read", func(t *testing.T) {
		fk := mustFingerKiosk(t, holder, 0)
		id := fk.mustRead(t)
		fk.place(t, "good", holder)
		if _, err := fk.f.Login(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		fk.place(t, "good", holder)
		if _, err := fk.f.Login(context.Background(), id); !errors.Is(err, station.ErrCardUnreadable) {
			t.Fatalf("second Login = %v", err)
		}
		if _, err := fk.k.LoginCard(context.Background(), id, "123456"); !errors.Is(err, station.ErrCardUnreadable) {
			t.Fatalf("PIN after the match = %v", err)
		}
		if strings.Join(fk.reg.logins, ",") != "simulated-v1" {
			t.Fatalf("upstream logins %v", fk.reg.logins)
		}
	})
	t.Run("upstream answers for another subject", func(t *testing.T) {
		fk := mustFingerKiosk(t, holder, 0)
		fk.reg.subject = station.MustParseNIK("3171016505900002")
		id := fk.mustRead(t)
		fk.place(t, "good", holder)
		if _, err := fk.f.Login(context.Background(), id); !errors.Is(err, station.ErrSubjectMismatch) {
			t.Fatalf("Login = %v", err)
		}
	})
	t.Run("registry without a fingerprint login", func(t *testing.T) {
		k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(t), Registry: &fakeRegistry{}, Printers: &fakePrinters{}, Now: time.Now, Rand: rand.Reader})
		defer k.Close()
		if _, err := station.NewFingerprintLogin(k, station.FingerprintConfig{Sensor: fingerSensor{}, Matcher: fingerMatcher{}, MatcherID: "m"}); err == nil {
			t.Fatal("NewFingerprintLogin accepted a registry without AuthenticateCardFingerprint")
		}
	})
}

type fingerSensor struct{}

func (fingerSensor) Capture(ctx context.Context) ([]byte, error) { <-ctx.Done(); return nil, ctx.Err() }

type fingerMatcher struct{}

func (fingerMatcher) Match(context.Context, station.NIK, []byte) (bool, error) { return true, nil }

// TestFingerprintCancel: the page leaves the fingerprint screen; the
// capture ends without an attempt and the read stays for the PIN.
func TestFingerprintCancel(t *testing.T) {
	holder := station.MustParseNIK("3171012503900001")
	fk := mustFingerKiosk(t, holder, 0)
	id := fk.mustRead(t)
	done := make(chan error, 1)
	go func() {
		_, err := fk.f.Login(context.Background(), id)
		done <- err
	}()
	var err error
	for waiting := true; waiting; {
		fk.f.Cancel(id) // until the capture has started and ends
		select {
		case err = <-done:
			waiting = false
		case <-time.After(5 * time.Millisecond):
		}
	}
	if !errors.Is(err, station.ErrFingerprintWaiting) {
		t.Fatalf("cancelled Login = %v", err)
	}
	if _, err := fk.k.LoginCard(context.Background(), id, "12"); !errors.Is(err, station.ErrCredentialsRejected) {
		t.Fatalf("PIN after a cancelled capture = %v, want the read still pending", err)
	}
}

// TestFingerprintNewRequestReplacesTheOld: the page asks again while a
// capture waits; the older request ends without an attempt, the newer one
// gets the finger. Whichever starts second is the newer.
func TestFingerprintNewRequestReplacesTheOld(t *testing.T) {
	holder := station.MustParseNIK("3171012503900001")
	fk := mustFingerKiosk(t, holder, 0)
	id := fk.mustRead(t)
	results := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := fk.f.Login(context.Background(), id)
			results <- err
		}()
	}
	if err := <-results; !errors.Is(err, station.ErrFingerprintWaiting) {
		t.Fatalf("the older request: %v, want it to end waiting", err)
	}
	fk.place(t, "good", holder)
	if err := <-results; err != nil {
		t.Fatalf("the newer request: %v", err)
	}
}
