package registrysim

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/internal/httpguard"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/ticket"
)

// Lifetimes and limits of the simulated upstream.
const (
	approvalTTL      = 30 * 24 * time.Hour // a ticket and its PIN
	authorizationTTL = 30 * time.Minute    // one kiosk visit
	pinWindow        = time.Hour
	pinMaxFailures   = 5 // wrong PINs per NIK per pinWindow
	maxBody          = 64 << 10
)

// Errors only the simulator answers with; the contract's shared codes
// come from package station.
var (
	errBadRequest = fault.New("bad_request",
		"Permintaan tidak valid.", "The request is not valid.")
	errNotFound = fault.New("not_found",
		"Alamat tidak ditemukan.", "No such address.")
	errPersonNotFound = fault.New("person_not_found",
		"Penduduk tidak ditemukan.", "No such resident.")
	errApprovalNotFound = fault.New("approval_not_found",
		"Persetujuan tidak ditemukan.", "No such approval.")
	errNotEligible = fault.New("not_eligible",
		"Penduduk ini tidak memenuhi syarat untuk dokumen tersebut.",
		"This resident is not eligible for that document.")
	errInDoubt = fault.New("request_in_doubt",
		"Hasil cetak dokumen ini belum dapat dipastikan. Silakan hubungi petugas.",
		"Whether this document printed is not known yet. Please ask an officer.")
	errIdempotencyConflict = fault.New("idempotency_conflict",
		"Permintaan ini bertentangan dengan permintaan sebelumnya.",
		"This request conflicts with an earlier one.")
	errClientNotTrusted = fault.New("client_not_trusted",
		"Anjungan ini tidak dikenali oleh layanan Dukcapil.",
		"The civil registry does not recognise this kiosk.")
)

// httpStatus maps error codes to HTTP statuses (docs/upstream.md).
var httpStatus = map[fault.Code]int{
	station.ErrCredentialsRejected.Code: http.StatusUnauthorized,
	station.ErrSessionExpired.Code:      http.StatusUnauthorized,
	station.ErrTicketUsed.Code:          http.StatusConflict,
	station.ErrTooManyAttempts.Code:     http.StatusTooManyRequests,
	station.ErrRequestNotFound.Code:     http.StatusNotFound,
	station.ErrAlreadyPrinted.Code:      http.StatusConflict,
	station.ErrRequestReserved.Code:     http.StatusConflict,
	station.ErrNIKInvalid.Code:          http.StatusBadRequest,
	errBadRequest.Code:                  http.StatusBadRequest,
	errNotFound.Code:                    http.StatusNotFound,
	errPersonNotFound.Code:              http.StatusNotFound,
	errApprovalNotFound.Code:            http.StatusNotFound,
	errNotEligible.Code:                 http.StatusUnprocessableEntity,
	errInDoubt.Code:                     http.StatusConflict,
	station.ErrRequestPrinting.Code:     http.StatusConflict,
	errIdempotencyConflict.Code:         http.StatusConflict,
	errClientNotTrusted.Code:            http.StatusForbidden,
	station.ErrNothingToPrint.Code:      http.StatusNotFound,
	fault.EncodingUnsupported.Code:      http.StatusUnsupportedMediaType,
}

