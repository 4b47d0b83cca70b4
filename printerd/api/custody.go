package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// Custodian is the blank-card custody printerd serves;
// *printerd.Dispatcher is one.
type Custodian interface {
	Loads(ctx context.Context, printer string) ([]printerd.LoadRecord, error)
	ReverseLoad(ctx context.Context, r printerd.LoadReversal) (printerd.LoadReversal, error)
	EditLoad(ctx context.Context, seq int64, actor string) error
	SpoilCard(ctx context.Context, s printerd.Spoil) (printerd.SpoiledCard, error)
	SpoiledCards(ctx context.Context, printer string, awaiting bool) ([]printerd.SpoiledCard, error)
	ProposeDestruction(ctx context.Context, r printerd.DestructionRequest) (printerd.Destruction, error)
	ConfirmDestruction(ctx context.Context, id, actor string) (printerd.Destruction, error)
	Destruction(ctx context.Context, id string) (printerd.Destruction, error)
	Destructions(ctx context.Context, printer string) ([]printerd.Destruction, error)
	Reconcile(ctx context.Context, printer, actor string) (printerd.Reconciliation, error)
	Month(ctx context.Context, printer string, from, until time.Time) (printerd.MonthReport, error)
}

var _ Custodian = (*printerd.Dispatcher)(nil)

func (h *handler) routeCustody(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/printers/{name}/loads", h.loads)
	mux.HandleFunc("POST /v1/ledger/loads/{seq}/reverse", h.reverseLoad)
	for _, m := range []string{"PUT", "PATCH", "DELETE"} {
		mux.HandleFunc(m+" /v1/ledger/loads/{seq}", h.editLoad)
	}
	mux.HandleFunc("POST /v1/ledger/spoils", h.spoil)
	mux.HandleFunc("GET /v1/printers/{name}/spoiled", h.spoiled)
	mux.HandleFunc("POST /v1/ledger/destructions", h.proposeDestruction)
	mux.HandleFunc("GET /v1/ledger/destructions/{id}", h.destruction)
	mux.HandleFunc("GET /v1/printers/{name}/destructions", h.destructions)
	mux.HandleFunc("POST /v1/ledger/destructions/{id}/confirm", h.confirmDestruction)
	mux.HandleFunc("POST /v1/printers/{name}/reconcile", h.reconcile)
	mux.HandleFunc("GET /v1/printers/{name}/month", h.month)
}

func pathSeq(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || n <= 0 {
		return 0, printerd.ErrInvalidRequest.Withf("bad load number")
	}
	return n, nil
}

func (h *handler) loads(w http.ResponseWriter, r *http.Request) {
	l, err := h.cust.Loads(r.Context(), r.PathValue("name"))
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, orEmpty(l))
}

func (h *handler) reverseLoad(w http.ResponseWriter, r *http.Request) {
	var in printerd.LoadReversal
	seq, err := pathSeq(r)
	if err == nil {
		err = decodeSmall(w, r, &in)
	}
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	in.Load = seq
	out, err := h.cust.ReverseLoad(r.Context(), in)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.log.Info().Str("printer", out.Printer).Int64("load", out.Load).Int("count", out.Count).Msg("load reversed")
	writeJSON(w, http.StatusCreated, out)
}

// editLoad answers every request to change a load: refused (409
// load_immutable) and audited under the actor the body names.
func (h *handler) editLoad(w http.ResponseWriter, r *http.Request) {
	seq, err := pathSeq(r)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	var a Actor
	_ = decodeSmall(w, r, &a) // a body that is not an actor is still refused
	h.fail(w, r, 0, h.cust.EditLoad(r.Context(), seq, a.Actor))
}

func (h *handler) spoil(w http.ResponseWriter, r *http.Request) {
	var in printerd.Spoil
	if err := decodeSmall(w, r, &in); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	out, err := h.cust.SpoilCard(r.Context(), in)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.log.Info().Str("printer", out.Printer).Str("cause", string(out.Cause)).Msg("card spoiled out of stock")
	writeJSON(w, http.StatusCreated, out)
}

func (h *handler) spoiled(w http.ResponseWriter, r *http.Request) {
	cards, err := h.cust.SpoiledCards(r.Context(), r.PathValue("name"), r.URL.Query().Get("awaiting") == "true")
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, orEmpty(cards))
}

func (h *handler) proposeDestruction(w http.ResponseWriter, r *http.Request) {
	var in printerd.DestructionRequest
	if err := decodeSmall(w, r, &in); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	out, err := h.cust.ProposeDestruction(r.Context(), in)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.log.Info().Str("printer", out.Printer).Str("destruction", out.ID).Int("cards", len(out.Cards)).Msg("destruction proposed")
	writeJSON(w, http.StatusCreated, out)
}

func (h *handler) destruction(w http.ResponseWriter, r *http.Request) {
	d, err := h.cust.Destruction(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (h *handler) destructions(w http.ResponseWriter, r *http.Request) {
	ds, err := h.cust.Destructions(r.Context(), r.PathValue("name"))
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, orEmpty(ds))
}

func (h *handler) confirmDestruction(w http.ResponseWriter, r *http.Request) {
	var a Actor
	if err := decodeSmall(w, r, &a); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	d, err := h.cust.ConfirmDestruction(r.Context(), r.PathValue("id"), a.Actor)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.log.Info().Str("printer", d.Printer).Str("destruction", d.ID).Int("cards", len(d.Cards)).Msg("cards destroyed")
	writeJSON(w, http.StatusOK, d)
}

func (h *handler) reconcile(w http.ResponseWriter, r *http.Request) {
	var a Actor
	if err := decodeSmall(w, r, &a); err != nil {
		h.fail(w, r, 0, err)
		return
	}
	rec, err := h.cust.Reconcile(r.Context(), r.PathValue("name"), a.Actor)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	ev := h.log.Info()
	if !rec.Balanced() {
		ev = h.log.Warn()
	}
	ev.Str("printer", rec.Printer).Int("difference", rec.Difference).Msg("ledger reconciled")
	writeJSON(w, http.StatusOK, rec)
}

func (h *handler) month(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err1 := time.Parse(time.RFC3339, q.Get("from"))
	until, err2 := time.Parse(time.RFC3339, q.Get("until"))
	if err1 != nil || err2 != nil {
		h.fail(w, r, 0, printerd.ErrInvalidRequest.Withf("from and until must be RFC 3339"))
		return
	}
	m, err := h.cust.Month(r.Context(), r.PathValue("name"), from, until)
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
