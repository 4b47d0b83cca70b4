package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// maxSmallBody caps the body of every request but a submission.
const maxSmallBody = 64 << 10

// Actor is the body of release and resume.
type Actor struct {
	Actor string `json:"actor"`
}

// Ack is the body of an action that returns nothing else.
type Ack struct {
	Status string `json:"status"` // "ok"
}

// Heartbeat is how often an idle event stream gets a comment line, so
// that both ends notice a dead connection.
const Heartbeat = 15 * time.Second

// decodeSmall reads exactly one JSON object of at most maxSmallBody bytes
// into v, refusing unknown fields.
func decodeSmall(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSmallBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return printerd.ErrInvalidRequest.With(err)
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return printerd.ErrInvalidRequest.With(errors.New("data after the JSON object"))
	}
	return nil
}

func (h *handler) resolve(w http.ResponseWriter, r *http.Request) {
	var res printerd.Resolution
	if err := decodeSmall(w, r, &res); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	out, err := h.svc.Resolve(r.Context(), printerd.JobID(r.PathValue("id")), res)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	// The note stays out of the log: it may name the citizen.
	h.log.Info().Str("job", string(out.Job.ID)).Str("action", string(res.Action)).Str("reason_code", string(res.ReasonCode)).
		Str("actor", res.Actor).Msg("job resolved")
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) eraseNote(w http.ResponseWriter, r *http.Request) {
	var e printerd.EraseNote
	if err := decodeSmall(w, r, &e); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	out, err := h.svc.EraseNote(r.Context(), printerd.JobID(r.PathValue("id")), e.Actor)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.log.Info().Str("job", string(out.Job)).Bool("erased", out.Erased).Str("actor", e.Actor).Msg("resolution note erased")
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) release(w http.ResponseWriter, r *http.Request) {
	var a Actor
	if err := decodeSmall(w, r, &a); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	job, err := h.svc.Release(r.Context(), printerd.JobID(r.PathValue("id")), a.Actor)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.log.Info().Str("job", string(job.ID)).Str("actor", a.Actor).Msg("job released")
	writeJSON(w, http.StatusOK, job)
}

// PresenceRenewal is the body of PUT /v1/presence/{id}.
type PresenceRenewal struct {
	TTLMS int64 `json:"ttl_ms"`
}

func (h *handler) renewPresence(w http.ResponseWriter, r *http.Request) {
	var in PresenceRenewal
	if err := decodeSmall(w, r, &in); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	lease, err := h.svc.RenewPresence(r.Context(), r.PathValue("id"), time.Duration(in.TTLMS)*time.Millisecond)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, lease)
}

// PresenceEnded is the answer of DELETE /v1/presence/{id}: the jobs held
// because their citizen left.
type PresenceEnded struct {
	Held []printerd.Job `json:"held"`
}

func (h *handler) endPresence(w http.ResponseWriter, r *http.Request) {
	held, err := h.svc.EndPresence(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	if held == nil {
		held = []printerd.Job{}
	}
	h.log.Info().Int("held", len(held)).Msg("presence ended")
	writeJSON(w, http.StatusOK, PresenceEnded{Held: held})
}

func (h *handler) resume(w http.ResponseWriter, r *http.Request) {
	var a Actor
	if err := decodeSmall(w, r, &a); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	if err := h.svc.ResumePrinter(r.Context(), r.PathValue("name"), a.Actor); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.log.Info().Str("printer", r.PathValue("name")).Str("actor", a.Actor).Msg("printer resumed")
	writeJSON(w, http.StatusOK, Ack{Status: "ok"})
}

func (h *handler) injectFault(w http.ResponseWriter, r *http.Request) {
	var f printerd.Fault
	if err := decodeSmall(w, r, &f); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	if err := h.svc.InjectFault(r.Context(), r.PathValue("name"), f); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.log.Warn().Str("printer", r.PathValue("name")).Str("fault", f.String()).Int("count", f.Count).Msg("fault injected")
	writeJSON(w, http.StatusOK, Ack{Status: "ok"})
}

func (h *handler) clearFaults(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.ClearFaults(r.Context(), r.PathValue("name")); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.log.Info().Str("printer", r.PathValue("name")).Msg("faults cleared")
	writeJSON(w, http.StatusOK, Ack{Status: "ok"})
}

func (h *handler) ledger(w http.ResponseWriter, r *http.Request) {
	l, err := h.svc.Ledger(r.Context())
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	if l == nil {
		l = []printerd.LedgerEntry{}
	}
	writeJSON(w, http.StatusOK, l)
}

func (h *handler) load(w http.ResponseWriter, r *http.Request) {
	var l printerd.Load
	if err := decodeSmall(w, r, &l); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	out, err := h.svc.LoadCards(r.Context(), l)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.log.Info().Str("printer", out.Printer).Int("count", out.Count).Str("actor", out.Actor).Msg("blank cards loaded")
	writeJSON(w, http.StatusCreated, out)
}

func (h *handler) availability(w http.ResponseWriter, r *http.Request) {
	a, err := h.svc.Availability(r.Context())
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// events streams notices as Server-Sent Events: "id: <seq>", "event:
// job|printer", "data: <Notice JSON>" and a blank line each. The stream
// starts with a comment line once subscribed, so a client that then reads
// the current state misses nothing; it ends when the client goes, printerd
// stops, or the client falls too far behind (it reconnects).
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	notices, stop := h.svc.Subscribe(64)
	defer stop()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, ": subscribed\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	beat := time.NewTicker(Heartbeat)
	defer beat.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			_, err = io.WriteString(w, ": ping\n\n")
		case n, ok := <-notices:
			if !ok {
				return
			}
			err = writeEvent(w, n)
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

// writeEvent writes one notice as an SSE event. JSON never holds a raw
// newline, so data fits on one line.
func writeEvent(w io.Writer, n printerd.Notice) error {
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "id: "+strconv.FormatUint(n.Seq, 10)+"\nevent: "+n.Kind+"\ndata: "+string(b)+"\n\n")
	return err
}

// Reattachment is the body of POST /v1/jobs/{id}/reattach: the live
// presence of the citizen's new visit.
type Reattachment struct {
	Presence string `json:"presence"`
}

func (h *handler) reattach(w http.ResponseWriter, r *http.Request) {
	var in Reattachment
	if err := decodeSmall(w, r, &in); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	job, err := h.svc.Reattach(r.Context(), printerd.JobID(r.PathValue("id")), in.Presence)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.log.Info().Str("job", string(job.ID)).Msg("job reattached to its citizen")
	writeJSON(w, http.StatusOK, job)
}
