package api

import (
	"net/http"
	"strings"
	"time"
)

// RequestObserver receives each answered request: its route template
// ("/v1/jobs/{id}"), never the path, which holds job ids; its method; its
// status; and how long it took.
type RequestObserver func(route, method string, status int, took time.Duration)

// RouteUnmatched is the route of a request no route took (404).
const RouteUnmatched = "unmatched"

// WithRequestObserver sends every answered request to f.
func WithRequestObserver(f RequestObserver) Option { return func(h *handler) { h.observe = f } }

// routeOf is the template of the mux's route for r, without its method;
// RouteUnmatched for the catch-all and for a path the mux would redirect.
func routeOf(mux *http.ServeMux, r *http.Request) string {
	_, pattern := mux.Handler(r)
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	if pattern == "" || pattern == "/" {
		return RouteUnmatched
	}
	return pattern
}

// methodOf is r's method when it is a standard one, else "other": a
// client's made-up method must not make a series.
func methodOf(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete,
		http.MethodPatch, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return r.Method
	}
	return "other"
}
