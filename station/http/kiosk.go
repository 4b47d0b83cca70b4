package http

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// sessionView is what the kiosk page sees of a session: the masked NIK and
// the documents, never other personal data.
type sessionView struct {
	Subject   string        `json:"subject"` // masked NIK
	Method    string        `json:"method"`
	Documents []requestView `json:"documents"`
}

type requestView struct {
	RequestID string     `json:"request_id"`
	Type      string     `json:"type"`
	Title     string     `json:"title"`    // the document's name in Bahasa Indonesia, from its spec
	TitleEN   string     `json:"title_en"` // and in English
	Media     string     `json:"media"`    // what it prints on: which printer the citizen goes to
	Status    string     `json:"status"`   // upstream status: approved, printed, in_doubt
	Print     *printView `json:"print,omitempty"`
}

type printView struct {
	State       string         `json:"state"`
	Pages       int            `json:"pages,omitempty"`
	Job         string         `json:"job,omitempty"`
	Ref         string         `json:"ref,omitempty"` // printerd.JobRef of the job: what the citizen tells an officer
	Reason      string         `json:"reason,omitempty"`
	Error       *errorJSON     `json:"error,omitempty"`
	Masks       []station.Mask `json:"masks,omitempty"`        // preview regions to cover
	RemainingMS int64          `json:"remaining_ms,omitempty"` // printerd's estimate of the time left; absent when unknown
}

func viewOf(s *station.Session) sessionView { return viewAt(s, time.Time{}) }

// viewAt is viewOf with the time left of each print counted from now
// (none when now is zero).
func viewAt(s *station.Session, now time.Time) sessionView {
	v := sessionView{Subject: s.Authz.Subject.Masked(), Method: string(s.Authz.Method)}
	for _, r := range s.Authz.Requests {
		rv := requestView{RequestID: string(r.ID), Type: string(r.Document), Title: r.Document.Title(), TitleEN: r.Document.TitleEN(),
			Media: string(r.Document.Media()), Status: string(r.Status)}
		if p, ok := s.Prints[r.ID]; ok {
			pv := printViewOf(*p)
			if !now.IsZero() && !p.Until.IsZero() {
				pv.RemainingMS = max(p.Until.Sub(now).Milliseconds(), 0)
			}
			rv.Print = &pv
		}
		v.Documents = append(v.Documents, rv)
	}
	sort.SliceStable(v.Documents, func(i, j int) bool { return v.Documents[i].Type < v.Documents[j].Type })
	return v
}

func printViewOf(p station.Print) printView {
	pv := printView{State: string(p.State), Job: string(p.Job), Ref: printerd.JobRef(p.Job), Reason: p.Reason, Pages: p.Pages, Masks: p.Masks}
	if p.Err != nil {
		pv.Error = errorJSONOf(p.Err)
	}
	return pv
}

func (s *Kiosk) startSession(c *fiber.Ctx, sess *station.Session) error {
	c.Cookie(&fiber.Cookie{
		Name:     sessionCookie,
		Value:    sess.ID,
		Path:     "/",
		HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode,
		// The kiosk runs on loopback over plain HTTP; a cookie marked
		// Secure would not come back.
		Expires: time.Time{},
	})
	return c.Status(fiber.StatusCreated).JSON(viewOf(sess))
}

