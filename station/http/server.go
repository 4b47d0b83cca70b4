// Package http serves the citizen kiosk (page and JSON API) and the
// supervisors' console with fiber. Fiber reuses request memory, so the
// apps run with Immutable: values read from a request stay valid after
// the handler returns.
package http

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

//go:embed assets
var assets embed.FS

const sessionCookie = "anjungan_kiosk"

// Kiosk serves the citizen's page and API.
type Kiosk struct {
	kiosk *station.Kiosk
	log   zerolog.Logger
	app   *fiber.App
	done  chan struct{} // closed at Shutdown: event streams end
	once  sync.Once

	fingerprint bool // MountFingerprint was called: the page offers it after a card read
}

// NewKiosk returns the kiosk server.
func NewKiosk(k *station.Kiosk, v DocumentVerifier, log zerolog.Logger) *Kiosk {
	s := &Kiosk{kiosk: k, log: log, done: make(chan struct{})}
	s.app = newApp(log, "kiosk")
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	api := s.app.Group("/api")
	api.Post("/login/ticket", s.loginTicket)
	api.Post("/login/pin", s.loginPIN)
	api.Post("/card/read", s.cardRead)
	api.Get("/card/events", s.cardEvents)
	api.Get("/events", s.events)
	api.Post("/login/card", s.loginCard)
	api.Get("/session", s.session)
	api.Post("/session/logout", s.logout)
	api.Post("/prepare", s.prepare)
	api.Get("/preview/:request/:page", s.preview)
	api.Post("/print", s.print)
	api.Post("/release", s.release)
	api.Get("/availability", s.availability)
	api.Get("/config", s.config)
	MountVerify(s.app, v)
	sub, _ := fs.Sub(assets, "assets")
	s.app.Use("/", filesystem.New(filesystem.Config{Root: http.FS(sub), Index: "index.html"}))
	return s
}

// Serve serves on ln until Shutdown.
func (s *Kiosk) Serve(ln net.Listener) error { return serve(s.app, ln) }

// Shutdown stops accepting requests and waits for those in flight.
func (s *Kiosk) Shutdown(ctx context.Context) error {
	s.once.Do(func() { close(s.done) }) // open streams would hold the shutdown
	return s.app.ShutdownWithContext(ctx)
}

func serve(app *fiber.App, ln net.Listener) error {
	err := app.Listener(ln)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// newApp returns a fiber app with request ids, access logs without
// personal data, security headers and JSON errors.
func newApp(log zerolog.Logger, name string) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "anjungan-" + name,
		Immutable:             true,
		DisableStartupMessage: true,
		BodyLimit:             64 << 10,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          15 * time.Second,
		IdleTimeout:           60 * time.Second,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			var fe *fiber.Error
			if errors.As(err, &fe) {
				return c.Status(fe.Code).JSON(errorBody(fault.Internal.With(err)))
			}
			return writeError(c, log, err)
		},
	})
	app.Use(requestid.New())
	app.Use(func(c *fiber.Ctx) error {
		start := time.Now()
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set("X-Frame-Options", "DENY")
		c.Set("Referrer-Policy", "no-referrer")
		c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		err := c.Next()
		if err != nil {
			// Let the error handler write the response so the status is right.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		log.Info().
			Str("request_id", c.GetRespHeader(fiber.HeaderXRequestID)).
			Str("method", c.Method()).
			Str("path", c.Route().Path). // the route pattern, never query values
			Int("status", c.Response().StatusCode()).
			Dur("took", time.Since(start)).
			Msg("request")
		return nil
	})
	return app
}

type errorJSON struct {
	Code      string `json:"code"`
	MessageID string `json:"message_id"`
	MessageEN string `json:"message_en"`
}

// errorJSONOf is e as the page shows it: its code and both languages'
// messages, never its internal cause.
func errorJSONOf(e *fault.Error) *errorJSON {
	return &errorJSON{Code: string(e.Code), MessageID: e.ID, MessageEN: e.EN}
}

func errorBody(e *fault.Error) fiber.Map {
	return fiber.Map{"error": errorJSONOf(e)}
}

// statusOf maps error codes to HTTP statuses.
func statusOf(code fault.Code) int {
	switch code {
	case station.ErrNIKInvalid.Code, station.ErrTicketInvalid.Code, station.ErrTicketExpired.Code:
		return fiber.StatusBadRequest
	case station.ErrCredentialsRejected.Code, station.ErrSessionExpired.Code:
		return fiber.StatusUnauthorized
	case station.ErrTicketUsed.Code, station.ErrAlreadyPrinted.Code, station.ErrNothingToPrint.Code, station.ErrRequestReserved.Code:
		return fiber.StatusConflict
	case station.ErrRequestNotFound.Code:
		return fiber.StatusNotFound
	case station.ErrTooManyAttempts.Code:
		return fiber.StatusTooManyRequests
	case station.ErrUpstreamUnavailable.Code, station.ErrPrinterUnavailable.Code:
		return fiber.StatusServiceUnavailable
	case station.ErrCardUnreadable.Code:
		return fiber.StatusUnprocessableEntity
	case station.ErrUpstreamInvalid.Code, station.ErrSubjectMismatch.Code:
		return fiber.StatusBadGateway
	}
	return fiber.StatusInternalServerError
}

func writeError(c *fiber.Ctx, log zerolog.Logger, err error) error {
	e := fault.As(err)
	status := statusOf(e.Code)
	// The cause goes to the log only; it never names the citizen.
	ev := log.Warn()
	if status >= 500 {
		ev = log.Error()
	}
	ev.Str("request_id", c.GetRespHeader(fiber.HeaderXRequestID)).Str("code", string(e.Code)).Err(e.Cause).Msg("request refused")
	return c.Status(status).JSON(errorBody(e))
}
