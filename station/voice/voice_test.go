package voice

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

var texts = map[string]map[string]string{
	"id": {"voice_screen_start": "Selamat datang.", "title": "Anjungan"},
	"en": {"voice_screen_start": "Welcome."},
}

// fakeRunner records the programs run and answers with a valid Ogg Opus
// stream (opusenc) or the text it was given (espeak-ng).
type fakeRunner struct {
	mu    sync.Mutex
	calls []string
	ogg   []byte
}

func (f *fakeRunner) run(_ context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name+" "+string(stdin))
	if name == "opusenc" {
		return f.ogg, nil
	}
	return stdin, nil
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestPhraseLookupAndCache: only voice_ keys of the table are spoken, in
// the language asked; each is made once.
func TestPhraseLookupAndCache(t *testing.T) {
	f := &fakeRunner{ogg: mustRead(t, "valid.opus")}
	s := New(texts, f.run)
	for i := 0; i < 3; i++ {
		ogg, err := s.Phrase(context.Background(), "id", "voice_screen_start")
		if err != nil || !bytes.Equal(ogg, f.ogg) {
			t.Fatalf("phrase: %d bytes, %v", len(ogg), err)
		}
	}
	if len(f.calls) != 2 || f.calls[0] != "espeak-ng Selamat datang." {
		t.Fatalf("calls %q, want espeak-ng and opusenc once", f.calls)
	}
	if _, err := s.Phrase(context.Background(), "en", "voice_screen_start"); err != nil || f.calls[2] != "espeak-ng Welcome." {
		t.Fatalf("en: %v, calls %q", err, f.calls)
	}
	for _, c := range []struct{ lang, key string }{
		{"id", "title"},                    // in the table, but no phrase
		{"fr", "voice_screen_start"},       // no such language
		{"id", "voice_screen_nowhere"},     // no such key
		{"id", "Silakan 3171091203850007"}, // text, never spoken
	} {
		if _, err := s.Phrase(context.Background(), c.lang, c.key); !errors.Is(err, ErrUnknownPhrase) {
			t.Errorf("%s/%s: %v, want ErrUnknownPhrase", c.lang, c.key, err)
		}
	}
	if len(f.calls) != 4 {
		t.Errorf("unknown phrases ran programs: %q", f.calls)
	}
}

// TestWarmMakesOnlyTheKeysGiven: the start-up makes the first screen's
// phrases in every language and nothing else; a later screen's phrase is
// made on its first request.
func TestWarmMakesOnlyTheKeysGiven(t *testing.T) {
	f := &fakeRunner{ogg: mustRead(t, "valid.opus")}
	s := New(map[string]map[string]string{
		"id": {"voice_screen_start": "Selamat datang.", "voice_screen_docs": "Pilih dokumen.", "voice_error_x": "Maaf."},
		"en": {"voice_screen_start": "Welcome.", "voice_screen_docs": "Choose a document."},
	}, f.run)
	w, err := s.Warm(context.Background(), time.Now, "voice_screen_start")
	if err != nil || w.Phrases != 2 || len(w.Sizes) != 2 {
		t.Fatalf("warm: %+v %v", w, err)
	}
	if got, want := s.Made(), []string{"en/voice_screen_start", "id/voice_screen_start"}; !slices.Equal(got, want) {
		t.Fatalf("start-up made %q, want %q", got, want)
	}
	if _, err := s.Phrase(context.Background(), "id", "voice_screen_docs"); err != nil {
		t.Fatal(err)
	}
	if got := s.Made(); len(got) != 3 || got[2] != "id/voice_screen_docs" {
		t.Fatalf("after a request: made %q", got)
	}
}

// gatedRunner holds every espeak-ng run until open is closed, so requests
// pile up on a phrase that is being made.
type gatedRunner struct {
	fakeRunner
	started chan struct{}
	open    chan struct{}
}

func (g *gatedRunner) run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	if name == "espeak-ng" {
		g.started <- struct{}{}
		<-g.open
	}
	return g.fakeRunner.run(ctx, stdin, name, args...)
}

