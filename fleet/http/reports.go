package http

import (
	"bytes"
	"net/http"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/fleet/report"
	"github.com/anjungan/anjungan/internal/fault"
)

// reportsPage lists the monthly blank-card reports of the last twelve
// months (the current one first, incomplete) for the signed-in user.
func (c *Console) reportsPage(w http.ResponseWriter, r *http.Request) {
	p, ok := c.signedIn(w, r)
	if !ok {
		return
	}
	now := c.now().In(fleet.ZoneWIB.Location())
	first := now.AddDate(0, 0, 1-now.Day())
	for i := 0; i < 12; i++ {
		p.Months = append(p.Months, first.AddDate(0, -i, 0).Format("2006-01"))
	}
	c.render(w, http.StatusOK, "reports.html", p)
}

// blankReport answers GET /reports/blanks?month=2026-11&by=regency|province&format=pdf|csv
// with the report of the user's scope; a bad query is 400 with its
// error's code and message in the page's language.
func (c *Console) blankReport(w http.ResponseWriter, r *http.Request) {
	p, ok := c.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	rq, err := fleet.ParseReportQuery(q.Get("month"), q.Get("by"), q.Get("format"), c.now())
	if err != nil {
		fe := fault.As(err)
		w.Header().Set("X-Error-Code", string(fe.Code))
		p.Message = fe.Message(p.Lang)
		c.render(w, http.StatusBadRequest, "reports.html", p)
		return
	}
	rep, err := fleet.MonthlyBlanks(r.Context(), c.store, rq, p.User.Scope, c.Hub, c.now())
	if err != nil {
		c.fail(w, err)
		return
	}
	name := "blanko-" + rq.MonthString() + "-" + string(rq.By)
	var b bytes.Buffer
	switch rq.Format {
	case fleet.FormatCSV:
		if err := report.WriteCSV(&b, rep); err != nil {
			c.fail(w, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
	default:
		pdf, err := report.PDF(rep, p.Lang)
		if err != nil {
			c.fail(w, err)
			return
		}
		b.Write(pdf)
		w.Header().Set("Content-Type", "application/pdf")
		name += ".pdf"
	}
	c.log.Info().Str("user", p.User.Name).Str("month", rq.MonthString()).Str("by", string(rq.By)).Str("format", rq.Format).Msg("console: report")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(b.Bytes())
}
