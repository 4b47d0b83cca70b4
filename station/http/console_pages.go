package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/account"
	"github.com/anjungan/anjungan/station/report"
)

// timelineLimit is how many entries a timeline page or export holds.
const timelineLimit = 200

// parseConsolePages parses each page with the shared layout.
func parseConsolePages(hall station.Hall) map[string]*template.Template {
	funcs := template.FuncMap{
		// when is a time in the hall's zone, DD-MM-YYYY HH:MM WIB.
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "-"
			}
			return hall.Time(t)
		},
		// utc is the exact instant, for a title on demand.
		"utc":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"word":    word,
		"hall":    func() station.Hall { return hall },
		"fields":  fieldText,
		"short":   shortHash,
		"summary": fieldSummary,
		// ref is the job's short reference, the one the citizen reads
		// off the kiosk and tells an officer.
		"ref": printerd.JobRef,
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(consoleFS, "console/layout.html"))
	names, err := fs.Glob(consoleFS, "console/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "console/"), ".html")
		if name == "layout" {
			continue
		}
		pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(consoleFS, n))
	}
	return pages
}

// view is what every page template gets.
type view struct {
	T        map[string]string
	Lang     string
	Other    string // the other language, for the toggle
	LangLink string // the toggle's target: this page, or a page to GET for an answer to a POST
	Session  account.Session
	Can      map[string]bool // by account.Permission; templates index maps by plain strings
	Notice   string
	Data     map[string]any
	Live     bool // the page updates itself (console.js)
}

// baseView is a page's view for lang and a session, without its data.
func baseView(lang string, ss account.Session) view {
	v := view{T: texts(lang), Lang: lang, Other: "en", Session: ss, Can: map[string]bool{}}
	if lang == "en" {
		v.Other = "id"
	}
	for _, p := range []account.Permission{account.SeeOverview, account.SeeJobs, account.ResolveJobs, account.ReleaseJobs,
		account.ManagePrinters, account.SeeLedger, account.LoadCards, account.SeeAudit, account.LookupNIK,
		account.SeeIntegrity, account.Export, account.Report, account.VerifyLog, account.LiftPINLockout} {
		v.Can[string(p)] = v.Session.Role.Can(p)
	}
	return v
}

// render executes a page fully before sending, so a template error never
// leaves half a page.
func (s *Console) render(c *fiber.Ctx, status int, page string, data map[string]any) error {
	lang := langOf(c)
	if q := c.Query("lang"); q != "" {
		c.Cookie(&fiber.Cookie{Name: consoleLangCookie, Value: lang, Path: "/", SameSite: fiber.CookieSameSiteStrictMode, MaxAge: 365 * 24 * 3600})
	}
	v := baseView(lang, sessionOf(c))
	v.Data = data
	v.LangLink = langLink(c, status, v.Other)
	if n := c.Query("done"); n != "" {
		v.Notice = v.T["done_"+n]
	}
	// A page shown again with its form's error (a refused resolution)
	// toggles to itself, which a GET can show.
	if p, ok := data["LangPath"].(string); ok {
		v.LangLink = p + "?lang=" + v.Other
	}
	v.Live = page == "overview"
	var out bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&out, "layout.html", v); err != nil {
		s.log.Error().Err(err).Str("page", page).Msg("console: template")
		return c.Status(fiber.StatusInternalServerError).SendString("template error")
	}
	c.Type("html", "utf-8")
	return c.Status(status).Send(out.Bytes())
}

