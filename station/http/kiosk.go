package http

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"

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
	Title     string     `json:"title"`
	Status    string     `json:"status"` // upstream status: approved, printed, in_doubt
	Print     *printView `json:"print,omitempty"`
}

type printView struct {
	State  string     `json:"state"`
	Pages  int        `json:"pages,omitempty"`
	Job    string     `json:"job,omitempty"`
	Reason string     `json:"reason,omitempty"`
	Error  *errorJSON `json:"error,omitempty"`
}

func viewOf(s *station.Session) sessionView {
	v := sessionView{Subject: s.Authz.Subject.Masked(), Method: string(s.Authz.Method)}
	for _, r := range s.Authz.Requests {
		rv := requestView{RequestID: string(r.ID), Type: string(r.Document), Title: r.Document.Title(), Status: string(r.Status)}
		if p, ok := s.Prints[r.ID]; ok {
			pv := printViewOf(*p)
			rv.Print = &pv
		}
		v.Documents = append(v.Documents, rv)
	}
	sort.SliceStable(v.Documents, func(i, j int) bool { return v.Documents[i].Type < v.Documents[j].Type })
	return v
}

func printViewOf(p station.Print) printView {
	pv := printView{State: string(p.State), Job: string(p.Job), Reason: p.Reason, Pages: p.Pages}
	if p.Err != nil {
		pv.Error = &errorJSON{Code: string(p.Err.Code), MessageID: p.Err.ID, MessageEN: p.Err.EN}
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
	if err := c.BodyParser(&in); err != nil {
		return station.ErrTicketInvalid.With(err)
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
	if err := c.BodyParser(&in); err != nil {
		return station.ErrCredentialsRejected.With(err)
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
	return c.JSON(viewOf(sess))
}

func (s *Kiosk) logout(c *fiber.Ctx) error {
	s.kiosk.Logout(c.Cookies(sessionCookie))
	c.ClearCookie(sessionCookie)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Kiosk) print(c *fiber.Ctx) error {
	var in struct {
		RequestID string `json:"request_id"`
	}
	if err := c.BodyParser(&in); err != nil {
		return station.ErrRequestNotFound.With(err)
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
		Type   string `json:"type"`
		Title  string `json:"title"`
		Ready  bool   `json:"ready"`
		Reason string `json:"reason,omitempty"`
	}
	out := struct {
		Documents []doc `json:"documents"`
	}{}
	for _, a := range as {
		out.Documents = append(out.Documents, doc{Type: string(a.Document), Title: a.Document.Title(), Ready: a.Ready, Reason: a.Reason})
	}
	return c.JSON(out)
}

func (s *Kiosk) prepare(c *fiber.Ctx) error {
	var in struct {
		RequestID string `json:"request_id"`
	}
	if err := c.BodyParser(&in); err != nil {
		return station.ErrRequestNotFound.With(err)
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
	return c.JSON(fiber.Map{"idle_ms": s.kiosk.IdleTimeout().Milliseconds(), "card": s.kiosk.CardEnabled()})
}

const cardCookie = "anjungan_card"

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

func (s *Kiosk) loginCard(c *fiber.Ctx) error {
	var in struct {
		PIN string `json:"pin"`
	}
	if err := c.BodyParser(&in); err != nil {
		return station.ErrCredentialsRejected.With(err)
	}
	id := c.Cookies(cardCookie)
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
	if err := c.BodyParser(&in); err != nil {
		return station.ErrRequestNotFound.With(err)
	}
	if err := s.kiosk.Release(c.UserContext(), c.Cookies(sessionCookie), station.RequestID(in.RequestID)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