// server answers the upstream contract v1 and the simulator's admin API.
type server struct {
	store  *store
	pop    *population
	issuer *ticket.Issuer
	docs   *docqr.Signer // the upstream's document key: signs each document's QR
	now    func() time.Time
	rand   io.Reader
	seed   uint64
	log    zerolog.Logger
	faults *faults

	adminMu sync.Mutex // numbers approvals one at a time
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				s.writeError(w, r, err)
			}
		})
	}
	handle("POST /v1/authorizations", s.withFault(RouteAuthorize, s.authorize))
	handle("GET /v1/authorizations/{aid}/requests", s.listRequests)
	handle("GET /v1/authorizations/{aid}/requests/{rid}/document", s.withFault(RouteDocument, s.document))
	handle("POST /v1/authorizations/{aid}/requests/{rid}/hold", s.withFault(RouteHold, s.hold))
	handle("POST /v1/authorizations/{aid}/requests/{rid}/confirmation", s.withFault(RouteConfirmation, s.confirm))
	handle("POST /v1/authorizations/{aid}/requests/{rid}/report", s.withFault(RouteReport, s.report))
	handle("POST /v1/authorizations/{aid}/requests/{rid}/release", s.withFault(RouteRelease, s.release))
	handle("POST /v1/pin-lockouts/lift", s.liftPINLockout)
	handle("POST /admin/approvals", s.createApproval)
	handle("GET /admin/approvals/{id}", s.approval)
	handle("POST /admin/faults", s.addFault)
	handle("GET /admin/faults", s.listFaults)
	handle("DELETE /admin/faults", s.clearFaults)
	handle("/", func(http.ResponseWriter, *http.Request) error { return errNotFound })
	// The contract takes no compressed body; refusing one unread keeps a
	// small request from inflating into a large one.
	return s.logRequests(httpguard.RefuseEncoded(mux, s.writeError))
}

type requestJSON struct {
	RequestID    string               `json:"request_id"`
	DocumentType station.DocumentType `json:"document_type"`
	Status       string               `json:"status"`
}

func requestsJSON(reqs []requestRecord) []requestJSON {
	out := make([]requestJSON, len(reqs))
	for i, r := range reqs {
		out[i] = requestJSON{RequestID: r.ID, DocumentType: r.Document, Status: r.Status}
	}
	return out
}