// langLink is where the language toggle goes: the same page for a GET
// (its filters kept); for the answer to a POST, which no link can
// repeat, the page its form was on; for an error, the overview.
func langLink(c *fiber.Ctx, status int, lang string) string {
	path := c.Path()
	if status >= 400 && path != "/login" {
		return "/?lang=" + lang
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		parts := strings.Split(strings.Trim(path, "/"), "/")
		switch {
		case path == "/login":
		case len(parts) == 3 && parts[0] == "jobs":
			path = "/" + parts[0] + "/" + parts[1]
		case path == "/audit/nik", path == "/integrity/verify", path == "/ledger/loads":
			path = "/" + parts[0]
		default:
			path = "/"
		}
		return path + "?lang=" + lang
	}
	q := url.Values{}
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if string(k) != "lang" {
			q.Add(string(k), string(v))
		}
	})
	q.Set("lang", lang)
	return path + "?" + q.Encode()
}

// fail shows an error of printerd, the audit log or the store: its
// message in the reader's language; the cause goes to the log only.
func (s *Console) fail(c *fiber.Ctx, err error) error {
	e := fault.As(err)
	s.log.Warn().Str("request_id", c.GetRespHeader(fiber.HeaderXRequestID)).Str("code", string(e.Code)).Err(e.Cause).Msg("console: failed")
	return s.render(c, consoleStatus(e), "error", map[string]any{"Message": e.Message(langOf(c)), "Code": string(e.Code)})
}

// consoleStatus is the HTTP status of a failed console action.
func consoleStatus(e *fault.Error) int {
	switch {
	case errors.Is(e, printerd.ErrJobNotFound), errors.Is(e, printerd.ErrPrinterNotFound):
		return fiber.StatusNotFound
	case errors.Is(e, printerd.ErrInvalidRequest), errors.Is(e, station.ErrNIKInvalid), errors.Is(e, errReportDay),
		errors.Is(e, printerd.ErrLoadSerials):
		return fiber.StatusBadRequest
	case errors.Is(e, printerd.ErrJobState):
		return fiber.StatusConflict
	case errors.Is(e, printerd.ErrUnreachable):
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}

func bounded(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), 10*time.Second)
}

// overview is today at a glance. printerd being down is shown, not an
// error: the page is how a supervisor finds out.
func (s *Console) overview(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	data := s.glance(ctx)
	return s.render(c, fiber.StatusOK, "overview", data)
}

// glance gathers the overview's data, its alerts (station.Watch) among
// it; the event stream sends the alerts again as they change.
func (s *Console) glance(ctx context.Context) map[string]any {
	now := s.local()
	data := map[string]any{}
	var w station.Watch
	// Each question by state or by day, not read off the newest jobs: an
	// in-doubt job of last week stays on the page however many jobs came
	// since, and today's counts are the daily report's (report.DayFilter,
	// report.Summarize).
	var unreachable error
	list := func(f printerd.JobFilter) []printerd.Job {
		jobs, err := s.d.Printerd.ListJobs(ctx, f)
		if err != nil && unreachable == nil {
			unreachable = err
		}
		return jobs
	}
	jobs := list(printerd.JobFilter{})
	doubt := list(printerd.JobFilter{State: printerd.JobInDoubt, Limit: printerd.MaxListLimit})
	held := len(list(printerd.JobFilter{State: printerd.JobHeld, Limit: printerd.MaxListLimit}))
	day := report.Summarize(now, now, list(report.DayFilter(now)), nil)
	if unreachable != nil {
		w.PrinterdErr = string(fault.As(unreachable).Code)
	}
	if s.d.Fleet != nil {
		w.Fleet = s.d.Fleet()
	}
	type count struct {
		Title string
		N     int
	}
	var counts []count
	failed := 0
	for _, p := range day.Prints { // sorted by title
		if p.Printed > 0 {
			counts = append(counts, count{p.Title, p.Printed})
		}
		failed += p.Failed
	}
	printers, _ := s.d.Printerd.Printers(ctx)
	ledger, _ := s.d.Printerd.Ledger(ctx)
	w.Printers, w.Ledger, w.InDoubt = printers, ledger, doubt
	if s.d.Calls != nil {
		w.Calls, w.Waiting = s.d.Calls.OfficerCalls(), s.d.Calls.HeldWaiting()
		for i, h := range w.Waiting { // few: one per citizen at the kiosk
			if j, err := s.d.Printerd.Job(ctx, h.Job); err == nil {
				w.Waiting[i].Printer, w.Waiting[i].State = j.Printer, j.State
			}
		}
		data["Calls"] = len(w.Calls)
	}
	if s.d.Settlements != nil {
		open, err := s.d.Settlements.Open(ctx)
		if err != nil && w.PrinterdErr == "" {
			w.PrinterdErr = string(fault.As(err).Code)
		}
		type unsettled struct {
			station.Settlement
			Since time.Duration
		}
		var pending []unsettled
		for _, st := range open {
			// A print under way is no news; one owed or cut short is.
			if st.Stage == station.SettleOwed || st.Stage == station.SettleSubmitting && now.Sub(st.Updated) > time.Minute {
				pending = append(pending, unsettled{st, now.Sub(st.Created).Round(time.Second)})
			}
		}
		w.Unsettled = len(pending)
		data["Unsettled"] = pending
	}
	data["Printed"], data["Failed"], data["Held"], data["InDoubt"] = counts, failed, held, doubt
	data["Partial"] = day.Partial || len(doubt) >= printerd.MaxListLimit || held >= printerd.MaxListLimit
	data["Printers"], data["Ledger"], data["Alerts"], data["Jobs"] = printers, ledger, w.Alerts(), jobs
	return data
}

