package http

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/anjungan/anjungan/station/account"
)

// The overview's event stream (GET /events, docs/console.md "Live
// overview"): every liveEvery the overview is made again and sent when it
// changed, a comment otherwise (which finds a closed connection). A
// stream ends after liveFor (Console.liveFor; tests make it one event),
// within the server's 15 s write timeout, which would cut it; the browser
// reconnects after liveRetry, gets the overview at once, and the session
// is checked again then.
const (
	liveEvery = 2 * time.Second
	liveFor   = 10 * time.Second
	liveRetry = "1000" // ms, the EventSource's reconnection delay
)

// watching is authenticated's twin for the event stream: it checks the
// session without renewing it, so an overview left open does not keep a
// walked-away supervisor's session alive.
func (s *Console) watching(c *fiber.Ctx) error {
	id := c.Cookies(consoleSessionCookie)
	if id == "" {
		return s.refuse(c, fiber.StatusUnauthorized, "no_session", "no cookie")
	}
	ss, err := s.d.Accounts.Session(c.UserContext(), account.HashSessionID(id))
	if err != nil || ss.Expired(s.now()) {
		return s.refuse(c, fiber.StatusUnauthorized, "no_session", "no or expired session")
	}
	c.Locals(localSession, ss)
	return c.Next()
}

// events streams the overview as server-sent events: event "overview",
// data the overview's HTML (its alerts among it) as the page shows it.
func (s *Console) events(c *fiber.Ctx) error {
	v := baseView(langOf(c), sessionOf(c))
	every := s.d.LiveEvery
	if every <= 0 {
		every = liveEvery
	}
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	// The writer runs after the handler returns: it holds nothing of c.
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		end := time.NewTimer(s.liveFor)
		defer end.Stop()
		tick := time.NewTicker(every)
		defer tick.Stop()
		last := ""
		w.WriteString("retry: " + liveRetry + "\n\n")
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			v.Data = s.glance(ctx)
			cancel()
			var b bytes.Buffer
			if err := s.pages["overview"].ExecuteTemplate(&b, "content", v); err != nil {
				s.log.Error().Err(err).Msg("console: overview template")
				return
			}
			if frag := b.String(); frag != last {
				last = frag
				w.WriteString("event: overview\n")
				for _, line := range strings.Split(strings.TrimRight(frag, "\n"), "\n") {
					w.WriteString("data: " + line + "\n")
				}
				w.WriteString("\n")
			} else {
				w.WriteString(": ping\n\n")
			}
			if err := w.Flush(); err != nil {
				return // the browser went away
			}
			select {
			case <-tick.C:
			case <-end.C:
				return
			case <-s.done:
				return
			}
		}
	})
	return nil
}
