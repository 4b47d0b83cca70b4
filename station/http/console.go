package http

import (
	"context"
	"embed"
	"html/template"
	"io"
	"mime"
	"net"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/account"
)

//go:embed console
var consoleFS embed.FS

// ConsolePrinterd is what the console asks of printerd
// (printerd/client.Client implements it).
type ConsolePrinterd interface {
	ListJobs(ctx context.Context, f printerd.JobFilter) ([]printerd.Job, error)
	Job(ctx context.Context, id printerd.JobID) (printerd.Job, error)
	JobHistory(ctx context.Context, id printerd.JobID) ([]printerd.JobEvent, error)
	Printers(ctx context.Context) ([]printerd.PrinterInfo, error)
	Ledger(ctx context.Context) ([]printerd.LedgerEntry, error)
	LoadCards(ctx context.Context, l printerd.Load) (printerd.Load, error)
	Resolve(ctx context.Context, id printerd.JobID, r printerd.Resolution) (printerd.Resolved, error)
	Release(ctx context.Context, id printerd.JobID, actor string) (printerd.Job, error)
	ResumePrinter(ctx context.Context, printer, actor string) error
	// ClearFaults clears the fault conditions a simulated printer keeps
	// (printerd.ErrNotSupported for a real one, whose hardware reports
	// its own state).
	ClearFaults(ctx context.Context, printer string) error
}

// CheckpointFetcher returns printerd's latest signed audit checkpoint,
// printerd.ErrNoCheckpoint before the first (printerd/client.Client's
// Checkpoint).
type CheckpointFetcher interface {
	Checkpoint(ctx context.Context) ([]byte, error)
}

// ConsoleDeps is what the console needs.
type ConsoleDeps struct {
	Printerd ConsolePrinterd
	Audit    station.AuditLog
	Accounts account.Store
	// PrinterdAudit shows printerd's checkpoint on the integrity page;
	// nil shows none.
	PrinterdAudit CheckpointFetcher
	// Settlements shows the prints whose settlement with the upstream is
	// pending, and is woken by a supervisor's decision; nil shows none.
	Settlements ConsoleSettlements
	// PINs lifts a NIK's PIN lockout (station/registry.Client); nil
	// offers no lift.
	PINs station.PINLockouts
	// Calls shows the citizens at the kiosk asking for an officer; nil
	// shows none.
	Calls ConsoleCalls
	// Fleet reports the fleet outbox's backlog for its alert; nil shows
	// none (no hub set).
	Fleet func() station.FleetBacklog
	// Hall is where the kiosk stands: its name and id head the console
	// and its reports, and every time shown is in its zone.
	Hall station.Hall
	Now  func() time.Time
	// LiveEvery is how often the overview's event stream looks for new
	// alerts; zero is every 2 s.
	LiveEvery time.Duration
	Rand      io.Reader
	// Hashing is the argon2id cost of the stand-in hash checked for an
	// unknown account, so that a login takes as long whether or not the
	// account exists. Zero means account.DefaultParams.
	Hashing account.Params
	// Sleep waits out a login's throttle delay; nil waits on a timer
	// (tests pass one that moves their clock).
	Sleep func(ctx context.Context, d time.Duration) error

	// Custody serves the blank-card custody pages (/blanks); nil serves
	// none.
	Custody ConsoleCustody
}

// ConsoleCalls is the kiosk as the console sees the citizens waiting at
// it: those calling an officer, and those whose print is held
// (station.Kiosk is one).
type ConsoleCalls interface {
	OfficerCalls() []station.OfficerCall
	HeldWaiting() []station.HeldWaiting
}

var _ ConsoleCalls = (*station.Kiosk)(nil)

// ConsoleSettlements is the station's settler as the console uses it.
type ConsoleSettlements interface {
	Open(ctx context.Context) ([]station.Settlement, error)
	Wake()
}

// Login throttling (docs/console.md, "Throttling"): per account name, and
// per client address beyond loopback, 5 attempts in 15 minutes wait for
// nothing; then each waits 1 s after the one before, doubling to 30 s.
// One password check runs at a time; 32 more may wait up to 10 s.
const (
	loginFree      = 5
	loginFirstWait = time.Second
	loginMaxWait   = 30 * time.Second
	loginWindow    = 15 * time.Minute
	loginChecks    = 1
	loginQueue     = 32
	loginTurnWait  = 10 * time.Second
)

func loginDelays() account.Delays {
	return account.Delays{Free: loginFree, First: loginFirstWait, Max: loginMaxWait, Window: loginWindow}
}

// Console serves the supervisors' console: server-rendered pages, no
// script, forms protected by a session token and an origin check.
type Console struct {
	d      ConsoleDeps
	log    zerolog.Logger
	app    *fiber.App
	timing *requestTiming
	pages  map[string]*template.Template

	accounts *account.Throttle
	clients  *account.Throttle
	// attempts makes an attempt's records with both throttles one step:
	// two attempts that interleave between the throttles would each be
	// counted as the other's successor once, and both wait.
	attempts sync.Mutex
	checks   *account.Gate

	dummyOnce sync.Once
	dummy     string

	mu         sync.Mutex
	lastVerify *verification

	liveFor  time.Duration // an event stream's life
	done     chan struct{} // closed by Shutdown: event streams end
	doneOnce sync.Once
}

// verification is the outcome of the last "verify now".
type verification struct {
	Time  time.Time
	Actor string
	OK    bool
	Err   string
}