func (s *Kiosk) loginTicket(c *fiber.Ctx) error {
	var in struct {
		Ticket string `json:"ticket"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	sess, err := s.kiosk.LoginTicket(c.UserContext(), in.Ticket)
	if err != nil {
		return err
	}
	return s.startSession(c, sess)
}

func (s *Kiosk) loginPIN(c *fiber.Ctx) error {
	var in struct {
		NIK string `json:"nik"`
		PIN string `json:"pin"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	sess, err := s.kiosk.LoginPIN(c.UserContext(), in.NIK, in.PIN)
	if err != nil {
		return err
	}
	return s.startSession(c, sess)
}

func (s *Kiosk) session(c *fiber.Ctx) error {
	sess, err := s.kiosk.Session(c.Cookies(sessionCookie))
	if err != nil {
		return err
	}
	return c.JSON(viewAt(sess, s.kiosk.Now()))
}

// events streams the session to its page as Server-Sent Events: the
// session now, then after each change ("session" events), and "ended"
// when it is over. The page follows its prints with it instead of
// polling; when the stream fails it polls /api/session.
func (s *Kiosk) events(c *fiber.Ctx) error {
	changes, stop, err := s.kiosk.Watch(c.Cookies(sessionCookie))
	if err != nil {
		return err
	}
	return s.stream(c, stop, func(ctx context.Context, send func(event string, v any) bool) {
		for {
			select {
			case <-ctx.Done():
				return
			case sess := <-changes:
				if sess == nil {
					send("ended", fiber.Map{})
					return
				}
				if !send("session", viewAt(sess, s.kiosk.Now())) {
					return
				}
			}
		}
	})
}

// streamPing keeps an idle stream's connection known to be alive, and
// finds a page that went away.
const streamPing = 5 * time.Second

// stream answers with a Server-Sent Events stream written by run, which
// sends events until it returns, a send fails or ctx ends (the page went
// away, or the server stops). A comment line goes out every streamPing.
// stop runs when the stream ends.
func (s *Kiosk) stream(c *fiber.Ctx, stop func(), run func(ctx context.Context, send func(event string, v any) bool)) error {
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	conn := c.Context().Conn()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer stop()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-s.done:
				cancel()
			case <-ctx.Done():
			}
		}()
		var mu sync.Mutex // run's sends and the pings share w
		write := func(b []byte) bool {
			mu.Lock()
			defer mu.Unlock()
			// The server's write timeout counts from the start of the
			// answer; a stream lives longer, so each write extends it.
			_ = conn.SetWriteDeadline(time.Now().Add(3 * streamPing))
			if _, err := w.Write(b); err != nil || w.Flush() != nil {
				cancel()
				return false
			}
			return true
		}
		if !write([]byte("retry: 1000\n: subscribed\n\n")) {
			return
		}
		var pings sync.WaitGroup
		pings.Add(1)
		go func() {
			defer pings.Done()
			t := time.NewTicker(streamPing)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					write([]byte(": ping\n\n"))
				}
			}
		}()
		run(ctx, func(event string, v any) bool {
			b, err := json.Marshal(v)
			if err != nil || ctx.Err() != nil {
				return false
			}
			return write([]byte("event: " + event + "\ndata: " + string(b) + "\n\n"))
		})
		cancel()
		pings.Wait() // w belongs to fasthttp again once this returns
	})
	return nil
}

// logout ends the visit, with or without a session: the page calls it
// at every reset, so a card left on the reader is set aside then.
func (s *Kiosk) logout(c *fiber.Ctx) error {
	id := c.Cookies(sessionCookie)
	s.kiosk.Logout(id)
	s.kiosk.EndVisit()
	// Only a request that named a session clears the cookie: a page's
	// logout without one (a reset at the start screen) must not clear the
	// cookie of a login whose answer reached the browser first.
	if id != "" {
		c.ClearCookie(sessionCookie)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Kiosk) print(c *fiber.Ctx) error {
	var in struct {
		RequestID string `json:"request_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, err := s.kiosk.Print(c.UserContext(), c.Cookies(sessionCookie), station.RequestID(in.RequestID))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(printViewOf(p))
}

func (s *Kiosk) availability(c *fiber.Ctx) error {
	as, err := s.kiosk.Availability(c.UserContext())
	if err != nil {
		return err
	}
	type doc struct {
		Type    string `json:"type"`
		Title   string `json:"title"`
		TitleEN string `json:"title_en"`
		Ready   bool   `json:"ready"`
		Reason  string `json:"reason,omitempty"`
	}
	type closed struct {
		Code      string `json:"code"`
		MessageID string `json:"message_id"`
		MessageEN string `json:"message_en"`
	}
	out := struct {
		Documents []doc `json:"documents"`
		// Closed, outside the opening hours: no new citizen is let in.
		Closed *closed `json:"closed,omitempty"`
	}{}
	var e *fault.Error
	if err := s.kiosk.OpenNow(); errors.As(err, &e) {
		out.Closed = &closed{Code: string(e.Code), MessageID: e.ID, MessageEN: e.EN}
	}
	for _, a := range as {
		out.Documents = append(out.Documents, doc{Type: string(a.Document), Title: a.Document.Title(), TitleEN: a.Document.TitleEN(), Ready: a.Ready, Reason: a.Reason})
	}
	return c.JSON(out)
}

func (s *Kiosk) prepare(c *fiber.Ctx) error {
	var in struct {
		RequestID string `json:"request_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, err := s.kiosk.Prepare(c.UserContext(), c.Cookies(sessionCookie), station.RequestID(in.RequestID))
	if err != nil {
		return err
	}
	return c.JSON(printViewOf(p))
}

// preview serves a page of a prepared document as PNG. It shows personal
// data: only the session's own browser may fetch it, and nothing caches it.
func (s *Kiosk) preview(c *fiber.Ctx) error {
	page, err := c.ParamsInt("page")
	if err != nil {
		return station.ErrRequestNotFound.With(err)
	}
	png, err := s.kiosk.Preview(c.UserContext(), c.Cookies(sessionCookie), station.RequestID(c.Params("request")), page)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Type("png")
	return c.Send(png)
}

// config tells the page the station's settings it must follow.
func (s *Kiosk) config(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"idle_ms": s.kiosk.IdleTimeout().Milliseconds(), "card": s.kiosk.CardEnabled(),
		"fingerprint": s.fingerprint && s.kiosk.CardEnabled(), "finger": s.finger, "layout": s.layout,
		"voice": s.voice != nil && s.volume > 0, "voice_volume": s.volume})
}