func (s *Console) job(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	j, err := s.d.Printerd.Job(ctx, printerd.JobID(c.Params("id")))
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, fiber.StatusOK, "job", s.jobPage(ctx, c, j, jobForm{}))
}

// reasonOption is one reason code in the resolution form's select.
type reasonOption struct {
	Code     printerd.ReasonCode
	Label    string // in the console's language, with the actions it applies to when not both
	Selected bool
}

// jobForm is a job page's form as the supervisor filled it, kept when it
// is refused: Problem says why and Field which field is wrong.
type jobForm struct {
	printerd.Resolution
	Present bool
	Problem string
	Field   string
}

// jobPage is the job page's data: the job, its history, the actions that
// make sense now (station.ActionsFor), and the form f.
func (s *Console) jobPage(ctx context.Context, c *fiber.Ctx, j printerd.Job, f jobForm) map[string]any {
	t := texts(langOf(c))
	var options []reasonOption
	for _, rc := range printerd.ReasonCodes() {
		label := rc.ID
		if langOf(c) == "en" {
			label = rc.EN
		}
		if len(rc.Actions) == 1 {
			label += " (" + t["only_"+string(rc.Actions[0])] + ")"
		}
		options = append(options, reasonOption{Code: rc.Code, Label: label, Selected: rc.Code == f.ReasonCode})
	}
	data := map[string]any{"Job": j, "Actions": station.ActionsFor(j), "Form": f, "ReasonCodes": options}
	history, err := s.d.Printerd.JobHistory(ctx, j.ID)
	if err != nil {
		data["HistoryErr"] = fault.As(err).Message(langOf(c))
	}
	data["History"] = history
	return data
}

