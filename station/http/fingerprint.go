package http

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// fingerprintWait bounds one long poll for a finger: shorter than the
// server's write timeout, so each request ends well-formed and the page
// asks again.
const fingerprintWait = 10 * time.Second

// MountFingerprint adds the fingerprint second factor to the kiosk API;
// call it before Serve. The card read is named as for the PIN: "read_id"
// in the body (from the card stream), or the card cookie of
// /api/card/read:
//
//	GET    /api/card/fingerprint  {"enabled": true, "attempts": 4, "finger": "right-index"}
//	POST   /api/card/fingerprint  waits up to 10 s for a finger: 201 and the
//	       session (like the PIN login), 200 {"status": "waiting"} (ask again),
//	       or an error whose body carries "attempts_left" after a miss
//	DELETE /api/card/fingerprint  the page left: the wait ends, the read stays for the PIN
func (s *Kiosk) MountFingerprint(f *station.FingerprintLogin) {
	h := fingerprintAPI{kiosk: s, login: f}
	s.fingerprint, s.finger = true, f.Finger()
	s.app.Get("/api/card/fingerprint", h.info)
	s.app.Post("/api/card/fingerprint", h.capture)
	s.app.Delete("/api/card/fingerprint", h.cancel)
}

type fingerprintAPI struct {
	kiosk *Kiosk
	login *station.FingerprintLogin
}

func (h fingerprintAPI) info(c *fiber.Ctx) error {
	// The static files answered 404 before this route: set the status.
	return c.Status(fiber.StatusOK).JSON(fiber.Map{"enabled": true, "attempts": h.login.Attempts(), "finger": h.login.Finger()})
}

func (h fingerprintAPI) cancel(c *fiber.Ctx) error {
	id, err := readID(c)
	if err != nil {
		return err
	}
	h.login.Cancel(id)
	return c.SendStatus(fiber.StatusNoContent)
}

// readID is the card read a request names: "read_id" in its JSON body,
// or the card cookie. A body, when there is one, is decoded as strictly
// as any other.
func readID(c *fiber.Ctx) (string, error) {
	var in struct {
		ReadID string `json:"read_id"`
	}
	if len(c.Request().Body()) > 0 {
		if err := decodeJSON(c, &in); err != nil {
			return "", err
		}
	}
	if in.ReadID != "" {
		return in.ReadID, nil
	}
	return c.Cookies(cardCookie), nil
}

// fingerprintError is an error answer with the attempts left after a miss.
type fingerprintError struct {
	errorJSON
	AttemptsLeft *int `json:"attempts_left,omitempty"`
}

func (h fingerprintAPI) capture(c *fiber.Ctx) error {
	id, err := readID(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), fingerprintWait)
	defer cancel()
	sess, err := h.login.Login(ctx, id)
	switch {
	case err == nil:
		c.ClearCookie(cardCookie)
		return h.kiosk.startSession(c, sess)
	case errors.Is(err, station.ErrFingerprintWaiting):
		return c.JSON(fiber.Map{"status": "waiting"})
	}
	e := fault.As(err)
	var status int
	switch {
	case errors.Is(err, station.ErrFingerprintNoMatch):
		status = fiber.StatusUnauthorized
	case errors.Is(err, station.ErrFingerprintLocked):
		status = fiber.StatusTooManyRequests
	case errors.Is(err, station.ErrFingerprintUnreadable):
		status = fiber.StatusUnprocessableEntity
	default:
		// The read is used up (a match the upstream refused, an expired
		// read): the page starts again with a tap.
		c.ClearCookie(cardCookie)
		return err
	}
	if status == fiber.StatusTooManyRequests {
		c.ClearCookie(cardCookie) // the read ended with the last attempt
	}
	body := fingerprintError{errorJSON: *errorJSONOf(e)}
	var left station.AttemptsLeft
	if errors.As(err, &left) {
		n := int(left)
		body.AttemptsLeft = &n
	}
	h.kiosk.log.Warn().Str("request_id", c.GetRespHeader(fiber.HeaderXRequestID)).Str("code", string(e.Code)).
		Err(e.Cause).Msg("request refused")
	return c.Status(status).JSON(fiber.Map{"error": body})
}
