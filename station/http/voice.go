package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/internal/i18n"
	"github.com/anjungan/anjungan/station/voice"
)

// Voice gives the spoken phrases of the kiosk's text table as Ogg Opus.
type Voice interface {
	Phrase(ctx context.Context, lang, key string) ([]byte, error)
}

var _ Voice = (*voice.Speaker)(nil)

// FirstScreenPhrases are the phrases of the screen a visit starts on: the
// station makes them (in every language) at start-up, so the first words
// a citizen hears never wait; the others are made on first request.
var FirstScreenPhrases = []string{"voice_screen_start"}

// KioskTexts is the page's text table: language → key → text. The
// station gives it to its Speaker, so the page and its voice share one
// table.
func KioskTexts() (map[string]map[string]string, error) {
	return i18n.Load(assets, "assets/i18n")
}

// MountVoice serves the spoken phrases at /voice/<lang>/<key>.opus and
// tells the page (/api/config) to play them at volume (0 to 1; 0 is off).
// Without it the page hides its sound buttons.
func (s *Kiosk) MountVoice(v Voice, volume float64) {
	s.voice, s.volume = v, volume
	s.app.Get("/voice/:lang/:file", s.phrase)
}

func (s *Kiosk) phrase(c *fiber.Ctx) error {
	key, ok := strings.CutSuffix(c.Params("file"), ".opus")
	if !ok {
		return fault.RouteNotFound.Withf("voice file %q", c.Params("file"))
	}
	ogg, err := s.voice.Phrase(c.UserContext(), c.Params("lang"), key)
	if errors.Is(err, voice.ErrUnknownPhrase) {
		return fault.RouteNotFound.With(err)
	}
	if err != nil {
		return err
	}
	sum := sha256.Sum256(ogg)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	// A phrase changes only with the station's texts, that is with a new
	// build: the browser may keep it for the day, and asks again after.
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	c.Set(fiber.HeaderETag, etag)
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, "audio/ogg")
	// The static files answered 404 before this route: set the status.
	return c.Status(fiber.StatusOK).Send(ogg)
}
