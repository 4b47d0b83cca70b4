package http

import (
	"bytes"
	"context"
	"html/template"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/printerd"
)

// JobBoard is what the console reads from printerd.
type JobBoard interface {
	Jobs(ctx context.Context, state printerd.JobState) ([]printerd.Job, error)
}

// Console serves the supervisors' console. This first page shows today's
// jobs, which hold no personal data (title, state, printer, serial);
// accounts, the audit trail and in-doubt resolution come with the audit
// log.
type Console struct {
	jobs JobBoard
	log  zerolog.Logger
	app  *fiber.App
}

// NewConsole returns the console server.
func NewConsole(jobs JobBoard, log zerolog.Logger) *Console {
	s := &Console{jobs: jobs, log: log, app: newApp(log, "console")}
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	s.app.Get("/", s.overview)
	// Styles come from a file: the CSP allows no inline style.
	s.app.Get("/console.css", func(c *fiber.Ctx) error {
		c.Type("css", "utf-8")
		return c.SendString(consoleCSS)
	})
	return s
}

// Serve serves on ln until Shutdown.
func (s *Console) Serve(ln net.Listener) error { return serve(s.app, ln) }

// Shutdown stops accepting requests and waits for those in flight.
func (s *Console) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

const consoleCSS = `body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #bbb;padding:.3em .6em;text-align:left}
.in_doubt,.failed,.held{background:#fdecea}.printed{background:#e6f4ea}`

var overviewPage = template.Must(template.New("overview").Parse(`<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Konsol Anjungan</title>
<link rel="stylesheet" href="/console.css"></head>
<body><h1>Konsol Anjungan</h1>
{{if .Err}}<p class="failed">printerd: {{.Err}}</p>{{end}}
<p>Cetak: {{.Counts.printed}} · Gagal: {{.Counts.failed}} · Perlu keputusan (in doubt): {{.Counts.in_doubt}} · Antre: {{.Counts.queued}}</p>
<table><tr><th>Job</th><th>Dokumen</th><th>Status</th><th>Alasan</th><th>Printer</th><th>Serial kartu</th><th>Diperbarui</th></tr>
{{range .Jobs}}<tr class="{{.State}}"><td>{{.ID}}</td><td>{{.Title}}</td><td>{{.State}}</td><td>{{.Reason}}</td><td>{{.Printer}}</td><td>{{.CardSerial}}</td><td>{{.Updated.Format "2006-01-02 15:04:05"}}</td></tr>
{{else}}<tr><td colspan="7">Belum ada pekerjaan cetak.</td></tr>{{end}}
</table></body></html>`))

func (s *Console) overview(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	jobs, err := s.jobs.Jobs(ctx, "")
	data := struct {
		Jobs   []printerd.Job
		Counts map[string]int
		Err    string
	}{Jobs: jobs, Counts: map[string]int{}}
	if err != nil {
		s.log.Warn().Err(err).Msg("console: printerd jobs")
		data.Err = "tidak dapat dihubungi / unreachable"
	}
	for _, j := range jobs {
		data.Counts[string(j.State)]++
	}
	// Render fully before sending, so a template error never leaves half a page.
	var page bytes.Buffer
	if err := overviewPage.Execute(&page, data); err != nil {
		return err
	}
	c.Type("html", "utf-8")
	return c.Send(page.Bytes())
}
