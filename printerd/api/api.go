// Package api serves printerd's JSON API over net/http (printerd listens
// on a unix socket; see printerd/client for the other end):
//
//	POST /v1/jobs               the PDF as the body, SubmitRequest's other members in the
//	                            Printerd-Job header (see decodeSubmit) → 201 Job (200 on an idempotent replay)
//	GET  /v1/jobs/{id}          → Job
//	GET  /v1/jobs/{id}/history  → [JobEvent], oldest first (every state change: time, from, to, reason, printer, actor)
//	GET  /v1/jobs?state=&limit=&since=&until=&key= → [Job], newest first (since, until: RFC 3339;
//	                            key: the job of that idempotency key, 503 when unsure, see JobFilter.Key)
//	POST /v1/jobs/{id}/cancel   → Job (queued or held jobs only)
//	GET  /v1/printers           → [PrinterInfo]
//	GET  /v1/health             → Health: 200 {"status":"ok",…}, 503 {"status":"degraded",…}
//	GET  /healthz               → 200 "ok": printerd answers
//	GET  /readyz                → health.Report: 200 when a citizen's print can be taken, 503 naming the failed checks
//
// Supervisors (the console adds authentication; actor names who acted):
//
//	POST   /v1/jobs/{id}/resolve        Resolution → Resolved (in_doubt jobs only)
//	POST   /v1/jobs/{id}/erase-note     {"actor"} → NoteErased (the note of its resolution, from the journal)
//	POST   /v1/jobs/{id}/release        {"actor"} → Job (held jobs only)
//	POST   /v1/printers/{name}/resume   {"actor"} → {"status":"ok"}
//	POST   /v1/printers/{name}/faults   Fault → {"status":"ok"} (simulators; 422 otherwise)
//	DELETE /v1/printers/{name}/faults   → {"status":"ok"}
//	GET    /v1/ledger                   → [LedgerEntry], one per card printer
//	POST   /v1/ledger/loads             Load → 201 Load
//	GET    /v1/printers/{name}/loads    → [LoadRecord]
//	POST   /v1/ledger/loads/{seq}/reverse  LoadReversal → 201 LoadReversal
//	PUT, PATCH, DELETE /v1/ledger/loads/{seq}  {"actor"} → 409 load_immutable, audited
//	POST   /v1/ledger/spoils            Spoil → 201 SpoiledCard
//	GET    /v1/printers/{name}/spoiled?awaiting=true → [SpoiledCard]
//	POST   /v1/ledger/destructions      DestructionRequest → 201 Destruction
//	GET    /v1/ledger/destructions/{id} → Destruction
//	GET    /v1/printers/{name}/destructions → [Destruction], newest first
//	POST   /v1/ledger/destructions/{id}/confirm  {"actor"} → Destruction
//	POST   /v1/printers/{name}/reconcile  {"actor"} → Reconciliation
//	GET    /v1/printers/{name}/month?from=&until= → MonthReport (RFC 3339)
//	GET    /v1/availability             → [Availability], one per media
//	GET    /v1/events                   → text/event-stream of Notice
//
// With WithAudit, for a collector of the audit log:
//
//	GET /v1/audit/checkpoint            → the latest signed checkpoint, text/plain (404 before the first)
//	GET /v1/audit/entries?from=&format= → jsonl (default) or csv, see journal.ExportAudit
//
// Documents travel as raw bytes, the body of their request. Errors are
// {"error":{"code","message_id","message_en"}} with the fault code, so a
// client rebuilds the same *fault.Error; causes stay in printerd's log.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/internal/health"
	"github.com/anjungan/anjungan/internal/httpguard"
	"github.com/anjungan/anjungan/printerd"
)

// MaxBody caps a request body: a submission's body is its PDF, the
// largest request printerd takes.
const MaxBody = printerd.MaxDocument

// JobHeader carries a submission's members other than its document, as
// one JSON object in ASCII (EncodeJobHeader); the body is the PDF.
const JobHeader = "Printerd-Job"

// MaxJobHeader caps the JobHeader value: the members' limits fit in
// well under 1 KiB even with every byte escaped.
const MaxJobHeader = 4 << 10

// ContentTypePDF is the Content-Type of a submission.
const ContentTypePDF = "application/pdf"

// Service is printerd as the API serves it; *printerd.Dispatcher is one.
type Service interface {
	Submit(ctx context.Context, req printerd.SubmitRequest) (job printerd.Job, created bool, err error)
	Job(ctx context.Context, id printerd.JobID) (printerd.Job, error)
	JobHistory(ctx context.Context, id printerd.JobID) ([]printerd.JobEvent, error)
	Jobs(ctx context.Context, f printerd.JobFilter) ([]printerd.Job, error)
	Cancel(ctx context.Context, id printerd.JobID) (printerd.Job, error)
	Printers(ctx context.Context) ([]printerd.PrinterInfo, error)

	Resolve(ctx context.Context, id printerd.JobID, r printerd.Resolution) (printerd.Resolved, error)
	Release(ctx context.Context, id printerd.JobID, actor string) (printerd.Job, error)
	EraseNote(ctx context.Context, id printerd.JobID, actor string) (printerd.NoteErased, error)
	ResumePrinter(ctx context.Context, printer, actor string) error
	InjectFault(ctx context.Context, printer string, f printerd.Fault) error
	ClearFaults(ctx context.Context, printer string) error
	Ledger(ctx context.Context) ([]printerd.LedgerEntry, error)
	LoadCards(ctx context.Context, l printerd.Load) (printerd.Load, error)
	Availability(ctx context.Context) ([]printerd.Availability, error)
	RenewPresence(ctx context.Context, id string, ttl time.Duration) (printerd.PresenceLease, error)
	EndPresence(ctx context.Context, id string) ([]printerd.Job, error)
	Reattach(ctx context.Context, id printerd.JobID, presence string) (printerd.Job, error)
	Subscribe(buffer int) (<-chan printerd.Notice, func())
	JournalHealth() printerd.JournalHealth
}

var _ Service = (*printerd.Dispatcher)(nil)

// ErrorResponse is the body of every error answer. A submission refused
// as an idempotency conflict names the job its key already has, so the
// caller can tell a key whose job ended with nothing printed.
type ErrorResponse struct {
	Error ErrorBody     `json:"error"`
	Job   *printerd.Job `json:"job,omitempty"`
}

// ErrorBody carries a fault's code and its citizen-safe messages.
type ErrorBody struct {
	Code      fault.Code `json:"code"`
	MessageID string     `json:"message_id"`
	MessageEN string     `json:"message_en"`
}

// Health is the body of GET /v1/health: status "ok" (HTTP 200) while the
// journal's last write succeeded, "degraded" (HTTP 503) while it failed.
// printerd answers either way; a client tells "printerd is down" from
// "printerd cannot record" by whether it gets this body.
type Health struct {
	Status string `json:"status"`
	// Journal is "ok" or "unwritable".
	Journal string `json:"journal"`
	// JournalFailures, JournalFailingSince: the writes that failed since
	// the last one that succeeded, and the first of them.
	JournalFailures     int        `json:"journal_failures,omitempty"`
	JournalFailingSince *time.Time `json:"journal_failing_since,omitempty"`
	// JournalLastWrite is the last write that succeeded since printerd
	// started, if any.
	JournalLastWrite *time.Time `json:"journal_last_write,omitempty"`
}

// Health statuses.
const (
	HealthOK          = "ok"
	HealthDegraded    = "degraded"
	JournalOK         = "ok"
	JournalUnwritable = "unwritable"
)

type handler struct {
	svc   Service
	cust  Custodian // svc when it keeps blank-card custody; nil otherwise
	audit AuditLog  // nil: the audit routes answer 404
	log   zerolog.Logger
	// observe, when set, times every request (WithRequestObserver).
	observe RequestObserver
	mux     *http.ServeMux
}

// NewHandler returns the API over svc. log receives one line per request
// and the internal cause of every error.
func NewHandler(svc Service, log zerolog.Logger, opts ...Option) http.Handler {
	h := &handler{svc: svc, log: log}
	for _, o := range opts {
		o(h)
	}
	mux := http.NewServeMux()
	h.mux = mux
	mux.HandleFunc("POST /v1/jobs", h.submit)
	mux.HandleFunc("GET /v1/jobs", h.jobs)
	mux.HandleFunc("GET /v1/jobs/{id}", h.job)
	mux.HandleFunc("GET /v1/jobs/{id}/history", h.jobHistory)
	mux.HandleFunc("POST /v1/jobs/{id}/cancel", h.cancel)
	mux.HandleFunc("GET /v1/printers", h.printers)
	mux.HandleFunc("GET /v1/health", h.health)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", h.ready)
	mux.HandleFunc("POST /v1/jobs/{id}/resolve", h.resolve)
	mux.HandleFunc("POST /v1/jobs/{id}/release", h.release)
	mux.HandleFunc("POST /v1/jobs/{id}/erase-note", h.eraseNote)
	mux.HandleFunc("POST /v1/printers/{name}/resume", h.resume)
	mux.HandleFunc("POST /v1/printers/{name}/faults", h.injectFault)
	mux.HandleFunc("DELETE /v1/printers/{name}/faults", h.clearFaults)
	mux.HandleFunc("GET /v1/ledger", h.ledger)
	mux.HandleFunc("POST /v1/ledger/loads", h.load)
	mux.HandleFunc("GET /v1/availability", h.availability)
	mux.HandleFunc("PUT /v1/presence/{id}", h.renewPresence)
	mux.HandleFunc("DELETE /v1/presence/{id}", h.endPresence)
	mux.HandleFunc("POST /v1/jobs/{id}/reattach", h.reattach)
	mux.HandleFunc("GET /v1/events", h.events)
	if c, ok := svc.(Custodian); ok {
		h.cust = c
		h.routeCustody(mux)
	}
	if h.audit != nil {
		mux.HandleFunc("GET /v1/audit/checkpoint", h.checkpoint)
		mux.HandleFunc("GET /v1/audit/entries", h.auditEntries)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusNotFound, printerd.ErrInvalidRequest.Withf("no route %s %s", r.Method, r.URL.Path))
	})
	// Nothing printerd serves takes a compressed body; refusing one unread
	// keeps a small request from inflating into a large one.
	return h.logged(httpguard.RefuseEncoded(mux, func(w http.ResponseWriter, r *http.Request, err error) {
		h.fail(w, r, 0, err)
	}))
}

func (h *handler) submit(w http.ResponseWriter, r *http.Request) {
	req, status, err := decodeSubmit(r.Header, http.MaxBytesReader(w, r.Body, MaxBody), r.ContentLength)
	if err != nil {
		h.fail(w, r, status, err)
		return
	}
	job, created, err := h.svc.Submit(r.Context(), req)
	if err != nil {
		if job.ID != "" && errors.Is(err, printerd.ErrIdempotencyConflict) {
			h.failJob(w, r, 0, err, &job)
			return
		}
		h.fail(w, r, 0, err)
		return
	}
	status = http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/v1/jobs/"+string(job.ID))
	writeJSON(w, status, job)
}

// EncodeJobHeader spells req's members other than the document as the
// JobHeader value: JSON with every character beyond ASCII written as a
// \u escape, since a header value is bytes, not UTF-8.
func EncodeJobHeader(req printerd.SubmitRequest) (string, error) {
	b, err := json.Marshal(req) // Document is not a JSON member
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for _, c := range string(b) {
		switch {
		case c < utf8.RuneSelf:
			out.WriteRune(c)
		case c > 0xFFFF:
			hi, lo := utf16.EncodeRune(c)
			fmt.Fprintf(&out, "\\u%04x\\u%04x", hi, lo)
		default:
			fmt.Fprintf(&out, "\\u%04x", c)
		}
	}
	return out.String(), nil
}

// decodeSubmit reads a submission: Content-Type application/pdf, one
// JobHeader of printable ASCII holding one JSON object and nothing after
// it, and the body, the document. size is the request's Content-Length
// (-1 when unknown), read into a buffer of that size. The status tells
// a body that is too large (413) or not a PDF by its type (415) from a
// malformed request (400).
func decodeSubmit(header http.Header, body io.Reader, size int64) (printerd.SubmitRequest, int, error) {
	var req printerd.SubmitRequest
	if mt, _, err := mime.ParseMediaType(header.Get("Content-Type")); err != nil || mt != ContentTypePDF {
		return req, http.StatusUnsupportedMediaType, printerd.ErrInvalidJob.Withf("Content-Type %q, want %s", header.Get("Content-Type"), ContentTypePDF)
	}
	values := header.Values(JobHeader)
	if len(values) != 1 {
		return req, http.StatusBadRequest, printerd.ErrInvalidJob.Withf("%d %s headers, want 1", len(values), JobHeader)
	}
	v := values[0]
	if len(v) > MaxJobHeader {
		return req, http.StatusBadRequest, printerd.ErrInvalidJob.Withf("%s of %d bytes", JobHeader, len(v))
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return req, http.StatusBadRequest, printerd.ErrInvalidJob.Withf("%s byte %d is not printable ASCII", JobHeader, i)
		}
	}
	dec := json.NewDecoder(strings.NewReader(v))
	err := dec.Decode(&req)
	if err == nil && dec.Decode(new(json.RawMessage)) != io.EOF {
		err = errors.New("data after the JSON object")
	}
	if err != nil {
		return req, http.StatusBadRequest, printerd.ErrInvalidJob.With(err)
	}
	// Room for the whole body and the read that finds its end: no copy.
	buf := bytes.NewBuffer(make([]byte, 0, min(max(size, 0), MaxBody)+bytes.MinRead))
	if _, err := buf.ReadFrom(body); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return req, http.StatusRequestEntityTooLarge, printerd.ErrInvalidJob.With(err)
		}
		return req, http.StatusBadRequest, printerd.ErrInvalidJob.With(err)
	}
	req.Document = buf.Bytes()
	return req, 0, nil
}

func (h *handler) job(w http.ResponseWriter, r *http.Request) {
	job, err := h.svc.Job(r.Context(), printerd.JobID(r.PathValue("id")))
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

func (h *handler) jobHistory(w http.ResponseWriter, r *http.Request) {
	events, err := h.svc.JobHistory(r.Context(), printerd.JobID(r.PathValue("id")))
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	if events == nil {
		events = []printerd.JobEvent{}
	}
	writeJSON(w, http.StatusOK, events)
}

func (h *handler) jobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := printerd.JobFilter{State: printerd.JobState(q.Get("state")), Key: q.Get("key")}
	if len(f.Key) > printerd.MaxIdempotencyKey {
		h.fail(w, r, 0, printerd.ErrInvalidRequest.Withf("key of %d bytes", len(f.Key)))
		return
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			h.fail(w, r, 0, printerd.ErrInvalidRequest.Withf("limit %q", s))
			return
		}
		f.Limit = n
	}
	for _, b := range []struct {
		name string
		t    *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}, {"updated_since", &f.UpdatedSince}, {"updated_until", &f.UpdatedUntil}} {
		if s := q.Get(b.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				h.fail(w, r, 0, printerd.ErrInvalidRequest.Withf("%s %q", b.name, s))
				return
			}
			*b.t = t
		}
	}
	jobs, err := h.svc.Jobs(r.Context(), f)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	if jobs == nil {
		jobs = []printerd.Job{}
	}
	writeJSON(w, http.StatusOK, jobs)
}

func (h *handler) cancel(w http.ResponseWriter, r *http.Request) {
	job, err := h.svc.Cancel(r.Context(), printerd.JobID(r.PathValue("id")))
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

func (h *handler) printers(w http.ResponseWriter, r *http.Request) {
	ps, err := h.svc.Printers(r.Context())
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, ps)
}

func (h *handler) health(w http.ResponseWriter, _ *http.Request) {
	jh := h.svc.JournalHealth()
	body, status := Health{Status: HealthOK, Journal: JournalOK}, http.StatusOK
	if !jh.Writable {
		body, status = Health{Status: HealthDegraded, Journal: JournalUnwritable, JournalFailures: jh.Failures}, http.StatusServiceUnavailable
		body.JournalFailingSince = &jh.FailingSince
	}
	if !jh.LastWrite.IsZero() {
		body.JournalLastWrite = &jh.LastWrite
	}
	writeJSON(w, status, body)
}

// ready answers /readyz: the journal can write (as its last write said)
// and at least one printer can print now.
func (h *handler) ready(w http.ResponseWriter, r *http.Request) {
	rep := health.Run(r.Context(), []health.Check{
		{Name: "journal", Probe: func(context.Context) error {
			if jh := h.svc.JournalHealth(); !jh.Writable {
				return printerd.ErrJournal.With(jh.Err)
			}
			return nil
		}},
		{Name: "printer", Probe: func(ctx context.Context) error {
			as, err := h.svc.Availability(ctx)
			if err != nil {
				return err
			}
			return printerd.ReadyToPrint(as)
		}},
	})
	writeReport(w, rep, h.log)
}

// writeReport writes a readiness report, 503 when not ready, and logs
// the causes of its failures.
func writeReport(w http.ResponseWriter, rep health.Report, log zerolog.Logger) {
	status := http.StatusOK
	if !rep.Ready {
		status = http.StatusServiceUnavailable
		for name, err := range rep.Causes {
			log.Warn().Str("check", name).Err(err).Msg("not ready")
		}
	}
	writeJSON(w, status, rep)
}

// StatusOf is the HTTP status of an error code.
func StatusOf(code fault.Code) int {
	switch code {
	case printerd.ErrInvalidJob.Code, printerd.ErrInvalidRequest.Code:
		return http.StatusBadRequest
	case printerd.ErrJobNotFound.Code, printerd.ErrPrinterNotFound.Code, printerd.ErrNoCheckpoint.Code:
		return http.StatusNotFound
	case printerd.ErrIdempotencyConflict.Code, printerd.ErrJobState.Code:
		return http.StatusConflict
	case printerd.ErrLoadImmutable.Code, printerd.ErrLoadReversed.Code, printerd.ErrOutOfStock.Code,
		printerd.ErrSameSupervisor.Code, printerd.ErrDestructionExpired.Code, printerd.ErrDestructionState.Code,
		printerd.ErrAlreadyDestroyed.Code:
		return http.StatusConflict
	case printerd.ErrLoadSerials.Code:
		return http.StatusUnprocessableEntity
	case printerd.ErrDestructionNotFound.Code:
		return http.StatusNotFound
	case printerd.ErrNoPrinter.Code, printerd.ErrNotSupported.Code, printerd.ErrFaultInvalid.Code,
		printerd.ErrFaultUnsupported.Code:
		return http.StatusUnprocessableEntity
	case printerd.ErrAbilityUnavailable.Code:
		return http.StatusConflict
	case printerd.ErrSpoolUnavailable.Code, printerd.ErrJournal.Code:
		return http.StatusServiceUnavailable
	case fault.EncodingUnsupported.Code:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// fail answers with err; status 0 means the status of its code.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	h.failJob(w, r, status, err, nil)
}

// failJob answers as fail does, naming the job err concerns.
func (h *handler) failJob(w http.ResponseWriter, r *http.Request, status int, err error, job *printerd.Job) {
	fe := fault.As(err)
	if status == 0 {
		status = StatusOf(fe.Code)
	}
	ev := h.log.Debug()
	if status >= 500 {
		ev = h.log.Error()
	}
	ev.Str("method", r.Method).Str("path", r.URL.Path).Int("status", status).
		Str("code", string(fe.Code)).AnErr("cause", fe.Cause).Msg("request failed")
	writeJSON(w, status, ErrorResponse{Error: ErrorBody{Code: fe.Code, MessageID: fe.ID, MessageEN: fe.EN}, Job: job})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusRecorder remembers the status a handler wrote, for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (the event
// stream flushes through it).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logged logs one line per request: method, path (job ids at most, never
// document content), status and duration.
func (h *handler) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		took := time.Since(start)
		h.log.Debug().Str("method", r.Method).Str("path", r.URL.Path).Int("status", rec.status).
			Dur("took", took).Msg("request")
		if h.observe != nil {
			h.observe(routeOf(h.mux, r), methodOf(r), rec.status, took)
		}
	})
}