// authorize logs a citizen in with a ticket id or NIK + PIN.
func (s *server) authorize(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Method   station.AuthMethod `json:"method"`
		TicketID string             `json:"ticket_id"`
		NIK      string             `json:"nik"`
		PIN      string             `json:"pin"`
		Matcher  string             `json:"matcher"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if (in.Matcher != "") != (in.Method == station.AuthCardFingerprint) {
		return errBadRequest.Withf("matcher goes with method card_fingerprint only")
	}
	ctx, now := r.Context(), s.now()
	var a approvalRecord
	var err error
	switch in.Method {
	case station.AuthTicket:
		if !isHex(in.TicketID, 32) {
			return errBadRequest.Withf("ticket_id is not 32 hex digits")
		}
		a, err = s.store.approvalByTicket(ctx, in.TicketID)
		if errors.Is(err, sql.ErrNoRows) {
			return station.ErrCredentialsRejected.Withf("unknown ticket")
		}
	case station.AuthPIN, station.AuthCard:
		// A card login is a NIK read from a verified e-KTP; the approval's
		// PIN is its second factor, counted like any PIN attempt.
		a, err = s.pinApproval(ctx, in.NIK, in.PIN, now)
	case station.AuthCardFingerprint:
		a, err = s.fingerprintApproval(r, in.NIK, in.PIN, in.Matcher, now)
	default:
		return errBadRequest.Withf("method %q", in.Method)
	}
	if err != nil {
		return err
	}
	if a.Burned {
		return station.ErrTicketUsed.Withf("approval %s", a.ID)
	}
	if !now.Before(a.Expires) {
		return station.ErrCredentialsRejected.Withf("approval expired")
	}
	id, err := s.newID("aut")
	if err != nil {
		return err
	}
	auth := authorizationRecord{ID: id, ApprovalID: a.ID, Method: in.Method, Expires: now.Add(authorizationTTL)}
	if err := s.store.createAuthorization(ctx, auth); err != nil {
		return err
	}
	reqs, err := s.store.requests(ctx, a.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{
		"authorization_id": auth.ID,
		"nik":              a.NIK,
		"method":           auth.Method,
		"expires_at":       auth.Expires.Format(time.RFC3339),
		"requests":         requestsJSON(reqs),
	})
}

// pinApproval finds the approval whose PIN matches, counting failures
// per NIK. A malformed NIK, an unknown NIK and a wrong PIN get the same
// answer.
func (s *server) pinApproval(ctx context.Context, nikText, pin string, now time.Time) (approvalRecord, error) {
	nik, err := station.ParseNIK(nikText)
	if err != nil || !isDigits(pin, 6) {
		return approvalRecord{}, station.ErrCredentialsRejected.Withf("malformed NIK or PIN")
	}
	failures, err := s.store.pinFailures(ctx, nik.Reveal(), now.Add(-pinWindow))
	if err != nil {
		return approvalRecord{}, err
	}
	if failures >= pinMaxFailures {
		return approvalRecord{}, station.ErrTooManyAttempts.Withf("%d wrong PINs within %s", failures, pinWindow)
	}
	as, err := s.store.approvalsByNIK(ctx, nik.Reveal())
	if err != nil {
		return approvalRecord{}, err
	}
	var match *approvalRecord
	for i := range as {
		if !pinMatches(as[i], pin) {
			continue
		}
		if match == nil || (match.Burned && !as[i].Burned) {
			match = &as[i]
		}
	}
	if match == nil {
		if err := s.store.addPINFailure(ctx, nik.Reveal(), now); err != nil {
			return approvalRecord{}, err
		}
		return approvalRecord{}, station.ErrCredentialsRejected.Withf("no approval with that PIN")
	}
	return *match, nil
}

// pinHash is a salted SHA-256: good enough for a simulator, where PINs
// are synthetic. A real upstream would use a slow KDF or an HSM.
func pinHash(approvalID, pin string) string {
	sum := sha256.Sum256([]byte(approvalID + ":" + pin))
	return hex.EncodeToString(sum[:])
}

func pinMatches(a approvalRecord, pin string) bool {
	return subtle.ConstantTimeCompare([]byte(pinHash(a.ID, pin)), []byte(a.PINHash)) == 1
}

// authorization returns the authorization aid; live requires it not to
// have expired (fetching data does; settling a print, which may happen
// long after the visit, does not).
func (s *server) authorization(ctx context.Context, aid string, live bool) (authorizationRecord, error) {
	a, err := s.store.authorization(ctx, aid)
	if errors.Is(err, sql.ErrNoRows) {
		return a, station.ErrSessionExpired.Withf("unknown authorization")
	}
	if err != nil {
		return a, err
	}
	if live && !s.now().Before(a.Expires) {
		return a, station.ErrSessionExpired.Withf("authorization expired")
	}
	return a, nil
}

// requestOf is the authorization and the request a request's path names
// ({aid}, {rid}); live requires the authorization not to have expired.
func (s *server) requestOf(r *http.Request, live bool) (authorizationRecord, requestRecord, error) {
	auth, err := s.authorization(r.Context(), r.PathValue("aid"), live)
	if err != nil {
		return authorizationRecord{}, requestRecord{}, err
	}
	req, err := s.store.request(r.Context(), auth.ApprovalID, r.PathValue("rid"))
	if errors.Is(err, sql.ErrNoRows) {
		return authorizationRecord{}, requestRecord{}, station.ErrRequestNotFound.Withf("request not in this authorization")
	}
	return auth, req, err
}

func (s *server) document(w http.ResponseWriter, r *http.Request) error {
	return s.documentOf(w, r, "")
}

// documentOf answers a document request, signed (sealDocument) with
// what a document fault asks for: FaultSubjectMismatch serves another
// resident's data (a fault a real upstream has shown: a mix-up of
// records), keeping the envelope's NIK where the data can show it; the
// signature faults spoil the QR (sealDocument).
func (s *server) documentOf(w http.ResponseWriter, r *http.Request, kind FaultKind) error {
	mismatch := kind == FaultSubjectMismatch
	ctx := r.Context()
	auth, req, err := s.requestOf(r, true)
	if err != nil {
		return err
	}
	switch req.Status {
	case statusApproved:
	case statusInDoubt:
		return errInDoubt.Withf("request %s", req.ID)
	case statusPrinting:
		return station.ErrRequestPrinting.Withf("request %s is held for a print", req.ID)
	default:
		return station.ErrAlreadyPrinted.Withf("request %s is %s", req.ID, req.Status)
	}
	// Fetching a document reserves its request for this authorization, so
	// two kiosks cannot prepare the same document at once.
	if err := s.store.reserve(ctx, req.ID, auth.ID, s.now(), s.now().Add(reservationTTL)); err != nil {
		return err
	}
	a, err := s.store.approval(ctx, auth.ApprovalID)
	if err != nil {
		return err
	}
	applicant, subject := s.pop.byNIK[a.NIK], s.pop.byNIK[req.Subject]
	if applicant == nil || subject == nil {
		return fault.Internal.Withf("approval %s names people outside the population", a.ID)
	}
	if mismatch {
		if showsAnother(req.Document) || isCivil(req.Document) {
			applicant = s.stranger(applicant, true) // the document shows another (a KIA: a child): the envelope names another parent
		} else {
			subject = s.stranger(subject, true)
		}
		if applicant == nil || subject == nil {
			return fault.Internal.Withf("nobody to mix up with")
		}
	}
	d := document(req, applicant, subject, a.Created)
	if err := s.sealDocument(&d, kind); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// hold holds a request for one print at the kiosk that asks (see the
// holds table): the kiosk does this before its job reaches a printer.
func (s *server) hold(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		IdempotencyKey string `json:"idempotency_key"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 128 {
		return errBadRequest.Withf("idempotency_key must have 1 to 128 bytes")
	}
	ctx := r.Context()
	auth, req, err := s.requestOf(r, true)
	if err != nil {
		return err
	}
	if err := s.store.hold(ctx, req.ID, auth.ID, in.IdempotencyKey, s.now()); err != nil {
		return err
	}
	s.log.Info().Str("approval", auth.ApprovalID).Str("request", req.ID).Msg("request held for print")
	return writeJSON(w, http.StatusOK, map[string]any{"request_status": statusPrinting})
}

