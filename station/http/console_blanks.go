package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station/account"
	"github.com/anjungan/anjungan/station/report"
)

// ConsoleCustody is printerd's blank-card custody as the console uses it
// (printerd/client.Client implements it).
type ConsoleCustody interface {
	Ledger(ctx context.Context) ([]printerd.LedgerEntry, error)
	SpoilCard(ctx context.Context, s printerd.Spoil) (printerd.SpoiledCard, error)
	SpoiledCards(ctx context.Context, printer string, awaiting bool) ([]printerd.SpoiledCard, error)
	ProposeDestruction(ctx context.Context, r printerd.DestructionRequest) (printerd.Destruction, error)
	ConfirmDestruction(ctx context.Context, id, actor string) (printerd.Destruction, error)
	Destruction(ctx context.Context, id string) (printerd.Destruction, error)
	Destructions(ctx context.Context, printer string) ([]printerd.Destruction, error)
	Reconcile(ctx context.Context, printer, actor string) (printerd.Reconciliation, error)
	Month(ctx context.Context, printer string, from, until time.Time) (printerd.MonthReport, error)
}

// routeBlanks serves the custody pages: spoiled cards awaiting
// destruction, the two signatures of a destruction, its berita acara,
// reconciliation and the monthly report.
func (s *Console) routeBlanks() {
	s.page("/blanks", account.SeeLedger, s.blanks)
	s.action("/blanks/spoils", account.LoadCards, s.spoilCard)
	s.action("/blanks/reconcile", account.LoadCards, s.reconcile)
	s.action("/blanks/destructions", account.DestroyCards, s.proposeDestruction)
	s.action("/blanks/destructions/:id/confirm", account.DestroyCards, s.confirmDestruction)
	s.page("/blanks/destructions/:id/berita-acara.pdf", account.SeeLedger, s.beritaAcara)
	s.page("/blanks/month.pdf", account.Report, s.monthPDF)
	s.page("/blanks/month.csv", account.Report, s.monthCSV)
}

// blankPrinter is one card printer on the custody page.
type blankPrinter struct {
	Name         string
	Awaiting     []printerd.SpoiledCard
	Destructions []printerd.Destruction
}

func (s *Console) blanks(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	ledger, err := s.d.Custody.Ledger(ctx)
	if err != nil {
		return s.fail(c, err)
	}
	var ps []blankPrinter
	for _, e := range ledger {
		p := blankPrinter{Name: e.Printer}
		if p.Awaiting, err = s.d.Custody.SpoiledCards(ctx, e.Printer, true); err != nil {
			return s.fail(c, err)
		}
		if p.Destructions, err = s.d.Custody.Destructions(ctx, e.Printer); err != nil {
			return s.fail(c, err)
		}
		ps = append(ps, p)
	}
	lang := langOf(c)
	hall := s.d.Hall
	data := map[string]any{
		"Printers": ps, "Causes": printerd.SpoilCauses(), "Hall": hall,
		"CanDestroy": sessionOf(c).Role.Can(account.DestroyCards), "CanRecord": sessionOf(c).Role.Can(account.LoadCards),
		"CanReport": sessionOf(c).Role.Can(account.Report),
		"Month":     s.now().In(hall.Zone.Location()).Format("2006-01"),
		"Done":      texts(lang)["blanks_done_"+c.Query("done")],
		"When":      hall.Time,
	}
	return s.render(c, fiber.StatusOK, "blanks", data)
}

// failCustody shows a refused custody action with the status of its
// error: a rule of custody (two supervisors, stock, a record already
// signed) is a conflict, not a server error.
func (s *Console) failCustody(c *fiber.Ctx, err error) error {
	for _, e := range []*fault.Error{printerd.ErrSameSupervisor, printerd.ErrDestructionExpired, printerd.ErrDestructionState,
		printerd.ErrAlreadyDestroyed, printerd.ErrOutOfStock, report.ErrNotDestroyed} {
		if errors.Is(err, e) {
			f := fault.As(err)
			s.log.Warn().Str("code", string(f.Code)).Err(f.Cause).Msg("console: custody refused")
			return s.render(c, fiber.StatusConflict, "error", map[string]any{"Message": f.Message(langOf(c)), "Code": string(f.Code)})
		}
	}
	if errors.Is(err, printerd.ErrDestructionNotFound) {
		return s.render(c, fiber.StatusNotFound, "error", map[string]any{"Message": fault.As(err).Message(langOf(c)), "Code": string(fault.As(err).Code)})
	}
	return s.fail(c, err)
}

func (s *Console) spoilCard(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	sp := printerd.Spoil{Printer: c.FormValue("printer"), CardSerial: strings.TrimSpace(c.FormValue("card_serial")),
		Cause: printerd.SpoilCause(c.FormValue("cause")), Actor: sessionOf(c).Account}
	_, err := s.d.Custody.SpoilCard(ctx, sp)
	s.auditAction(ctx, c, "console.custody", err, map[string]string{"step": "spoil", "printer": sp.Printer,
		"cause": string(sp.Cause), "card_serial": sp.CardSerial})
	if err != nil {
		return s.failCustody(c, err)
	}
	return c.Redirect("/blanks?done=spoiled", fiber.StatusSeeOther)
}