func (s *Console) resolve(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	id := printerd.JobID(c.Params("id"))
	f := jobForm{Resolution: printerd.Resolution{
		Action:     printerd.Action(c.FormValue("action")),
		ReasonCode: printerd.ReasonCode(c.FormValue("reason_code")),
		Note:       strings.TrimSpace(c.FormValue("note")),
		CardSerial: strings.TrimSpace(c.FormValue("card_serial")),
		Actor:      sessionOf(c).Account,
	}, Present: c.FormValue("present") == "yes"}
	r := f.Resolution
	var res printerd.Resolved
	field, err := station.CheckResolution(r, f.Present)
	if err == nil {
		res, err = s.d.Printerd.Resolve(ctx, id, r)
	}
	// The note is free text and stays in printerd's journal only: it may
	// name the citizen. The code and the action are recorded only when
	// they are codes: a crafted form could put words in them too.
	fields := map[string]string{"job": string(id), "action": codeOrInvalid(string(r.Action), validAction(r.Action)),
		"reason_code": codeOrInvalid(string(r.ReasonCode), r.ReasonCode.Known()), "card_serial": r.CardSerial}
	if res.Reprint != nil {
		fields["reprint"] = string(res.Reprint.ID)
	}
	fields["printer"] = res.Job.Printer
	if f.Present {
		fields["present"] = "yes"
	}
	s.auditAction(ctx, c, "console.resolve", err, fields)
	if err != nil {
		f.Field = field
		return s.jobRefused(ctx, c, id, f, err)
	}
	if s.d.Settlements != nil {
		s.d.Settlements.Wake() // the decision reaches the upstream now, not at the next pass
	}
	to := "/jobs/" + string(res.Job.ID)
	if res.Reprint != nil {
		to = "/jobs/" + string(res.Reprint.ID)
	}
	return c.Redirect(to+"?done=resolved", fiber.StatusSeeOther)
}

// codeOrInvalid is s for the audit log when it is a known code (or
// empty), else "invalid".
func codeOrInvalid(s string, known bool) string {
	if s == "" || known {
		return s
	}
	return "invalid"
}

func validAction(a printerd.Action) bool {
	return a == printerd.ActionPrinted || a == printerd.ActionReprint || a == printerd.ActionVoid
}

// jobRefused shows the job page again with the refusal and the form as
// the supervisor filled it, so nothing has to be typed twice. When the
// job cannot be shown (unknown, printerd unreachable), the error page.
func (s *Console) jobRefused(ctx context.Context, c *fiber.Ctx, id printerd.JobID, f jobForm, err error) error {
	e := fault.As(err)
	j, jerr := s.d.Printerd.Job(ctx, id)
	if jerr != nil || errors.Is(e, printerd.ErrJobNotFound) {
		return s.fail(c, err)
	}
	s.log.Warn().Str("request_id", c.GetRespHeader(fiber.HeaderXRequestID)).Str("code", string(e.Code)).Err(e.Cause).Msg("console: job action refused")
	f.Problem = e.Message(langOf(c))
	data := s.jobPage(ctx, c, j, f)
	data["LangPath"] = "/jobs/" + string(j.ID)
	status := consoleStatus(e)
	if errors.Is(e, station.ErrPresenceUnconfirmed) {
		status = fiber.StatusBadRequest
	}
	return s.render(c, status, "job", data)
}

// release sends a held job back to the queue. A job held because its
// citizen left is a hand-over: it prints for the citizen at the counter,
// so the supervisor confirms they are present.
func (s *Console) release(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	id := printerd.JobID(c.Params("id"))
	present := c.FormValue("present") == "yes"
	j, err := s.d.Printerd.Job(ctx, id)
	if err == nil && station.ActionsFor(j).HandOver && !present {
		err = station.ErrPresenceUnconfirmed.Withf("hand-over of %s without the citizen confirmed present", id)
	}
	if err == nil {
		j, err = s.d.Printerd.Release(ctx, id, sessionOf(c).Account)
	}
	fields := map[string]string{"job": string(id), "printer": j.Printer}
	if present {
		fields["present"] = "yes"
	}
	s.auditAction(ctx, c, "console.release", err, fields)
	if errors.Is(err, station.ErrPresenceUnconfirmed) {
		return s.jobRefused(ctx, c, id, jobForm{Present: present, Field: "present"}, err)
	}
	if err != nil {
		return s.fail(c, err)
	}
	return c.Redirect("/jobs/"+string(j.ID)+"?done=released", fiber.StatusSeeOther)
}

// printer shows one printer as printerd sees it now, and the action that
// makes sense: a stopped printer can be said to be fixed.
func (s *Console) printer(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	p, err := s.printerNamed(ctx, c.Params("name"))
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, fiber.StatusOK, "printer", map[string]any{"Printer": p, "Stopped": p.Status.State == printerd.PrinterStopped})
}

