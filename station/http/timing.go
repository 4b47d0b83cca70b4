package http

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// RequestObserver receives each answered request of a listener: its route
// template ("/api/preview/:request/:page"), never the path, which may hold
// a ticket or a request id; its method; its status; and how long it took.
type RequestObserver func(route, method string, status int, took time.Duration)

// requestTiming holds a listener's observer. It is set before the app
// serves and only read after, so it needs no lock.
type requestTiming struct{ observe RequestObserver }

// Route labels that are not a route template.
const (
	RouteUnmatched = "unmatched" // no route took the request (404 past the static files)
	RouteUnrouted  = "unrouted"  // refused before routing (a malformed request)
)

// ObserveRequests sends every answered kiosk request to f; call it before
// Serve.
func (s *Kiosk) ObserveRequests(f RequestObserver) { s.timing.observe = f }

// ObserveRequests sends every answered console request to f; call it
// before Serve.
func (s *Console) ObserveRequests(f RequestObserver) { s.timing.observe = f }

// routeOf is the template of the route that answered c. fiber falls back
// to the raw path when no route was reached; that is never returned. A
// request no route took ends on the last middleware mounted at "/" (the
// kiosk's page and files, the console's headers): a 404 there is
// RouteUnmatched.
func routeOf(c *fiber.Ctx, status int) string {
	r := c.Route()
	switch {
	case len(r.Handlers) == 0:
		return RouteUnrouted
	case r.Path == "/" && status == fiber.StatusNotFound:
		return RouteUnmatched
	}
	return r.Path
}

// methodOf is c's method when it is one fiber routes, else "other": a
// client's made-up method must not make a series.
func methodOf(c *fiber.Ctx) string {
	switch m := c.Method(); m {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodDelete,
		fiber.MethodPatch, fiber.MethodOptions, fiber.MethodConnect, fiber.MethodTrace:
		return m
	}
	return "other"
}