func (s *Console) reconcile(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	printer := c.FormValue("printer")
	r, err := s.d.Custody.Reconcile(ctx, printer, sessionOf(c).Account)
	fields := map[string]string{"step": "reconcile", "printer": printer}
	if err == nil {
		fields["difference"] = strconv.Itoa(r.Difference)
	}
	s.auditAction(ctx, c, "console.custody", err, fields)
	if err != nil {
		return s.failCustody(c, err)
	}
	return c.Redirect("/blanks?done=reconciled", fiber.StatusSeeOther)
}

func (s *Console) proposeDestruction(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	printer := c.FormValue("printer")
	d, err := s.d.Custody.ProposeDestruction(ctx, printerd.DestructionRequest{Printer: printer, Actor: sessionOf(c).Account})
	s.auditAction(ctx, c, "console.custody", err, map[string]string{"step": "propose", "printer": printer,
		"destruction": d.ID, "cards": countOf(d.Cards, err)})
	if err != nil {
		return s.failCustody(c, err)
	}
	return c.Redirect("/blanks?done=proposed", fiber.StatusSeeOther)
}

func (s *Console) confirmDestruction(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	id := strings.Clone(c.Params("id"))
	d, err := s.d.Custody.ConfirmDestruction(ctx, id, sessionOf(c).Account)
	s.auditAction(ctx, c, "console.custody", err, map[string]string{"step": "confirm", "printer": d.Printer,
		"destruction": id, "cards": countOf(d.Cards, err)})
	if err != nil {
		return s.failCustody(c, err)
	}
	return c.Redirect("/blanks?done=destroyed", fiber.StatusSeeOther)
}

func countOf(cards []printerd.SpoiledCard, err error) string {
	if err != nil {
		return ""
	}
	return strconv.Itoa(len(cards))
}

// beritaAcara sends the record of a confirmed destruction. The download
// is audited with the record's SHA-256 before it is sent, so the paper
// signed can be matched to the log.
func (s *Console) beritaAcara(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	id := strings.Clone(c.Params("id"))
	d, err := s.d.Custody.Destruction(ctx, id)
	if err != nil {
		return s.failCustody(c, err)
	}
	pdf, err := report.BeritaAcara(s.d.Hall, d)
	if err != nil {
		return s.failCustody(c, err)
	}
	sum := sha256.Sum256(pdf)
	if err := s.auditView(ctx, c, "console.export", "", map[string]string{"outcome": "ok", "format": "berita-acara",
		"destruction": id, "sha256": hex.EncodeToString(sum[:])}); err != nil {
		return s.fail(c, err)
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="berita-acara-`+id+`.pdf"`)
	c.Set(fiber.HeaderContentType, "application/pdf")
	return c.Send(pdf)
}

// month gathers ?month=YYYY-MM (the hall's calendar) for every card
// printer.
func (s *Console) month(c *fiber.Ctx) (report.Month, error) {
	ctx, cancel := bounded(c)
	defer cancel()
	loc := s.d.Hall.Zone.Location()
	start, err := time.ParseInLocation("2006-01", c.Query("month"), loc)
	if err != nil {
		return report.Month{}, printerd.ErrInvalidRequest.Withf("month %q: want YYYY-MM", c.Query("month"))
	}
	m := report.Month{Hall: s.d.Hall, Start: start, Generated: s.now()}
	ledger, err := s.d.Custody.Ledger(ctx)
	if err != nil {
		return report.Month{}, err
	}
	for _, e := range ledger {
		r, err := s.d.Custody.Month(ctx, e.Printer, start, start.AddDate(0, 1, 0))
		if err != nil {
			return report.Month{}, err
		}
		m.Printers = append(m.Printers, r)
	}
	return m, nil
}

func (s *Console) monthPDF(c *fiber.Ctx) error { return s.sendMonth(c, "month-pdf") }
func (s *Console) monthCSV(c *fiber.Ctx) error { return s.sendMonth(c, "month-csv") }

func (s *Console) sendMonth(c *fiber.Ctx, format string) error {
	m, err := s.month(c)
	if err != nil {
		return s.fail(c, err)
	}
	out, ext, ctype := []byte(nil), "pdf", "application/pdf"
	if format == "month-csv" {
		out, err = report.MonthCSV(m)
		ext, ctype = "csv", "text/csv; charset=utf-8"
	} else {
		out, err = report.MonthPDF(m)
	}
	if err != nil {
		return s.fail(c, err)
	}
	name := m.Start.Format("2006-01")
	ctx, cancel := bounded(c)
	defer cancel()
	if err := s.auditView(ctx, c, "console.export", "", map[string]string{"outcome": "ok", "format": format, "month": name}); err != nil {
		return s.fail(c, err)
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="blanko-`+m.Hall.KioskID+"-"+name+"."+ext+`"`)
	c.Set(fiber.HeaderContentType, ctype)
	return c.Send(out)
}
