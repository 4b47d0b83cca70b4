package http

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/anjungan/anjungan/fleet"
)

// WitnessPath is the witness's endpoint (C2SP tlog-witness add-checkpoint).
const WitnessPath = "/v1/witness/add-checkpoint"

// Content types of the witness's answers (C2SP tlog-witness).
const (
	ContentTypeCosignature = "text/plain; charset=utf-8"
	ContentTypeTlogSize    = "text/x.tlog.size"
)

// WithWitness serves the witness endpoint with w.
func WithWitness(w *fleet.Witness) Option { return func(h *handler) { h.witness = w } }

func (h *handler) addCheckpoint(w http.ResponseWriter, r *http.Request) {
	kiosk, ok := h.kioskPost(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fleet.MaxWitnessBody))
	if err != nil {
		h.fail(w, r, kiosk, fleet.ErrWitnessRequestInvalid.With(err), nil)
		return
	}
	req, err := fleet.ParseWitnessRequest(body)
	if err != nil {
		h.fail(w, r, kiosk, err, nil)
		return
	}
	cosig, size, err := h.witness.AddCheckpoint(r.Context(), kiosk, req)
	if errors.Is(err, fleet.ErrWitnessConflict) {
		h.log.Info().Str("kiosk", kiosk).Int64("old", req.Old).Int64("size", size).Msg("witness: old size differs")
		w.Header().Set("Content-Type", ContentTypeTlogSize)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, strconv.FormatInt(size, 10)+"\n")
		return
	}
	if err != nil {
		h.fail(w, r, kiosk, err, nil)
		return
	}
	w.Header().Set("Content-Type", ContentTypeCosignature)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, cosig)
}
