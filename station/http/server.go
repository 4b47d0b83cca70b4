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
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/internal/health"
	"github.com/anjungan/anjungan/internal/httpguard"
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

	fingerprint bool           // MountFingerprint was called: the page offers it after a card read
	finger      station.Finger // the finger its screen asks for
	layout      station.KioskLayout
	voice       Voice   // MountVoice was called: the page speaks
	volume      float64 // the voice's volume, 0 to 1
	timing      *requestTiming
}

// SetLayout tells the page where this kiosk model's reader, scanner and
// output slots are, for its pictures (/api/config).
func (s *Kiosk) SetLayout(l station.KioskLayout) { s.layout = l }

// NewKiosk returns the kiosk server.
func NewKiosk(k *station.Kiosk, v DocumentVerifier, log zerolog.Logger) *Kiosk {
	s := &Kiosk{kiosk: k, log: log, done: make(chan struct{}), layout: station.DefaultKioskLayout, timing: &requestTiming{}}
	s.app = newApp(log, "kiosk", kioskAnswer, s.timing)
	s.app.Use(kioskRequest)
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	api := s.app.Group("/api")
	api.Post("/login/ticket", s.loginTicket)
	api.Post("/login/pin", s.loginPIN)
	api.Post("/card/read", s.cardRead)
	api.Get("/card/events", s.cardEvents)
	api.Get("/card/left", s.cardLeft)
	api.Get("/events", s.events)
	api.Post("/login/card", s.loginCard)
	api.Get("/session", s.session)
	api.Post("/session/logout", s.logout)
	api.Post("/prepare", s.prepare)
	api.Get("/preview/:request/:page", s.preview)
	api.Post("/print", s.print)
	api.Post("/release", s.release)
	api.Post("/call-officer", s.callOfficer)
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

// answerFunc writes an error answer with its status: the kiosk's JSON or
// the console's page. It is called for errors of handlers and for
// requests fasthttp refused before any handler ran, so it sets every
// header itself.
type answerFunc func(c *fiber.Ctx, status int, e *fault.Error) error

// newApp returns a fiber app with request ids, access logs without
// personal data, security headers, and errors answered by answer: a
// client's error gets its own code and status, never internal.
func newApp(log zerolog.Logger, name string, answer answerFunc, timing *requestTiming) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "anjungan-" + name,
		Immutable:             true,
		DisableStartupMessage: true,
		BodyLimit:             64 << 10,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          15 * time.Second,
		IdleTimeout:           60 * time.Second,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			status, e := classify(err)
			ev := log.Warn()
			if status >= 500 {
				ev = log.Error()
			}
			ev.Str("request_id", c.GetRespHeader(fiber.HeaderXRequestID)).Int("status", status).
				Str("code", string(e.Code)).Err(e.Cause).Msg("request refused")
			securityHeaders(c)
			return answer(c, status, e)
		},
	})
	app.Use(requestid.New())
	app.Use(func(c *fiber.Ctx) error {
		start := time.Now()
		securityHeaders(c)
		err := c.Next()
		if err != nil {
			// Let the error handler write the response so the status is right.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		took, status := time.Since(start), c.Response().StatusCode()
		log.Info().
			Str("request_id", c.GetRespHeader(fiber.HeaderXRequestID)).
			Str("method", c.Method()).
			Str("path", c.Route().Path). // the route pattern, never query values
			Int("status", status).
			Dur("took", took).
			Msg("request")
		if timing != nil && timing.observe != nil {
			timing.observe(routeOf(c, status), methodOf(c), status, took)
		}
		return nil
	})
	// Before any handler can read a body: fiber's c.Body() and fasthttp's
	// multipart parser inflate gzip, deflate and br with no bound on the
	// inflated size.
	app.Use(func(c *fiber.Ctx) error {
		var vs []string
		for _, v := range c.Request().Header.PeekAll(fiber.HeaderContentEncoding) {
			vs = append(vs, string(v))
		}
		if !httpguard.IdentityEncoding(vs) {
			return fault.EncodingUnsupported.Withf("Content-Encoding %q", strings.Join(vs, ", "))
		}
		return c.Next()
	})
	return app
}

// securityHeaders are on every answer of every app, errors included.
func securityHeaders(c *fiber.Ctx) {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
}

// classify returns the status and error of err: fiber's and fasthttp's
// own errors (a *fiber.Error: no route, a body or headers too large, a
// malformed request, a timeout) become the client error they are;
// anything else is a fault whose code gives the status.
func classify(err error) (int, *fault.Error) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound, fiber.StatusForbidden: // a folder of the static files is no page either
			return fiber.StatusNotFound, fault.RouteNotFound.With(err)
		case fiber.StatusMethodNotAllowed:
			return fe.Code, fault.MethodNotAllowed.With(err)
		case fiber.StatusRequestEntityTooLarge:
			return fe.Code, fault.BodyTooLarge.With(err)
		case fiber.StatusRequestHeaderFieldsTooLarge:
			return fe.Code, fault.HeadersTooLarge.With(err)
		case fiber.StatusRequestTimeout:
			return fe.Code, fault.RequestTimeout.With(err)
		case fiber.StatusUnsupportedMediaType:
			return fe.Code, fault.ContentTypeUnsupported.With(err)
		case fiber.StatusUnprocessableEntity:
			return fiber.StatusBadRequest, fault.BodyInvalid.With(err)
		}
		if fe.Code >= 400 && fe.Code < 500 {
			return fiber.StatusBadRequest, fault.RequestMalformed.With(err)
		}
		// fasthttp reports a connection that broke while the request was
		// read as a network error (502); nobody reads the answer.
		return fe.Code, fault.Internal.With(err)
	}
	e := fault.As(err)
	return statusOf(e.Code), e
}