func (s *server) confirm(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		IdempotencyKey string `json:"idempotency_key"`
		IntentKey      string `json:"intent_key"`
		JobID          string `json:"job_id"`
		PrinterID      string `json:"printer_id"`
		CardSerial     string `json:"card_serial"`
		PDFSHA256      string `json:"pdf_sha256"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if !isHex(in.PDFSHA256, 64) || len(in.CardSerial) > 128 {
		return errBadRequest.Withf("pdf_sha256 must be 64 hex digits; card_serial at most 128 bytes")
	}
	o := outcomeRecord{Key: in.IdempotencyKey, IntentKey: in.IntentKey, Result: "printed", JobID: in.JobID, Printer: in.PrinterID,
		CardSerial: in.CardSerial, PDFSHA256: in.PDFSHA256}
	status, burned, err := s.settle(r, o)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"request_status": status, "token_burned": burned})
}

func (s *server) report(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		IdempotencyKey string `json:"idempotency_key"`
		IntentKey      string `json:"intent_key"`
		JobID          string `json:"job_id"`
		PrinterID      string `json:"printer_id"`
		Result         string `json:"result"`
		Reason         string `json:"reason"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if (in.Result != "failed" && in.Result != "in_doubt") || len(in.Reason) > 200 {
		return errBadRequest.Withf("result must be failed or in_doubt; reason at most 200 bytes")
	}
	o := outcomeRecord{Key: in.IdempotencyKey, IntentKey: in.IntentKey, Result: in.Result, JobID: in.JobID, Printer: in.PrinterID, Reason: in.Reason}
	status, _, err := s.settle(r, o)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"request_status": status})
}