const cardCookie = "anjungan_card"

// cardLeft tells the page whether a card lies on the reader, for the
// "take your e-KTP" reminder at the end of a visit.
func (s *Kiosk) cardLeft(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"present": s.kiosk.CardLeft()})
}

// cardRead waits a while for an e-KTP tap. The page asks again while it
// shows the card screen; a wait shorter than the server's write timeout
// keeps each request well-formed.
func (s *Kiosk) cardRead(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 10*time.Second)
	defer cancel()
	id, masked, err := s.kiosk.ReadCard(ctx)
	if errors.Is(err, station.ErrCardWaiting) {
		return c.JSON(fiber.Map{"status": "waiting"})
	}
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: cardCookie, Value: id, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode})
	return c.JSON(fiber.Map{"status": "read", "subject": masked})
}

// cardView is one "card" event of the card screen's stream.
type cardView struct {
	Status  string     `json:"status"`            // a station.CardStatus
	Subject string     `json:"subject,omitempty"` // masked NIK, once read
	ReadID  string     `json:"read_id,omitempty"` // completes the read with the PIN (POST /api/login/card)
	Error   *errorJSON `json:"error,omitempty"`
}

func cardViewOf(st station.CardState) cardView {
	v := cardView{Status: string(st.Status)}
	if st.Err != nil {
		v.Error = errorJSONOf(st.Err)
	}
	return v
}

// cardEvents streams the card screen: the reader's state as it changes
// ("card" events: waiting, present, removed too early, not an e-KTP,
// reader or service missing) and, when a card is read, a last "card"
// event with status read, the masked NIK and the read's id. While the
// stream is open this page is the one waiting for the tap; a newer
// stream (a reload) takes over.
func (s *Kiosk) cardEvents(c *fiber.Ctx) error {
	if !s.kiosk.CardEnabled() {
		return station.ErrCardUnreadable.Withf("no card reader configured")
	}
	states, stopStates, ok := s.kiosk.CardStateStream()
	if !ok {
		states, stopStates = nil, func() {}
	}
	return s.stream(c, stopStates, func(ctx context.Context, send func(string, any) bool) {
		type read struct {
			id, subject string
			err         error
		}
		reads := make(chan read)
		readCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			defer close(reads)
			for readCtx.Err() == nil {
				id, subject, err := s.kiosk.ReadCard(readCtx)
				if errors.Is(err, station.ErrCardWaiting) {
					return // superseded by a newer page, or the stream ended
				}
				select {
				case reads <- read{id, subject, err}:
				case <-readCtx.Done():
					return
				}
				if err == nil {
					return
				}
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case st, ok := <-states:
				if !ok {
					states = nil
					continue
				}
				if !send("card", cardViewOf(st)) {
					return
				}
			case r, ok := <-reads:
				if !ok {
					send("card", cardView{Status: "superseded"})
					return
				}
				if r.err != nil {
					if !send("card", cardViewOf(station.CardStateOf(r.err))) {
						return
					}
					continue // the page shows what happened; the next tap is read
				}
				send("card", cardView{Status: string(station.CardRead), Subject: r.subject, ReadID: r.id})
				return
			}
		}
	})
}

func (s *Kiosk) loginCard(c *fiber.Ctx) error {
	var in struct {
		PIN    string `json:"pin"`
		ReadID string `json:"read_id"` // from the card stream
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	id := in.ReadID
	if id == "" {
		id = c.Cookies(cardCookie) // the read of /api/card/read
	}
	c.ClearCookie(cardCookie)
	sess, err := s.kiosk.LoginCard(c.UserContext(), id, in.PIN)
	if err != nil {
		return err
	}
	return s.startSession(c, sess)
}

// release gives back a previewed document the citizen chose not to print.
func (s *Kiosk) release(c *fiber.Ctx) error {
	var in struct {
		RequestID string `json:"request_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.kiosk.Release(c.UserContext(), c.Cookies(sessionCookie), station.RequestID(in.RequestID)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// callOfficer raises the citizen's call for an officer on the console,
// about the print they wait for, and answers with the job's reference.
// A bodiless POST, like a logout.
func (s *Kiosk) callOfficer(c *fiber.Ctx) error {
	call, err := s.kiosk.CallOfficer(c.UserContext(), c.Cookies(sessionCookie))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ref": call.Ref})
}