// kioskAnswer is an error as the kiosk page reads it: JSON, never cached.
func kioskAnswer(c *fiber.Ctx, status int, e *fault.Error) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(errorBody(e))
}

// kioskRequest holds the kiosk's rules for every request (docs/kiosk.md,
// "API rules"): no answer of the API is cached, since they carry the
// session's data; a request that changes something must come from the
// kiosk's own page and carry JSON, if anything.
func kioskRequest(c *fiber.Ctx) error {
	if strings.HasPrefix(c.Path(), "/api/") {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if err := sameSite(c); err != nil {
		return err
	}
	if len(c.Request().Body()) > 0 || len(c.Request().Header.ContentType()) > 0 {
		if err := jsonContentType(c); err != nil {
			return err
		}
	}
	return c.Next()
}

// sameSite refuses a request that a browser says comes from another
// site: Sec-Fetch-Site, when sent, must be same-origin, and Origin, when
// sent, must be this kiosk's scheme://host:port. Browsers send at least
// one of them with every POST, PUT or DELETE a page makes; a request with
// neither is not a browser's (curl, a test client) and cannot carry the
// citizen's session by surprise, so it passes.
func sameSite(c *fiber.Ctx) error {
	site := c.Get("Sec-Fetch-Site")
	origin := c.Get(fiber.HeaderOrigin)
	if site != "" && site != "same-origin" {
		return fault.CrossSite.Withf("Sec-Fetch-Site %q", site)
	}
	if origin != "" && origin != c.Protocol()+"://"+c.Hostname() {
		return fault.CrossSite.Withf("Origin %q", origin)
	}
	return nil
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
	case station.ErrNIKInvalid.Code, station.ErrTicketInvalid.Code, station.ErrTicketExpired.Code, station.ErrNotATicket.Code:
		return fiber.StatusBadRequest
	case station.ErrCredentialsRejected.Code, station.ErrSessionExpired.Code:
		return fiber.StatusUnauthorized
	case station.ErrTicketUsed.Code, station.ErrAlreadyPrinted.Code, station.ErrNothingToPrint.Code, station.ErrRequestReserved.Code:
		return fiber.StatusConflict
	case station.ErrRequestNotFound.Code:
		return fiber.StatusNotFound
	case station.ErrTooManyAttempts.Code:
		return fiber.StatusTooManyRequests
	case station.ErrUpstreamUnavailable.Code, station.ErrPrinterUnavailable.Code, station.ErrKioskOutOfService.Code, station.ErrDocumentUnavailable.Code,
		station.ErrKioskClosed.Code:
		return fiber.StatusServiceUnavailable
	case station.ErrCardUnreadable.Code:
		return fiber.StatusUnprocessableEntity
	case station.ErrUpstreamInvalid.Code, station.ErrSubjectMismatch.Code, station.ErrDocumentSignatureInvalid.Code:
		return fiber.StatusBadGateway
	case fault.EncodingUnsupported.Code, fault.ContentTypeUnsupported.Code:
		return fiber.StatusUnsupportedMediaType
	case fault.BodyInvalid.Code, fault.RequestMalformed.Code:
		return fiber.StatusBadRequest
	case fault.BodyTooLarge.Code:
		return fiber.StatusRequestEntityTooLarge
	case fault.HeadersTooLarge.Code:
		return fiber.StatusRequestHeaderFieldsTooLarge
	case fault.RequestTimeout.Code:
		return fiber.StatusRequestTimeout
	case fault.RouteNotFound.Code:
		return fiber.StatusNotFound
	case fault.MethodNotAllowed.Code:
		return fiber.StatusMethodNotAllowed
	case fault.CrossSite.Code:
		return fiber.StatusForbidden
	}
	return fiber.StatusInternalServerError
}

// MountReadiness serves GET /readyz: the checks' report, HTTP 200 when
// every check holds and 503 naming the failed ones. Their causes go to
// the log only.
func (s *Kiosk) MountReadiness(checks []health.Check) {
	s.app.Get("/readyz", func(c *fiber.Ctx) error {
		rep := health.Run(c.UserContext(), checks)
		status := fiber.StatusOK
		if !rep.Ready {
			status = fiber.StatusServiceUnavailable
			for name, err := range rep.Causes {
				s.log.Warn().Str("check", name).Err(err).Msg("not ready")
			}
		}
		return c.Status(status).JSON(rep)
	})
}