func (s *Console) printerNamed(ctx context.Context, name string) (printerd.PrinterInfo, error) {
	ps, err := s.d.Printerd.Printers(ctx)
	if err != nil {
		return printerd.PrinterInfo{}, err
	}
	for _, p := range ps {
		if p.Name == name {
			return p, nil
		}
	}
	return printerd.PrinterInfo{}, printerd.ErrPrinterNotFound.Withf("no printer named %q", name)
}

// resume is "the printer is fixed, run it again": the fault conditions a
// simulated printer keeps are cleared (a real printer reports its own),
// printerd resumes it, and the answer is the printer's state read back
// afterwards, so a printer still stopped is shown stopped with its
// reasons, never as a success.
func (s *Console) resume(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	name := c.Params("name")
	fields := map[string]string{"printer": name}
	err := s.d.Printerd.ClearFaults(ctx, name)
	switch {
	case err == nil:
		fields["cleared"] = "faults"
	case errors.Is(err, printerd.ErrNotSupported):
		err = nil
	}
	if err == nil {
		err = s.d.Printerd.ResumePrinter(ctx, name, sessionOf(c).Account)
	}
	var p printerd.PrinterInfo
	if err == nil {
		p, err = s.printerNamed(ctx, name)
		fields["state"] = string(p.Status.State)
	}
	s.auditAction(ctx, c, "console.resume", err, fields)
	if err != nil {
		return s.fail(c, err)
	}
	done := "resumed"
	if p.Status.State == printerd.PrinterStopped {
		done = "still_stopped"
	}
	return c.Redirect("/printers/"+url.PathEscape(name)+"?done="+done, fiber.StatusSeeOther)
}

func (s *Console) ledger(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	l, err := s.d.Printerd.Ledger(ctx)
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, fiber.StatusOK, "ledger", map[string]any{"Ledger": l})
}

func (s *Console) loadCards(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	l := printerd.Load{
		Printer:     c.FormValue("printer"),
		FirstSerial: strings.TrimSpace(c.FormValue("first_serial")),
		LastSerial:  strings.TrimSpace(c.FormValue("last_serial")),
		Actor:       sessionOf(c).Account,
	}
	n, err := strconv.Atoi(strings.TrimSpace(c.FormValue("count")))
	if err != nil {
		err = printerd.ErrInvalidRequest.Withf("count: %v", err)
	} else {
		l.Count = n
		_, err = s.d.Printerd.LoadCards(ctx, l)
	}
	fields := map[string]string{"printer": l.Printer, "first_serial": l.FirstSerial, "last_serial": l.LastSerial}
	if l.Count > 0 {
		fields["count"] = strconv.Itoa(l.Count)
	}
	s.auditAction(ctx, c, "console.load", err, fields)
	if err != nil {
		return s.fail(c, err)
	}
	return c.Redirect("/ledger?done=loaded", fiber.StatusSeeOther)
}

// timelineFilter reads the timeline's filters from the query. Times are
// the browser's datetime-local values in the station's time zone.
func (s *Console) timelineFilter(c *fiber.Ctx) station.AuditFilter {
	loc := s.local().Location()
	at := func(v string) time.Time {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, loc)
		if err != nil {
			return time.Time{}
		}
		return t
	}
	f := station.AuditFilter{
		From: at(c.Query("from")), To: at(c.Query("to")),
		Kind: c.Query("kind"), Outcome: c.Query("outcome"), Printer: c.Query("printer"),
		Limit: timelineLimit,
	}
	f.Before, _ = strconv.ParseInt(c.Query("before"), 10, 64)
	return f
}

