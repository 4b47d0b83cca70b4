package http

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/fingerprint"
)

// fingerUpstream logs in whoever the kiosk asks for; the contract test in
// cmd/internal/registrysim runs the real client against registry-sim.
type fingerUpstream struct {
	station.Registry // nil: nothing else is called
}

func (fingerUpstream) AuthenticateCardFingerprint(_ context.Context, nik station.NIK, _ string) (station.Authorization, error) {
	return station.Authorization{ID: "A1", Subject: nik, Method: station.AuthCardFingerprint,
		Requests: []station.PrintRequest{{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}}, nil
}

type oneCard struct{ nik station.NIK }

func (c oneCard) ReadNIK(context.Context) (station.NIK, error) { return c.nik, nil }

// fingerServer is the kiosk server on 127.0.0.1:0 with the simulated
// sensor and matcher, and a browser-like client keeping cookies.
type fingerServer struct {
	url    string
	sensor string
	client *http.Client
}

func mustFingerServer(tb testing.TB, nik station.NIK) *fingerServer {
	tb.Helper()
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Registry: fingerUpstream{}, Cards: oneCard{nik}, Now: time.Now, Rand: rand.Reader})
	tb.Cleanup(k.Close)
	dir := filepath.Join(tb.TempDir(), "fingerprint")
	sensor, err := fingerprint.NewDirSensor(fingerprint.DirSensorConfig{Dir: dir, Poll: time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	matcher, err := fingerprint.NewSimulated(fingerprint.SimulatedConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	f, err := station.NewFingerprintLogin(k, station.FingerprintConfig{Sensor: sensor, Matcher: matcher, MatcherID: "simulated-v1"})
	if err != nil {
		tb.Fatal(err)
	}
	s := NewKiosk(k, nil, zerolog.Nop())
	s.MountFingerprint(f)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go s.Serve(ln)
	tb.Cleanup(func() { s.Shutdown(context.Background()) })
	jar, _ := cookiejar.New(nil)
	return &fingerServer{url: "http://" + ln.Addr().String(), sensor: dir, client: &http.Client{Jar: jar, Timeout: time.Minute}}
}

// call sends a request and decodes the JSON answer, if any.
func (s *fingerServer) call(tb testing.TB, method, path string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader([]byte("{}")))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := s.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (s *fingerServer) place(tb testing.TB, sample []byte) {
	tb.Helper()
	if _, err := fingerprint.PlaceSample(s.sensor, sample, time.Now()); err != nil {
		tb.Fatal(err)
	}
}

func errorOf(out map[string]any) (string, any) {
	e, _ := out["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code, e["attempts_left"]
}

func TestFingerprintAPI(t *testing.T) {
	nik := station.MustParseNIK("3171012503900001")
	good, wrong := fingerprint.Template(nik), []byte("another finger")

	t.Run("miss, page leaves, match", func(t *testing.T) {
		s := mustFingerServer(t, nik)
		if st, out := s.call(t, "GET", "/api/card/fingerprint"); st != 200 || out["attempts"] != 4.0 {
			t.Fatalf("info: %d %v", st, out)
		}
		if st, out := s.call(t, "POST", "/api/card/read"); st != 200 || out["status"] != "read" {
			t.Fatalf("card read: %d %v", st, out)
		}
		s.place(t, wrong)
		if st, out := s.call(t, "POST", "/api/card/fingerprint"); st != 401 {
			t.Fatalf("wrong finger: %d %v", st, out)
		} else if code, left := errorOf(out); code != "fingerprint_no_match" || left != 3.0 {
			t.Fatalf("wrong finger: %v", out)
		}

		// The page leaves while the kiosk waits for a finger.
		done := make(chan map[string]any, 1)
		go func() {
			_, out := s.call(t, "POST", "/api/card/fingerprint")
			done <- out
		}()
		var out map[string]any
		for out == nil {
			if st, _ := s.call(t, "DELETE", "/api/card/fingerprint"); st != 204 {
				t.Fatalf("cancel: %d", st)
			}
			select {
			case out = <-done:
			case <-time.After(5 * time.Millisecond):
			}
		}
		if out["status"] != "waiting" {
			t.Fatalf("cancelled wait: %v", out)
		}

		s.place(t, good)
		st, out := s.call(t, "POST", "/api/card/fingerprint")
		if st != 201 || out["method"] != "card_fingerprint" || out["subject"] != nik.Masked() {
			t.Fatalf("right finger: %d %v", st, out)
		}
		if st, out := s.call(t, "GET", "/api/session"); st != 200 || out["method"] != "card_fingerprint" {
			t.Fatalf("session: %d %v", st, out)
		}
	})

	t.Run("four misses lock the read", func(t *testing.T) {
		s := mustFingerServer(t, nik)
		s.call(t, "POST", "/api/card/read")
		for i, want := range []struct {
			status int
			code   string
			left   any
		}{
			{401, "fingerprint_no_match", 3.0},
			{401, "fingerprint_no_match", 2.0},
			{401, "fingerprint_no_match", 1.0},
			{429, "fingerprint_locked", nil},
			{422, "card_unreadable", nil}, // the read is gone: tap again
		} {
			s.place(t, wrong)
			st, out := s.call(t, "POST", "/api/card/fingerprint")
			if code, left := errorOf(out); st != want.status || code != want.code || left != want.left {
				t.Fatalf("attempt %d: %d %v, want %d %s %v", i, st, out, want.status, want.code, want.left)
			}
		}
	})

	t.Run("an unreadable finger", func(t *testing.T) {
		s := mustFingerServer(t, nik)
		s.call(t, "POST", "/api/card/read")
		s.place(t, wrong) // placed, then smudged: a file that is not a sample
		if err := writeFile(filepath.Join(s.sensor, "0-smudge.sample"), "smudge"); err != nil {
			t.Fatal(err)
		}
		if st, out := s.call(t, "POST", "/api/card/fingerprint"); st != 422 {
			t.Fatalf("smudged: %d %v", st, out)
		} else if code, _ := errorOf(out); code != "fingerprint_unreadable" {
			t.Fatalf("smudged: %v", out)
		}
		// The unreadable sample cost nothing: the next miss leaves 3.
		if _, out := s.call(t, "POST", "/api/card/fingerprint"); out["error"] == nil {
			t.Fatalf("wrong finger after a smudge: %v", out)
		} else if _, left := errorOf(out); left != 3.0 {
			t.Fatalf("wrong finger after a smudge: %v", out)
		}
	})
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }
