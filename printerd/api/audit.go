package api

import (
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/anjungan/anjungan/printerd"
)

// AuditLog is printerd's audit log as a collector reads it;
// *journal.Journal is one.
type AuditLog interface {
	// LatestCheckpoint returns the latest signed note, or
	// printerd.ErrNoCheckpoint.
	LatestCheckpoint(ctx context.Context) ([]byte, error)
	// ExportAudit writes the entries covered by the latest checkpoint
	// from index from on, with inclusion proofs, as jsonl or csv.
	ExportAudit(ctx context.Context, from int64, format string, w io.Writer) error
}

// Option changes the handler NewHandler returns.
type Option func(*handler)

// WithAudit serves the audit log:
//
//	GET /v1/audit/checkpoint                  → the latest signed checkpoint (text/plain)
//	GET /v1/audit/entries?from=N&format=jsonl → entries with inclusion proofs (jsonl or csv)
func WithAudit(a AuditLog) Option { return func(h *handler) { h.audit = a } }

func (h *handler) checkpoint(w http.ResponseWriter, r *http.Request) {
	signed, err := h.audit.LatestCheckpoint(r.Context())
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(signed)
}

func (h *handler) auditEntries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var from int64
	if s := q.Get("from"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			h.fail(w, r, 0, printerd.ErrInvalidRequest.Withf("from %q", s))
			return
		}
		from = n
	}
	format := q.Get("format")
	if format == "" {
		format = "jsonl"
	}
	ctype := map[string]string{"jsonl": "application/jsonl", "csv": "text/csv; charset=utf-8"}[format]
	if ctype == "" {
		h.fail(w, r, 0, printerd.ErrInvalidRequest.Withf("format %q: jsonl or csv", format))
		return
	}
	// The checkpoint is checked before the first byte goes out, so a
	// missing one is still an error answer.
	if _, err := h.audit.LatestCheckpoint(r.Context()); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	ew := &startedWriter{w: w}
	if err := h.audit.ExportAudit(r.Context(), from, format, ew); err != nil {
		if !ew.started {
			h.fail(w, r, 0, err)
			return
		}
		// Too late for an error answer: the collector sees a short body
		// whose last line does not parse, and the cause is in the log.
		h.log.Error().Err(err).Msg("audit export cut short")
	}
}

// startedWriter notes whether anything was written.
type startedWriter struct {
	w       io.Writer
	started bool
}

func (s *startedWriter) Write(p []byte) (int, error) {
	s.started = true
	return s.w.Write(p)
}