// TestPhraseConcurrentFirstRequestsMakeItOnce: many citizens' first
// requests for one phrase, while it is being made, wait for that one
// making, and all get it.
func TestPhraseConcurrentFirstRequestsMakeItOnce(t *testing.T) {
	g := &gatedRunner{fakeRunner: fakeRunner{ogg: mustRead(t, "valid.opus")}, started: make(chan struct{}, 16), open: make(chan struct{})}
	s := New(texts, g.run)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ogg, err := s.Phrase(context.Background(), "id", "voice_screen_start")
			if err == nil && !bytes.Equal(ogg, g.ogg) {
				err = errors.New("another phrase")
			}
			errs <- err
		}()
	}
	<-g.started // one making runs; give the others time to arrive
	time.Sleep(50 * time.Millisecond)
	close(g.open)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := s.Made(); len(got) != 1 {
		t.Errorf("%d concurrent first requests made it %d times: %q", n, len(got), got)
	}
	if len(g.calls) != 2 {
		t.Errorf("programs run: %q, want espeak-ng and opusenc once", g.calls)
	}
}

// BenchmarkPhrase: a phrase's first request (espeak-ng and opusenc run)
// against a later one (from memory), with the real programs.
func BenchmarkPhrase(b *testing.B) {
	if err := Available(); err != nil {
		b.Skip(err)
	}
	table := map[string]map[string]string{"id": {"voice_screen_docs": "Pilih dokumen yang akan dicetak, lalu sentuh Cetak."}}
	b.Run("first", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := New(table, Exec).Phrase(context.Background(), "id", "voice_screen_docs"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		s := New(table, Exec)
		if _, err := s.Phrase(context.Background(), "id", "voice_screen_docs"); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.Phrase(context.Background(), "id", "voice_screen_docs"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestPhraseRejectsBadEncoderOutput: what opusenc gives must be Ogg Opus.
func TestPhraseRejectsBadEncoderOutput(t *testing.T) {
	f := &fakeRunner{ogg: []byte("RIFF....WAVE")}
	if _, err := New(texts, f.run).Phrase(context.Background(), "id", "voice_screen_start"); !errors.Is(err, ErrNotOgg) {
		t.Fatalf("%v, want ErrNotOgg", err)
	}
}

// TestSpeakerReal runs espeak-ng and opusenc: each language's phrase is
// Ogg Opus, mono, as long as speech of a few words.
func TestSpeakerReal(t *testing.T) {
	if err := Available(); err != nil {
		t.Fatalf("%v (make test installs espeak-ng and opus-tools)", err)
	}
	s := New(map[string]map[string]string{
		"id": {"voice_screen_card": "Letakkan KTP-el Anda di atas pembaca kartu, dan tahan sampai berbunyi."},
		"en": {"voice_screen_card": "Place your KTP-el flat on the card reader, and hold it until the beep."},
	}, Exec)
	w, err := s.Warm(context.Background(), time.Now, "voice_screen_card")
	if err != nil || w.Phrases != 2 {
		t.Fatalf("warm: %+v %v", w, err)
	}
	for _, lang := range []string{"id", "en"} {
		ogg, err := s.Phrase(context.Background(), lang, "voice_screen_card")
		if err != nil {
			t.Fatal(err)
		}
		info, err := Inspect(ogg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes, %v, %d Hz input", lang, len(ogg), info.Duration, info.InputRate)
		if info.Channels != 1 || info.Duration < 2*time.Second || info.Duration > 12*time.Second {
			t.Errorf("%s: %+v, want mono, 2 to 12 s", lang, info)
		}
		// 16 kbit/s for the length, with room for the headers.
		if max := int(info.Duration.Seconds()*16000/8) + 4000; len(ogg) > max {
			t.Errorf("%s: %d bytes, want at most %d", lang, len(ogg), max)
		}
	}
}

// TestInspectRefuses: each corrupt stream by its failure mode.
func TestInspectRefuses(t *testing.T) {
	valid := mustRead(t, "valid.opus")
	if info, err := Inspect(valid); err != nil || info.Duration <= 0 {
		t.Fatalf("valid: %+v %v", info, err)
	}
	for _, c := range []struct {
		file string
		want error
	}{
		{"wav-not-ogg.bin", ErrNotOgg},
		{"truncated-page.opus", ErrPageTruncated},
		{"vorbis-not-opus.ogg", ErrNotOpus},
		{"headers-only.opus", ErrNoAudio},
	} {
		if _, err := Inspect(mustRead(t, c.file)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.file, err, c.want)
		}
	}
}

func FuzzInspect(f *testing.F) {
	for _, n := range []string{"valid.opus", "truncated-page.opus", "headers-only.opus"} {
		f.Add(mustRead(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Inspect(b)
		if err == nil && (info.Pages < 3 || info.Duration <= 0) {
			t.Fatalf("accepted %+v", info)
		}
	})
}