// settle checks what confirmations and reports share and records o.
func (s *server) settle(r *http.Request, o outcomeRecord) (string, bool, error) {
	for name, v := range map[string]string{"idempotency_key": o.Key, "intent_key": o.IntentKey, "job_id": o.JobID, "printer_id": o.Printer} {
		// A failure may name no job (it never reached a printer) and no
		// printer (it failed before one took it); the intent key is
		// optional for kiosks that take no hold.
		optional := name == "intent_key" || o.Result == "failed" && name != "idempotency_key"
		if v == "" && !optional || len(v) > 128 {
			return "", false, errBadRequest.Withf("%s must have 1 to 128 bytes", name)
		}
	}
	auth, err := s.authorization(r.Context(), r.PathValue("aid"), false)
	if err != nil {
		return "", false, err
	}
	o.Authorization, o.ApprovalID, o.Request, o.At = auth.ID, auth.ApprovalID, r.PathValue("rid"), s.now()
	status, burned, err := s.store.settle(r.Context(), o)
	if err == nil {
		err = s.store.unreserve(r.Context(), o.Request)
	}
	if err == nil {
		s.log.Info().Str("approval", o.ApprovalID).Str("request", o.Request).Str("result", o.Result).
			Str("request_status", status).Bool("token_burned", burned).Msg("print settled")
	}
	return status, burned, err
}

// listRequests lists the approval's print requests with their status.
func (s *server) listRequests(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	auth, err := s.authorization(ctx, r.PathValue("aid"), true)
	if err != nil {
		return err
	}
	reqs, err := s.store.requests(ctx, auth.ApprovalID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"requests": requestsJSON(reqs)})
}

// reservationTTL bounds how long a fetched document stays reserved for a
// kiosk that neither prints nor releases it.
const reservationTTL = 15 * time.Minute

// release gives back a request the kiosk fetched but will not print (the
// citizen left at the preview). It is idempotent.
func (s *server) release(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	auth, req, err := s.requestOf(r, false)
	if err != nil {
		return err
	}
	released, err := s.store.release(ctx, req.ID, auth.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"request_status": req.Status, "released": released})
}

