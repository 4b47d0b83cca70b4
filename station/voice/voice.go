// Package voice speaks the kiosk's phrases: espeak-ng turns a phrase of
// the kiosk's own text table into speech, opusenc encodes it small as Ogg
// Opus, and the result is kept in memory. Only keys of the table are
// spoken, never text from a request, so nothing personal can be said.
//
// A phrase is made on its first request and kept; requests for it that
// come while it is being made wait for that one making. The station
// makes the first screen's phrases at start-up (Warm) and the others on
// demand, so a start costs a few tenths of a second of CPU, not the
// whole table's ten or more seconds. The cache is in memory only: the
// whole table is about a megabyte, and a file cache would have to be
// trusted after an upgrade of espeak-ng or of the texts.
package voice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Prefix marks the keys of the text table that are phrases to speak.
const Prefix = "voice_"

// makeTimeout bounds one phrase's making; espeak-ng and opusenc take
// about a tenth of a second for one.
const makeTimeout = 30 * time.Second

// Programs are the programs a Speaker runs (Debian: espeak-ng, opus-tools).
var Programs = []string{"espeak-ng", "opusenc"}

// ErrUnknownPhrase is returned for a language or key the table does not have.
var ErrUnknownPhrase = errors.New("voice: no such phrase")

// Runner runs a program with args, feeding it stdin, and returns its
// standard output. Exec is the real one; tests inject their own.
type Runner func(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error)

// Exec runs the program on this machine.
func Exec(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// Available says whether this machine has the programs; nil when it does.
func Available() error {
	for _, p := range Programs {
		if _, err := exec.LookPath(p); err != nil {
			return err
		}
	}
	return nil
}

// Speaker makes and keeps the spoken phrases.
type Speaker struct {
	texts map[string]map[string]string // language → key → phrase, voice_ keys only
	run   Runner

	mu    sync.Mutex
	cache map[string]*clip // "lang/key" → its audio, made once
	made  []string         // "lang/key" of every making, in order
}

type clip struct {
	once sync.Once
	ogg  []byte
	err  error
}

// New returns a Speaker for the phrases of texts (language → key → text)
// whose keys begin with Prefix.
func New(texts map[string]map[string]string, run Runner) *Speaker {
	s := &Speaker{texts: map[string]map[string]string{}, run: run, cache: map[string]*clip{}}
	for lang, table := range texts {
		s.texts[lang] = map[string]string{}
		for k, v := range table {
			if strings.HasPrefix(k, Prefix) {
				s.texts[lang][k] = v
			}
		}
	}
	return s
}

// Keys lists the phrases' keys of a language, sorted.
func (s *Speaker) Keys(lang string) []string {
	keys := make([]string, 0, len(s.texts[lang]))
	for k := range s.texts[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Phrase returns the phrase key of language lang as Ogg Opus, made on
// first use and kept. A failed attempt is kept too: the programs do not
// get better by asking again, and the page then stays silent.
func (s *Speaker) Phrase(ctx context.Context, lang, key string) ([]byte, error) {
	text, ok := s.texts[lang][key]
	if !ok {
		return nil, fmt.Errorf("%w: %s/%s", ErrUnknownPhrase, lang, key)
	}
	s.mu.Lock()
	c := s.cache[lang+"/"+key]
	if c == nil {
		c = &clip{}
		s.cache[lang+"/"+key] = c
	}
	s.mu.Unlock()
	// The clip outlives the request that asked first: its cancellation
	// must not be kept as the phrase's failure.
	c.once.Do(func() {
		mk, cancel := context.WithTimeout(context.WithoutCancel(ctx), makeTimeout)
		defer cancel()
		s.mu.Lock()
		s.made = append(s.made, lang+"/"+key)
		s.mu.Unlock()
		c.ogg, c.err = s.make(mk, lang, text)
	})
	return c.ogg, c.err
}

// make speaks text: espeak-ng writes a WAV (22.05 kHz mono), opusenc
// encodes it as mono Opus at 16 kbit/s, which it codes as wideband
// (16 kHz) speech.
func (s *Speaker) make(ctx context.Context, lang, text string) ([]byte, error) {
	wav, err := s.run(ctx, []byte(text), "espeak-ng", "-v", lang, "-s", "150", "--stdout")
	if err != nil {
		return nil, err
	}
	ogg, err := s.run(ctx, wav, "opusenc", "--quiet", "--bitrate", "16", "--downmix-mono", "--speech", "-", "-")
	if err != nil {
		return nil, err
	}
	if _, err := Inspect(ogg); err != nil {
		return nil, fmt.Errorf("opusenc's output for %s/%s: %w", lang, s.keyOf(lang, text), err)
	}
	return ogg, nil
}

// Made lists the phrases made so far ("lang/key"), once for each time
// one was made, in order: what the start-up and each first request cost.
func (s *Speaker) Made() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.made)
}

func (s *Speaker) keyOf(lang, text string) string {
	for k, v := range s.texts[lang] {
		if v == text {
			return k
		}
	}
	return "?"
}

// Warmed is what Warm made: how many phrases, their sizes, how long it took.
type Warmed struct {
	Phrases int
	Sizes   []int // bytes, sorted
	Took    time.Duration
}

// Warm makes the phrases keys in every language that has them, so the
// first screen speaks without a wait; it returns the first error. The
// other phrases are made on their first request.
func (s *Speaker) Warm(ctx context.Context, now func() time.Time, keys ...string) (Warmed, error) {
	start := now()
	var w Warmed
	langs := make([]string, 0, len(s.texts))
	for l := range s.texts {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		for _, k := range keys {
			if _, ok := s.texts[l][k]; !ok {
				continue
			}
			if err := ctx.Err(); err != nil {
				return w, err
			}
			ogg, err := s.Phrase(ctx, l, k)
			if err != nil {
				return w, err
			}
			w.Phrases++
			w.Sizes = append(w.Sizes, len(ogg))
		}
	}
	sort.Ints(w.Sizes)
	w.Took = now().Sub(start)
	return w, nil
}
