package http

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station/report"
)

// errReportDay is a report asked for a day that is not a date.
var errReportDay = fault.New("report_day_invalid",
	"Tanggal laporan tidak sah. Gunakan format TTTT-BB-HH, misalnya 2025-03-01.",
	"The report's day is not a valid date. Use YYYY-MM-DD, for example 2025-03-01.")

// exports is the page with the downloads: the daily report for a chosen
// day and, for roles that may see the timeline, its CSV.
func (s *Console) exports(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "exports", map[string]any{"Today": s.local().Format(time.DateOnly)})
}

// reportDay reads the day parameter: a date in the station's time zone,
// today when empty.
func reportDay(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return now, nil
	}
	if len(v) != len(time.DateOnly) {
		return time.Time{}, errReportDay.Withf("day of %d bytes", len(v))
	}
	t, err := time.ParseInLocation(time.DateOnly, v, now.Location())
	if err != nil {
		return time.Time{}, errReportDay.With(err)
	}
	return t, nil
}

// reportPDF sends the daily report of ?day=YYYY-MM-DD. Like the CSV, the
// download is in the audit log before it is sent.
func (s *Console) reportPDF(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	now := s.local()
	day, err := reportDay(c.Query("day"), now)
	if err != nil {
		return s.fail(c, err)
	}
	jobs, err := s.d.Printerd.ListJobs(ctx, report.DayFilter(day))
	if err != nil {
		return s.fail(c, err)
	}
	ledger, err := s.d.Printerd.Ledger(ctx)
	if err != nil {
		return s.fail(c, err)
	}
	d := report.Summarize(day, now, jobs, ledger)
	d.Lang = langOf(c)
	cp, err := s.d.Audit.LatestCheckpoint(ctx)
	if err != nil {
		return s.fail(c, err)
	}
	st := report.LogOf("station", cp)
	d.Station = strings.TrimSuffix(st.Origin, "/station/audit")
	if h := s.d.Hall; h.Name != "" || h.KioskID != "" {
		d.Station = h.Name + " · " + h.KioskID + " · " + d.Station
	}
	d.Logs = append(d.Logs, st)
	if s.d.PrinterdAudit != nil {
		pcp, err := s.d.PrinterdAudit.Checkpoint(ctx)
		switch {
		case err == nil, errors.Is(err, printerd.ErrNoCheckpoint):
			d.Logs = append(d.Logs, report.LogOf("printerd", pcp))
		default:
			d.Logs = append(d.Logs, report.Log{Name: "printerd", Err: "unreachable"})
		}
	}
	pdf, err := report.PDF(d)
	if err != nil {
		return s.fail(c, err)
	}
	name := d.Date.Format(time.DateOnly)
	if err := s.auditView(ctx, c, "console.export", "", map[string]string{"outcome": "ok", "format": "pdf", "day": name}); err != nil {
		return s.fail(c, err)
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="report-`+name+`.pdf"`)
	c.Set(fiber.HeaderContentType, "application/pdf")
	return c.Send(pdf)
}