// liftPINLockout forgets a NIK's wrong PINs: a supervisor at a kiosk
// checked the citizen and lifted the lockout. lifted says whether there
// were any; lifting again lifts nothing more.
func (s *server) liftPINLockout(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		NIK    string                `json:"nik"`
		Reason station.PINLiftReason `json:"reason"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	nik, err := station.ParseNIK(in.NIK)
	if err != nil {
		return err
	}
	if !in.Reason.Known() {
		return errBadRequest.Withf("reason %q", in.Reason)
	}
	n, err := s.store.clearPINFailures(r.Context(), nik.Reveal())
	if err != nil {
		return err
	}
	s.log.Info().Str("reason", string(in.Reason)).Int64("failures", n).Msg("PIN lockout lifted")
	return writeJSON(w, http.StatusOK, map[string]any{"lifted": n > 0})
}

// createApproval makes an approval as the upstream would after an
// officer approves an application: requests, a PIN and a QR ticket.
func (s *server) createApproval(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		NIK       string                 `json:"nik"`
		ChildNIK  string                 `json:"child_nik"`
		Documents []station.DocumentType `json:"documents"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.Documents) == 0 {
		return errBadRequest.Withf("no documents")
	}
	wantKIA := false
	for i, d := range in.Documents {
		if !d.Valid() {
			return errBadRequest.Withf("unknown document type %q", d)
		}
		for _, e := range in.Documents[:i] {
			if e == d {
				return errBadRequest.Withf("document type %q twice", d)
			}
		}
		if generators[d] == nil {
			return errBadRequest.Withf("document type %q is not simulated", d)
		}
		wantKIA = wantKIA || forChild(d)
	}
	if in.ChildNIK != "" && !wantKIA {
		return errBadRequest.Withf("child_nik without a KIA")
	}

	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	ctx, now := r.Context(), s.now()
	n, err := s.store.countApprovals(ctx)
	if err != nil {
		return err
	}
	// Picks are random but reproducible: the seed and the approval's number.
	rng := rand.New(rand.NewPCG(s.seed, uint64(n)))
	nikText := in.NIK
	if nikText == "" && in.ChildNIK != "" {
		parent, err := s.parentOf(in.ChildNIK, now)
		if err != nil {
			return err
		}
		nikText = parent.NIK.Reveal()
	}
	applicant, err := s.applicant(ctx, rng, nikText, in.Documents, now)
	if err != nil {
		return err
	}
	var child *person
	if wantKIA {
		if child, err = chooseChild(rng, applicant, in.ChildNIK, now); err != nil {
			return err
		}
	}

	pin, err := s.newPIN(ctx, applicant.NIK)
	if err != nil {
		return err
	}
	id, err := s.newID("apv")
	if err != nil {
		return err
	}
	registration := fmt.Sprintf("REG-%s-%06d", now.Format("20060102"), n+1)
	text, t, err := s.issuer.Issue(ticket.IssueRequest{
		Registration: registration,
		Documents:    in.Documents,
		NIK:          applicant.NIK,
		IssuedAt:     now,
		Expires:      now.Add(approvalTTL),
	})
	if err != nil {
		return err
	}
	a := approvalRecord{ID: id, NIK: applicant.NIK.Reveal(), Registration: registration, Documents: in.Documents,
		PINHash: pinHash(id, pin), TicketID: t.ID, Created: now, Expires: t.Expires}
	var reqs []requestRecord
	for _, d := range in.Documents {
		rid, err := s.newID("req")
		if err != nil {
			return err
		}
		subject := applicant
		if forChild(d) {
			subject = child
		}
		if isCivil(d) {
			subject = civilSubject(rng, applicant, d)
		}
		reqs = append(reqs, requestRecord{ID: rid, Document: d, Subject: subject.NIK.Reveal()})
	}
	if err := s.store.createApproval(ctx, a, reqs); err != nil {
		return err
	}
	s.log.Info().Str("approval", a.ID).Stringer("nik", applicant.NIK).Msg("approval created")
	return writeJSON(w, http.StatusCreated, map[string]any{
		"approval_id": a.ID,
		"nik":         a.NIK, // synthetic people: the admin API shows the digits
		"pin":         pin,
		"ticket":      text,
		"documents":   a.Documents,
		"expires_at":  a.Expires.Format(time.RFC3339),
	})
}

// applicant is the person named by nikText, or else a random eligible
// one, preferring people without an open approval.
func (s *server) applicant(ctx context.Context, rng *rand.Rand, nikText string, docs []station.DocumentType, now time.Time) (*person, error) {
	eligible := func(p *person) bool {
		if !p.Deceased.IsZero() {
			return false
		}
		for _, d := range docs {
			if isCivil(d) {
				if !civilEligible(p, d, now) {
					return false
				}
				continue
			}
			if forChild(d) && len(p.kiaChildren(now)) == 0 {
				return false
			}
			if !forChild(d) && !p.adult(now) {
				return false
			}
		}
		return true
	}
	if nikText != "" {
		nik, err := station.ParseNIK(nikText)
		if err != nil {
			return nil, err
		}
		p := s.pop.person(nik)
		if p == nil {
			return nil, errPersonNotFound.Withf("NIK %s", nik)
		}
		if !eligible(p) {
			return nil, errNotEligible.Withf("NIK %s for %v", nik, docs)
		}
		return p, nil
	}
	open, err := s.store.openNIKs(ctx, now)
	if err != nil {
		return nil, err
	}
	people := s.pop.People
	start := rng.IntN(len(people))
	for _, avoidOpen := range []bool{true, false} {
		for i := range people {
			p := people[(start+i)%len(people)]
			if eligible(p) && !(avoidOpen && open[p.NIK.Reveal()]) {
				return p, nil
			}
		}
	}
	return nil, errNotEligible.Withf("nobody in the population is eligible for %v", docs)
}

