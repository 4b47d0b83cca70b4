package http

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/voice"
)

// TestVoicePhrasesComplete: every screen of the page and every error code
// a citizen can see has a phrase in both languages. The screens come from
// index.html, the codes from the station's errors and the messages the
// page shows within a screen.
func TestVoicePhrasesComplete(t *testing.T) {
	want := map[string]bool{"voice_error_other": true}
	html, _ := assets.ReadFile("assets/index.html")
	screens := regexp.MustCompile(`id="screen-([a-z-]+)"`).FindAllSubmatch(html, -1)
	if len(screens) < 10 {
		t.Fatalf("found %d screens; the pattern no longer matches the page", len(screens))
	}
	for _, m := range screens {
		if s := string(m[1]); s != "error" { // the error screen says its error
			want["voice_screen_"+s] = true
		}
	}
	// The station's errors shown to citizens (the officer's errors of
	// jobaction.go and pinlift.go are the console's).
	for _, f := range []string{"errors.go", "fingerprint_login.go", "hours.go"} {
		src, err := os.ReadFile("../" + f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`fault\.New\("([a-z_]+)"`).FindAllSubmatch(src, -1) {
			want["voice_error_"+string(m[1])] = true
		}
	}
	// Messages within a screen: app.js tells their codes.
	js, _ := assets.ReadFile("assets/app.js")
	for _, m := range regexp.MustCompile(`tell\("([a-z_]+)"\)`).FindAllSubmatch(js, -1) {
		want["voice_error_"+string(m[1])] = true
	}
	for _, c := range []station.CardStatus{station.CardNotEKTP, station.CardFailed, station.CardReaderMissing, station.CardServiceDown, station.CardSetAside} {
		want["voice_error_card_"+string(c)] = true
	}
	want["voice_error_network"] = true // app.js: the server did not answer
	if len(want) < 40 {
		t.Fatalf("only %d phrases wanted; the patterns no longer match", len(want))
	}
	for _, k := range FirstScreenPhrases {
		if !want[k] {
			t.Errorf("FirstScreenPhrases: %q is no screen's phrase", k)
		}
	}
	for _, lang := range []string{"id", "en"} {
		texts := loadTexts(t, lang)
		for k := range want {
			if texts[k] == "" {
				t.Errorf("%s.json: no phrase %q", lang, k)
			}
		}
	}
}

// TestVoiceServed: the station serves a phrase as Ogg Opus made by
// espeak-ng and opusenc, cacheable, and nothing that is not a phrase.
func TestVoiceServed(t *testing.T) {
	if err := voice.Available(); err != nil {
		t.Fatal(err)
	}
	texts, err := KioskTexts()
	if err != nil {
		t.Fatal(err)
	}
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Registry: kioskUpstream{}, Printers: noPrinters{}, Now: time.Now, Rand: rand.Reader})
	t.Cleanup(k.Close)
	s := NewKiosk(k, nil, zerolog.Nop())
	s.MountVoice(voice.New(texts, voice.Exec), 0.8)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	base := "http://" + ln.Addr().String()

	get := func(path string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	for _, lang := range []string{"id", "en"} {
		res, ogg := get("/voice/" + lang + "/voice_screen_start.opus")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "audio/ogg" || res.Header.Get("Cache-Control") != "public, max-age=86400" {
			t.Fatalf("%s: %d %q %q", lang, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
		}
		if string(ogg[:4]) != "OggS" {
			t.Fatalf("%s: starts %q", lang, ogg[:4])
		}
		info, err := voice.Inspect(ogg)
		if err != nil || info.Channels != 1 || info.Duration < 2*time.Second || info.Duration > 15*time.Second {
			t.Fatalf("%s: %+v %v", lang, info, err)
		}
		if res2, _ := get("/voice/"+lang+"/voice_screen_start.opus", "If-None-Match", res.Header.Get("ETag")); res2.StatusCode != 304 {
			t.Errorf("%s: conditional GET %d, want 304", lang, res2.StatusCode)
		}
	}
	for _, p := range []string{"/voice/id/title.opus", "/voice/fr/voice_screen_start.opus", "/voice/id/voice_screen_start.wav",
		"/voice/id/Selamat%20datang.opus", "/voice/id/..%2Fid.json"} {
		if res, _ := get(p); res.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
	_, b := get("/api/config")
	var c struct {
		Voice  bool    `json:"voice"`
		Volume float64 `json:"voice_volume"`
	}
	if err := json.Unmarshal(b, &c); err != nil || !c.Voice || c.Volume != 0.8 {
		t.Errorf("config %s: %v", b, err)
	}
}

var voiceAll = flag.Bool("voice-all", false, "make every phrase of both languages with espeak-ng and opusenc, and log their sizes and the time")

// TestVoiceAllPhrases makes every phrase, as a whole visit's screens would:
// each must be valid Ogg Opus of a sane length. It takes some seconds, so
// it runs with -voice-all (docs/kiosk.md, "Spoken guidance").
func TestVoiceAllPhrases(t *testing.T) {
	if !*voiceAll {
		t.Skip("run with -args -voice-all")
	}
	texts, err := KioskTexts()
	if err != nil {
		t.Fatal(err)
	}
	s := voice.New(texts, voice.Exec)
	w, err := s.Warm(context.Background(), time.Now, s.Keys("id")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"id", "en"} {
		for _, k := range s.Keys(lang) {
			ogg, _ := s.Phrase(context.Background(), lang, k)
			if info, err := voice.Inspect(ogg); err != nil || info.Duration < 500*time.Millisecond || info.Duration > 15*time.Second {
				t.Errorf("%s/%s: %+v %v", lang, k, info, err)
			}
		}
	}
	n := len(w.Sizes)
	t.Logf("%d phrases in %v; bytes min %d, median %d, max %d, total %d", w.Phrases, w.Took.Round(time.Millisecond), w.Sizes[0], w.Sizes[n/2], w.Sizes[n-1], sum(w.Sizes))
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