// auditView records that a supervisor saw entries of the log: every
// view of the timeline is itself in it. No entry, no view.
func (s *Console) auditView(ctx context.Context, c *fiber.Ctx, kind, subject string, fields map[string]string) error {
	for k, v := range fields {
		fields[k] = auditField(v)
	}
	_, err := s.d.Audit.Append(ctx, station.AuditEntry{Time: s.now(), Kind: kind, Actor: sessionOf(c).Account,
		Subject: subject, Fields: fields})
	return err
}

// maxAuditField bounds a field's value in a console entry. Form fields
// and path segments are what the browser sent, up to the 64 KiB body
// limit, and the log refuses an entry over 16 KiB (internal/audit): a
// refused action with a long field would leave no entry at all.
const maxAuditField = 128

// auditField returns v, or when it is longer than maxAuditField its
// beginning with its length and SHA-256, so that the attempt is still
// recorded and the value can be matched against printerd's log.
func auditField(v string) string {
	if len(v) <= maxAuditField {
		return v
	}
	n := 64
	for n > 0 && !utf8.RuneStart(v[n]) {
		n-- // do not cut a character in two
	}
	sum := sha256.Sum256([]byte(v))
	return fmt.Sprintf("%s… (%d bytes, sha256 %x)", v[:n], len(v), sum[:8])
}

// auditAction records a supervisor's action on printerd in the station's
// log, after printerd answered: who, what, on which job or printer, and
// the outcome (the fault's stable code when it failed). printerd's own
// log has the action too; this one ties it to the console session. The
// action has happened by now, so a failed append is logged, not shown:
// the supervisor must not be led to do it twice.
func (s *Console) auditAction(ctx context.Context, c *fiber.Ctx, kind string, err error, fields map[string]string) {
	fields["outcome"] = "ok"
	if err != nil {
		fields["outcome"] = "failed"
		fields["error"] = string(fault.As(err).Code)
	}
	for k, v := range fields {
		if v == "" {
			delete(fields, k)
		}
	}
	if aerr := s.auditView(ctx, c, kind, "", fields); aerr != nil {
		s.log.Error().Err(aerr).Str("kind", kind).Str("outcome", fields["outcome"]).Msg("console: audit action")
	}
}

func (s *Console) timeline(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	f := s.timelineFilter(c)
	entries, err := s.d.Audit.Entries(ctx, f)
	if err != nil {
		return s.fail(c, err)
	}
	if err := s.auditView(ctx, c, "console.view", "", map[string]string{"page": "audit", "outcome": "ok", "count": strconv.Itoa(len(entries))}); err != nil {
		return s.fail(c, err)
	}
	return s.showTimeline(c, f, entries, "")
}

func (s *Console) showTimeline(c *fiber.Ctx, f station.AuditFilter, entries []station.AuditEntry, masked string) error {
	q := c.Request().URI().QueryArgs()
	data := map[string]any{"Entries": entries, "Filter": f, "Masked": masked,
		"From": c.Query("from"), "To": c.Query("to"), "Query": string(q.QueryString())}
	if n := len(entries); n == f.Limit && n > 0 {
		data["Older"] = entries[n-1].Index
	}
	return s.render(c, fiber.StatusOK, "audit", data)
}

// nikLookup filters the timeline by a NIK's keyed hash. It is a POST so
// the NIK never lands in a URL, a browser's history or an access log,
// and the lookup is recorded before anything is shown.
func (s *Console) nikLookup(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	nik, err := station.ParseNIK(strings.TrimSpace(c.FormValue("nik")))
	if err != nil {
		return s.fail(c, err)
	}
	subject := s.d.Audit.SubjectOf(nik)
	f := station.AuditFilter{Subject: subject, Limit: timelineLimit}
	if err := s.auditView(ctx, c, "console.nik_lookup", subject, map[string]string{"outcome": "ok", "format": c.FormValue("format")}); err != nil {
		return s.fail(c, err)
	}
	entries, err := s.d.Audit.Entries(ctx, f)
	if err != nil {
		return s.fail(c, err)
	}
	if c.FormValue("format") == "csv" {
		return s.sendCSV(c, entries)
	}
	return s.showTimeline(c, f, entries, nik.Masked())
}