func chooseChild(rng *rand.Rand, parent *person, childNIK string, now time.Time) (*person, error) {
	kids := parent.kiaChildren(now)
	if childNIK == "" {
		return kids[rng.IntN(len(kids))], nil
	}
	for _, k := range kids {
		if k.NIK.Reveal() == childNIK {
			return k, nil
		}
	}
	return nil, errNotEligible.Withf("child_nik is not a child under 17 of the applicant")
}

// newPIN draws a 6-digit PIN no other approval of nik uses, so a PIN
// names one approval.
func (s *server) newPIN(ctx context.Context, nik station.NIK) (string, error) {
	as, err := s.store.approvalsByNIK(ctx, nik.Reveal())
	if err != nil {
		return "", err
	}
	var b [4]byte
	for range 100 {
		if _, err := io.ReadFull(s.rand, b[:]); err != nil {
			return "", err
		}
		v := binary.BigEndian.Uint32(b[:])
		if v >= 4_294_000_000 { // keep the draw uniform over 000000-999999
			continue
		}
		pin := fmt.Sprintf("%06d", v%1_000_000)
		taken := false
		for _, a := range as {
			taken = taken || pinMatches(a, pin)
		}
		if !taken {
			return pin, nil
		}
	}
	return "", fault.Internal.Withf("no free PIN")
}

func (s *server) approval(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, err := s.store.approval(ctx, r.PathValue("id"))
	if errors.Is(err, sql.ErrNoRows) {
		return errApprovalNotFound.Withf("approval %q", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	reqs, err := s.store.requests(ctx, a.ID)
	if err != nil {
		return err
	}
	type adminRequest struct {
		requestJSON
		Confirmations int `json:"confirmations"` // printed confirmations recorded: more than 1 is a double print
	}
	out := make([]adminRequest, len(reqs))
	for i, rj := range requestsJSON(reqs) {
		out[i].requestJSON = rj
		if out[i].Confirmations, err = s.store.confirmations(ctx, reqs[i].ID); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"approval_id":  a.ID,
		"nik":          a.NIK,
		"documents":    a.Documents,
		"expires_at":   a.Expires.Format(time.RFC3339),
		"token_burned": a.Burned,
		"requests":     out,
	})
}

// newID makes an opaque id: a prefix and 12 random bytes in hex.
func (s *server) newID(prefix string) (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fault.Internal.With(err)
	}
	return prefix + "_" + hex.EncodeToString(b), nil
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadRequest.With(err)
	}
	if dec.More() {
		return errBadRequest.Withf("data after the JSON value")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	fe := fault.As(err)
	status, ok := httpStatus[fe.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	ev := s.log.Info()
	if status >= 500 {
		ev = s.log.Error()
	}
	ev.Str("code", string(fe.Code)).AnErr("cause", fe.Cause).Str("route", r.Pattern).Msg("request refused")
	_ = writeJSON(w, status, map[string]any{"error": map[string]string{
		"code":       string(fe.Code),
		"message_id": fe.ID,
		"message_en": fe.EN,
	}})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// logRequests logs each request's route and status; ids in paths are
// opaque, and bodies (which hold NIKs) are never logged.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.log.Debug().Str("method", r.Method).Str("route", r.Pattern).Int("status", sw.status).
			Dur("took", s.now().Sub(start)).Msg("request")
	})
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parentOf is an adult who may ask for a KIA for the child childNIK.
func (s *server) parentOf(childNIK string, now time.Time) (*person, error) {
	nik, err := station.ParseNIK(childNIK)
	if err != nil {
		return nil, err
	}
	if s.pop.person(nik) == nil {
		return nil, errPersonNotFound.Withf("child_nik")
	}
	for _, p := range s.pop.People {
		for _, k := range p.kiaChildren(now) {
			if k.NIK.Reveal() == childNIK {
				return p, nil
			}
		}
	}
	return nil, errNotEligible.Withf("child_nik is not a child under 17 with a parent in the population")
}
