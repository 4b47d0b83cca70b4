// Package http is the fleet hub's HTTP API (net/http, like printerd's
// API): kiosks POST batches of events over mutual TLS and get an Ack.
// The kiosk is who its client certificate says (CN = kiosk ID); the TLS
// listener lets through only certificates of the fleet CA, and the store
// refuses kiosks it does not know or has revoked.
package http

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/health"
)

// Status is the HTTP status of each error code (docs/fleet.md).
var Status = map[string]int{
	"batch_invalid":         http.StatusBadRequest,
	"event_invalid":         http.StatusUnprocessableEntity,
	"personal_data_refused": http.StatusUnprocessableEntity,
	"batch_too_large":       http.StatusRequestEntityTooLarge,
	"sequence_gap":          http.StatusConflict,
	"certificate_missing":   http.StatusUnauthorized,
	"kiosk_unknown":         http.StatusForbidden,
	"kiosk_revoked":         http.StatusForbidden,
	"store_unavailable":     http.StatusServiceUnavailable,
	"not_found":             http.StatusNotFound,
	"method_not_allowed":    http.StatusMethodNotAllowed,
	// The witness (docs/fleet.md, "Witness"); witness_conflict's body is
	// the hub's size as text/x.tlog.size, as C2SP tlog-witness has it.
	"witness_request_invalid":      http.StatusBadRequest,
	"checkpoint_signature_invalid": http.StatusForbidden,
	"witness_conflict":             http.StatusConflict,
	"audit_inconsistent":           http.StatusUnprocessableEntity,
}

// ErrorBody is the JSON body of every refusal. Acked is set with
// sequence_gap: the kiosk resends from Acked+1.
type ErrorBody struct {
	Code      string  `json:"code"`
	MessageID string  `json:"message_id"`
	MessageEN string  `json:"message_en"`
	Acked     *uint64 `json:"acked,omitempty"`
}

// Refused is told the code of every refusal (the hub's metrics).
type Refused func(code string)

// WithRefused has the handler tell r the code of every refusal.
func WithRefused(r Refused) Option { return func(h *handler) { h.refused = r } }

// NewHandler returns the hub's API on store.
func NewHandler(store fleet.Store, log zerolog.Logger, opts ...Option) http.Handler {
	h := &handler{store: store, log: log}
	for _, o := range opts {
		o(h)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/events", h.events)
	if h.witness != nil {
		mux.HandleFunc(WitnessPath, h.addCheckpoint)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", h.ready)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, "", fleet.ErrNotFound, nil) })
	return mux
}

type handler struct {
	store   fleet.Store
	log     zerolog.Logger
	witness *fleet.Witness
	refused Refused
}

// Option configures the handler.
type Option func(*handler)

// ready answers /readyz (internal/health's report): the database answers.
func (h *handler) ready(w http.ResponseWriter, r *http.Request) {
	rep := health.Run(r.Context(), []health.Check{{Name: "database", Probe: h.store.Ping}})
	status := http.StatusOK
	if !rep.Ready {
		status = http.StatusServiceUnavailable
		for name, err := range rep.Causes {
			h.log.Warn().Str("check", name).Err(err).Msg("not ready")
		}
	}
	writeJSON(w, status, rep)
}

// kioskPost checks that r is a POST from a kiosk's client certificate
// and returns the kiosk's id (the certificate's CN); otherwise it has
// answered with the refusal.
func (h *handler) kioskPost(w http.ResponseWriter, r *http.Request) (string, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		h.fail(w, r, "", fleet.ErrMethod, nil)
		return "", false
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		h.fail(w, r, "", fleet.ErrCertificateMissing, nil)
		return "", false
	}
	return r.TLS.PeerCertificates[0].Subject.CommonName, true
}

func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	kiosk, ok := h.kioskPost(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fleet.MaxBatchBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		h.fail(w, r, kiosk, fleet.ErrBatchTooLarge.With(err), nil)
		return
	case err != nil:
		h.fail(w, r, kiosk, fleet.ErrBatchInvalid.With(err), nil)
		return
	}
	b, err := fleet.DecodeBatch(body)
	if err != nil {
		h.fail(w, r, kiosk, err, nil)
		return
	}
	acked, err := h.store.Ingest(r.Context(), kiosk, b)
	if err != nil {
		var a *uint64
		if errors.Is(err, fleet.ErrSequenceGap) {
			a = &acked
		}
		h.fail(w, r, kiosk, err, a)
		return
	}
	writeJSON(w, http.StatusOK, fleet.Ack{Acked: acked})
}

// fail writes err's code and messages; the cause goes to the log only
// (it names kiosks and seqs, never event data).
func (h *handler) fail(w http.ResponseWriter, r *http.Request, kiosk string, err error, acked *uint64) {
	var fe *fleet.Error
	if !errors.As(err, &fe) {
		fe = fleet.ErrStoreUnavailable.With(err)
	}
	status, ok := Status[string(fe.Code)]
	if !ok {
		status = http.StatusInternalServerError
	}
	ev := h.log.Warn()
	if status >= 500 {
		ev = h.log.Error()
	}
	if h.refused != nil {
		h.refused(string(fe.Code))
	}
	ev.Str("kiosk", kiosk).Str("path", r.URL.Path).Str("code", string(fe.Code)).Int("status", status).Err(err).Msg("refused")
	writeJSON(w, status, ErrorBody{Code: string(fe.Code), MessageID: fe.ID, MessageEN: fe.EN, Acked: acked})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