func (s *Console) exportCSV(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	f := s.timelineFilter(c)
	entries, err := s.d.Audit.Entries(ctx, f)
	if err != nil {
		return s.fail(c, err)
	}
	if err := s.auditView(ctx, c, "console.export", "", map[string]string{"outcome": "ok", "format": "csv", "count": strconv.Itoa(len(entries))}); err != nil {
		return s.fail(c, err)
	}
	return s.sendCSV(c, entries)
}

func (s *Console) sendCSV(c *fiber.Ctx, entries []station.AuditEntry) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"index", "time", "kind", "actor", "subject", "outcome", "printer", "fields"})
	for _, e := range entries {
		_ = w.Write([]string{strconv.FormatInt(e.Index, 10), e.Time.UTC().Format(time.RFC3339Nano), cell(e.Kind), cell(e.Actor),
			cell(e.Subject), cell(e.Fields["outcome"]), cell(e.Fields["printer"]), cell(fieldText(e.Fields))})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return s.fail(c, err)
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="audit-`+s.local().Format("20060102-150405")+`.csv"`)
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	return c.Send(b.Bytes())
}

// cell keeps a spreadsheet from reading a cell as a formula.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// shortHash is the beginning of a hash, enough to tell entries apart on
// a 1920-pixel screen; the page gives the whole of it on demand.
func shortHash(h string) string {
	if len(h) <= 12 {
		return h
	}
	return h[:12] + "…"
}

// fieldSummary is the one line of an entry's fields shown before its
// details are opened: the outcome and what it was about.
func fieldSummary(f map[string]string) string {
	var parts []string
	for _, k := range []string{"outcome", "page", "job", "printer", "format"} {
		if v := f[k]; v != "" {
			parts = append(parts, k+"="+shortHash(v))
		}
	}
	if len(parts) < len(f) {
		parts = append(parts, fmt.Sprintf("(+%d)", len(f)-len(parts)))
	}
	return strings.Join(parts, " ")
}

// fieldText shows an entry's fields as sorted key=value pairs.
func fieldText(f map[string]string) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+f[k])
	}
	return strings.Join(parts, " ")
}

func (s *Console) integrity(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	data := map[string]any{}
	cp, err := s.d.Audit.LatestCheckpoint(ctx)
	if err != nil {
		return s.fail(c, err)
	}
	data["Station"] = string(cp)
	if s.d.PrinterdAudit != nil {
		pcp, err := s.d.PrinterdAudit.Checkpoint(ctx)
		if err != nil && !errors.Is(err, printerd.ErrNoCheckpoint) {
			data["PrinterdErr"] = fault.As(err).Message(langOf(c))
		}
		data["Printerd"] = string(pcp)
	}
	s.mu.Lock()
	if s.lastVerify != nil {
		data["Verified"] = *s.lastVerify
	}
	s.mu.Unlock()
	return s.render(c, fiber.StatusOK, "integrity", data)
}

// verify recomputes the station's log now and records that it did.
func (s *Console) verify(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Minute)
	defer cancel()
	actor := sessionOf(c).Account
	v := verification{Time: s.now(), Actor: actor, OK: true}
	outcome := "ok"
	if err := s.d.Audit.Verify(ctx); err != nil {
		v.OK, v.Err, outcome = false, err.Error(), "failed"
		s.log.Error().Err(err).Msg("console: audit log verification failed")
	}
	s.mu.Lock()
	s.lastVerify = &v
	s.mu.Unlock()
	if err := s.auditView(ctx, c, "console.verify", "", map[string]string{"outcome": outcome}); err != nil {
		return s.fail(c, err)
	}
	return c.Redirect("/integrity?done=verified", fiber.StatusSeeOther)
}