// NewConsole returns the console server.
func NewConsole(deps ConsoleDeps, log zerolog.Logger) *Console {
	if deps.Hashing == (account.Params{}) {
		deps.Hashing = account.DefaultParams()
	}
	if deps.Sleep == nil {
		deps.Sleep = sleep
	}
	s := &Console{
		d:        deps,
		log:      log,
		pages:    parseConsolePages(deps.Hall),
		accounts: account.NewThrottle(loginDelays(), deps.Now),
		clients:  account.NewThrottle(loginDelays(), deps.Now),
		checks:   account.NewGate(loginChecks, loginQueue, loginTurnWait),
		done:     make(chan struct{}),
		liveFor:  liveFor,
	}
	// The station's store (station/sqlite) keeps attempts across a
	// restart; a store without them throttles in memory.
	if fs, ok := deps.Accounts.(account.FailureStore); ok {
		s.accounts = account.NewStoredThrottle(loginDelays(), deps.Now, fs)
		s.clients = account.NewStoredThrottle(loginDelays(), deps.Now, fs)
	}
	s.timing = &requestTiming{}
	s.app = newApp(log, "console", s.errorPage, s.timing)
	s.app.Use(consoleHeaders, formsOnly)
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	s.app.Get("/console.css", consoleAsset("console.css", "css"))
	s.app.Get("/console.js", consoleAsset("console.js", "js"))
	s.app.Get("/events", s.watching, s.allow(account.SeeOverview), s.events)
	s.app.Get("/login", s.loginPage)
	s.app.Post("/login", s.sameOrigin, s.login)
	s.app.Post("/logout", s.sameOrigin, s.authenticated, s.csrf, s.logout)

	s.page("/", account.SeeOverview, s.overview)
	s.page("/jobs/:id", account.SeeJobs, s.job)
	s.action("/jobs/:id/resolve", account.ResolveJobs, s.resolve)
	s.action("/jobs/:id/release", account.ReleaseJobs, s.release)
	s.page("/printers/:name", account.SeeOverview, s.printer)
	s.action("/printers/:name/resume", account.ManagePrinters, s.resume)
	s.page("/ledger", account.SeeLedger, s.ledger)
	s.action("/ledger/loads", account.LoadCards, s.loadCards)
	s.page("/audit", account.SeeAudit, s.timeline)
	s.page("/audit.csv", account.Export, s.exportCSV)
	s.page("/exports", account.Report, s.exports)
	s.page("/report.pdf", account.Report, s.reportPDF)
	s.action("/audit/nik", account.LookupNIK, s.nikLookup)
	s.page("/pins", account.LiftPINLockout, s.pins)
	s.action("/pins/lift", account.LiftPINLockout, s.liftPIN)
	s.page("/integrity", account.SeeIntegrity, s.integrity)
	s.action("/integrity/verify", account.VerifyLog, s.verify)
	if deps.Custody != nil {
		s.routeBlanks()
	}
	return s
}

// consoleAsset serves the embedded file console/name as type ext.
func consoleAsset(name, ext string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		b, err := consoleFS.ReadFile("console/" + name)
		if err != nil {
			return err
		}
		c.Type(ext, "utf-8")
		return c.Send(b)
	}
}

// page registers a GET page that needs a session with permission p.
func (s *Console) page(path string, p account.Permission, h fiber.Handler) {
	s.app.Get(path, s.authenticated, s.allow(p), h)
}

// action registers a state-changing POST: same origin, a session, its
// CSRF token, and permission p, in that order.
func (s *Console) action(path string, p account.Permission, h fiber.Handler) {
	s.app.Post(path, s.sameOrigin, s.authenticated, s.csrf, s.allow(p), h)
}

// Serve serves on ln until Shutdown.
func (s *Console) Serve(ln net.Listener) error { return serve(s.app, ln) }

// Shutdown stops accepting requests and waits for those in flight.
func (s *Console) Shutdown(ctx context.Context) error {
	s.doneOnce.Do(func() { close(s.done) })
	return s.app.ShutdownWithContext(ctx)
}

// consoleCSP allows nothing but the console's own stylesheet and its one
// script (the overview's live alerts, which reads its own event stream):
// no inline script or style, forms only to itself.
const consoleCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// consoleHeaders tightens newApp's headers for pages that hold personal
// data: nothing is cached, no other site may open or embed them.
func consoleHeaders(c *fiber.Ctx) error {
	setConsoleHeaders(c)
	return c.Next()
}

// formsOnly accepts the one body the console's pages send: an
// application/x-www-form-urlencoded form. A multipart or any other body
// is refused before a handler parses it.
func formsOnly(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Next()
	}
	ct := string(c.Request().Header.ContentType())
	if mt, _, err := mime.ParseMediaType(ct); (err != nil || mt != fiber.MIMEApplicationForm) && (ct != "" || len(c.Request().Body()) > 0) {
		return fault.ContentTypeUnsupported.Withf("Content-Type %q", ct)
	}
	return c.Next()
}

// errorPage answers a request the console refuses before or outside its
// handlers (no route, a body or headers too large, a compressed or
// malformed request) with its error page, headers and code.
func (s *Console) errorPage(c *fiber.Ctx, status int, e *fault.Error) error {
	setConsoleHeaders(c)
	return s.render(c, status, "error", map[string]any{"Message": e.Message(langOf(c)), "Code": string(e.Code)})
}

func setConsoleHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", consoleCSP)
	// no-referrer would make Chromium send "Origin: null" with the
	// console's own forms, which the origin check must refuse; same-origin
	// still gives other sites nothing.
	c.Set("Referrer-Policy", "same-origin")
	c.Set("Cache-Control", "no-store")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), usb=()")
	if c.Protocol() == "https" {
		c.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

func (s *Console) now() time.Time { return s.d.Now() }

// local is now in the hall's zone: the day of a report, a timeline
// filter's times and today's counts are the hall's, never UTC's. What is
// stored keeps now's instant.
func (s *Console) local() time.Time { return s.now().In(s.d.Hall.Zone.Location()) }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
