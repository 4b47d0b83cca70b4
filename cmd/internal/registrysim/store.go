package registrysim

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/anjungan/anjungan/station"
)

// Request statuses as stored. "failed" is reserved for a supervisor who
// gives up on a request; a failed print report keeps it approved.
const (
	statusApproved = "approved"
	statusPrinted  = "printed"
	statusInDoubt  = "in_doubt"
	// statusPrinting is not stored: it is how the contract shows an
	// approved request under an active hold.
	statusPrinting = "printing"
)

const schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS approvals (
	id           TEXT PRIMARY KEY,
	nik          TEXT NOT NULL,
	registration TEXT NOT NULL,
	documents    TEXT NOT NULL,             -- comma-separated document types
	pin_hash     TEXT NOT NULL,             -- hex SHA-256(id ":" pin): weak, simulator only
	ticket_id    TEXT NOT NULL UNIQUE,      -- hex cti of the QR ticket
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	token_burned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS approvals_nik ON approvals (nik);
CREATE TABLE IF NOT EXISTS requests (
	id            TEXT PRIMARY KEY,
	approval_id   TEXT NOT NULL REFERENCES approvals (id),
	document_type TEXT NOT NULL,
	subject_nik   TEXT NOT NULL,            -- whom the document shows: the child for a KIA
	status        TEXT NOT NULL CHECK (status IN ('approved', 'printed', 'in_doubt', 'failed'))
);
CREATE INDEX IF NOT EXISTS requests_approval ON requests (approval_id);
CREATE TABLE IF NOT EXISTS authorizations (
	id          TEXT PRIMARY KEY,
	approval_id TEXT NOT NULL REFERENCES approvals (id),
	method      TEXT NOT NULL,
	expires_at  INTEGER NOT NULL
);
-- Print confirmations and reports, idempotent by key.
CREATE TABLE IF NOT EXISTS confirmations (
	idempotency_key  TEXT NOT NULL UNIQUE,
	authorization_id TEXT NOT NULL,
	request_id       TEXT NOT NULL REFERENCES requests (id),
	result           TEXT NOT NULL,         -- printed, failed, in_doubt
	job_id           TEXT NOT NULL,
	printer_id       TEXT NOT NULL,
	card_serial      TEXT NOT NULL,
	pdf_sha256       TEXT NOT NULL,
	reason           TEXT NOT NULL,
	request_status   TEXT NOT NULL,         -- the answer given, replayed on a retry
	created_at       INTEGER NOT NULL
);
-- A document fetched by a kiosk is reserved for that authorization until
-- it is printed, reported, released, or the reservation runs out.
CREATE TABLE IF NOT EXISTS reservations (
	request_id       TEXT PRIMARY KEY REFERENCES requests (id),
	authorization_id TEXT NOT NULL,
	until            INTEGER NOT NULL
);
-- A kiosk's hold on a request for one print (POST …/hold), named by the
-- kiosk's intent key. While active, nobody else may fetch or hold the
-- request and no timeout frees it; a confirmation, or a failure reported
-- under the same key, ends it. Ended holds stay, so a replayed key is known.
CREATE TABLE IF NOT EXISTS holds (
	intent_key       TEXT PRIMARY KEY,
	request_id       TEXT NOT NULL REFERENCES requests (id),
	authorization_id TEXT NOT NULL,
	active           INTEGER NOT NULL,
	created_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS holds_active ON holds (request_id) WHERE active = 1;
CREATE TABLE IF NOT EXISTS pin_failures (
	nik TEXT NOT NULL,
	at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pin_failures_nik ON pin_failures (nik, at);
`

// store is the simulator's durable state in one SQLite file.
type store struct{ db *sql.DB }

func openStore(path string) (*store, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// One connection serialises every transaction: the simulator's load
	// is tiny, and no transaction can meet SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("registry-sim database %s: %w", path, err)
	}
	return &store{db: db}, nil
}

func (s *store) Close() error { return s.db.Close() }

// reserve reserves a request for an authorization until until, unless
// another authorization holds it now.
func (s *store) reserve(ctx context.Context, requestID, authID string, now, until time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var holder string
	var held int64
	err = tx.QueryRowContext(ctx, `SELECT authorization_id, until FROM reservations WHERE request_id = ?`, requestID).Scan(&holder, &held)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	case holder != authID && held > now.Unix():
		return station.ErrRequestReserved.Withf("request %s reserved by another authorization", requestID)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reservations (request_id, authorization_id, until) VALUES (?, ?, ?)
		ON CONFLICT (request_id) DO UPDATE SET authorization_id = excluded.authorization_id, until = excluded.until`,
		requestID, authID, until.Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// release gives a request back if authID holds it; it says whether it did.
func (s *store) release(ctx context.Context, requestID, authID string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM reservations WHERE request_id = ? AND authorization_id = ?`, requestID, authID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// hold takes a hold on a request for the print named by key (see the
// holds table). The same key again answers as the first time while the
// hold lasts.
func (s *store) hold(ctx context.Context, requestID, authID, key string, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var req string
	var active bool
	err = tx.QueryRowContext(ctx, `SELECT request_id, active FROM holds WHERE intent_key = ?`, key).Scan(&req, &active)
	switch {
	case err == nil && req == requestID && active:
		return nil // a replay
	case err == nil:
		return errIdempotencyConflict.Withf("hold key used for another request or a settled print")
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	var status, holder string
	if err := tx.QueryRowContext(ctx, `SELECT status FROM requests WHERE id = ?`, requestID).Scan(&status); err != nil {
		return err
	}
	err = tx.QueryRowContext(ctx, `SELECT intent_key FROM holds WHERE request_id = ? AND active = 1`, requestID).Scan(&holder)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	switch {
	case status == statusInDoubt:
		return errInDoubt.Withf("request %s", requestID)
	case status != statusApproved:
		return station.ErrAlreadyPrinted.Withf("request %s is %s", requestID, status)
	case holder != "":
		return station.ErrRequestPrinting.Withf("request %s is held for another print", requestID)
	}
	var other string
	var until int64
	err = tx.QueryRowContext(ctx, `SELECT authorization_id, until FROM reservations WHERE request_id = ?`, requestID).Scan(&other, &until)
	if err == nil && other != authID && until > now.Unix() {
		return station.ErrRequestReserved.Withf("request %s reserved by another authorization", requestID)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO holds (intent_key, request_id, authorization_id, active, created_at) VALUES (?, ?, ?, 1, ?)`,
		key, requestID, authID, now.Unix()); err != nil {
		return err
	}
	// The hold replaces the reservation: it does not run out.
	if _, err := tx.ExecContext(ctx, `DELETE FROM reservations WHERE request_id = ?`, requestID); err != nil {
		return err
	}
	return tx.Commit()
}

// confirmations counts the confirmations (printed) recorded for a request:
// more than one would be two documents for one approval.
func (s *store) confirmations(ctx context.Context, requestID string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM confirmations WHERE request_id = ? AND result = 'printed'`, requestID).Scan(&n)
	return n, err
}

// unreserve ends any reservation of a settled request.
func (s *store) unreserve(ctx context.Context, requestID string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM reservations WHERE request_id = ?`, requestID)
	return err
}

// checkPopulation records the seed and size of the population on first
// use and refuses another later: approvals name people by NIK.
func (s *store) checkPopulation(ctx context.Context, seed uint64, people int) error {
	want := fmt.Sprintf("seed=%d people=%d", seed, people)
	if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES ('population', ?)`, want); err != nil {
		return err
	}
	var got string
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'population'`).Scan(&got); err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("the data folder holds a population made with %s, not %s: use the same flags or another -data", got, want)
	}
	return nil
}

type approvalRecord struct {
	ID           string
	NIK          string
	Registration string
	Documents    []station.DocumentType
	PINHash      string
	TicketID     string
	Created      time.Time
	Expires      time.Time
	Burned       bool
}

type requestRecord struct {
	ID         string
	ApprovalID string
	Document   station.DocumentType
	Subject    string // NIK digits
	Status     string
}

type authorizationRecord struct {
	ID         string
	ApprovalID string
	Method     station.AuthMethod
	Expires    time.Time
}

// outcomeRecord is a print confirmation or report.
type outcomeRecord struct {
	Key           string
	IntentKey     string // the hold the print ran under; "" from a kiosk that takes none
	Authorization string
	ApprovalID    string
	Request       string
	Result        string // printed, failed, in_doubt
	JobID         string
	Printer       string
	CardSerial    string
	PDFSHA256     string
	Reason        string
	At            time.Time
}

func (s *store) createApproval(ctx context.Context, a approvalRecord, reqs []requestRecord) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	docs := make([]string, len(a.Documents))
	for i, d := range a.Documents {
		docs[i] = string(d)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO approvals
		(id, nik, registration, documents, pin_hash, ticket_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.NIK, a.Registration, strings.Join(docs, ","), a.PINHash, a.TicketID, a.Created.Unix(), a.Expires.Unix()); err != nil {
		return err
	}
	for _, r := range reqs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO requests (id, approval_id, document_type, subject_nik, status)
			VALUES (?, ?, ?, ?, ?)`, r.ID, a.ID, string(r.Document), r.Subject, statusApproved); err != nil {
			return err
		}
	}
	return tx.Commit()
}

const approvalColumns = `id, nik, registration, documents, pin_hash, ticket_id, created_at, expires_at, token_burned`

type scanner interface{ Scan(dest ...any) error }

func scanApproval(row scanner) (approvalRecord, error) {
	var a approvalRecord
	var docs string
	var created, expires int64
	if err := row.Scan(&a.ID, &a.NIK, &a.Registration, &docs, &a.PINHash, &a.TicketID, &created, &expires, &a.Burned); err != nil {
		return approvalRecord{}, err
	}
	for _, d := range strings.Split(docs, ",") {
		a.Documents = append(a.Documents, station.DocumentType(d))
	}
	a.Created, a.Expires = time.Unix(created, 0).UTC(), time.Unix(expires, 0).UTC()
	return a, nil
}

func (s *store) approval(ctx context.Context, id string) (approvalRecord, error) {
	return scanApproval(s.db.QueryRowContext(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE id = ?`, id))
}

func (s *store) approvalByTicket(ctx context.Context, ticketID string) (approvalRecord, error) {
	return scanApproval(s.db.QueryRowContext(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE ticket_id = ?`, ticketID))
}

func (s *store) approvalsByNIK(ctx context.Context, nik string) ([]approvalRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE nik = ? ORDER BY created_at, id`, nik)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []approvalRecord
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *store) countApprovals(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM approvals`).Scan(&n)
	return n, err
}

// openNIKs are the NIKs with an approval still usable at now.
func (s *store) openNIKs(ctx context.Context, now time.Time) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT nik FROM approvals WHERE token_burned = 0 AND expires_at > ?`, now.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var nik string
		if err := rows.Scan(&nik); err != nil {
			return nil, err
		}
		out[nik] = true
	}
	return out, rows.Err()
}

// requestStatus is a request's status as the contract shows it.
const requestStatus = `CASE WHEN status = 'approved' AND EXISTS
	(SELECT 1 FROM holds h WHERE h.request_id = requests.id AND h.active = 1) THEN 'printing' ELSE status END`

func (s *store) requests(ctx context.Context, approvalID string) ([]requestRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, approval_id, document_type, subject_nik, `+requestStatus+`
		FROM requests WHERE approval_id = ? ORDER BY rowid`, approvalID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []requestRecord
	for rows.Next() {
		var r requestRecord
		if err := rows.Scan(&r.ID, &r.ApprovalID, &r.Document, &r.Subject, &r.Status); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *store) request(ctx context.Context, approvalID, id string) (requestRecord, error) {
	var r requestRecord
	err := s.db.QueryRowContext(ctx, `SELECT id, approval_id, document_type, subject_nik, `+requestStatus+`
		FROM requests WHERE id = ? AND approval_id = ?`, id, approvalID).
		Scan(&r.ID, &r.ApprovalID, &r.Document, &r.Subject, &r.Status)
	return r, err
}

func (s *store) createAuthorization(ctx context.Context, a authorizationRecord) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO authorizations (id, approval_id, method, expires_at) VALUES (?, ?, ?, ?)`,
		a.ID, a.ApprovalID, string(a.Method), a.Expires.Unix())
	return err
}

func (s *store) authorization(ctx context.Context, id string) (authorizationRecord, error) {
	var a authorizationRecord
	var expires int64
	err := s.db.QueryRowContext(ctx, `SELECT id, approval_id, method, expires_at FROM authorizations WHERE id = ?`, id).
		Scan(&a.ID, &a.ApprovalID, &a.Method, &expires)
	a.Expires = time.Unix(expires, 0).UTC()
	return a, err
}

func (s *store) pinFailures(ctx context.Context, nik string, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pin_failures WHERE nik = ? AND at > ?`, nik, since.Unix()).Scan(&n)
	return n, err
}

// clearPINFailures forgets every wrong PIN of nik and says how many.
func (s *store) clearPINFailures(ctx context.Context, nik string) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM pin_failures WHERE nik = ?`, nik)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *store) addPINFailure(ctx context.Context, nik string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO pin_failures (nik, at) VALUES (?, ?)`, nik, at.Unix())
	return err
}

// settle records a print outcome and moves the request: printed burns the
// approval's token once every request is printed; failed puts the request
// back to approved; in_doubt holds it until resolved. The same key again
// replays the first answer; the same key for another outcome is a
// conflict.
func (s *store) settle(ctx context.Context, o outcomeRecord) (status string, burned bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", false, err
	}
	defer tx.Rollback()

	var prevRequest, prevResult string
	err = tx.QueryRowContext(ctx, `SELECT request_id, result, request_status FROM confirmations WHERE idempotency_key = ?`,
		o.Key).Scan(&prevRequest, &prevResult, &status)
	switch {
	case err == nil:
		if prevRequest != o.Request || prevResult != o.Result {
			return "", false, errIdempotencyConflict.Withf("key used for another outcome")
		}
		err = tx.QueryRowContext(ctx, `SELECT token_burned FROM approvals WHERE id = ?`, o.ApprovalID).Scan(&burned)
		return status, burned, err
	case !errors.Is(err, sql.ErrNoRows):
		return "", false, err
	}

	var current string
	err = tx.QueryRowContext(ctx, `SELECT status FROM requests WHERE id = ? AND approval_id = ?`, o.Request, o.ApprovalID).Scan(&current)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, station.ErrRequestNotFound.Withf("request not in this approval")
	}
	if err != nil {
		return "", false, err
	}
	var holder string // the active hold's intent key, "" when none
	if err := tx.QueryRowContext(ctx, `SELECT intent_key FROM holds WHERE request_id = ? AND active = 1`, o.Request).Scan(&holder); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", false, err
	}
	if current != statusApproved && current != statusInDoubt {
		return "", false, station.ErrAlreadyPrinted.Withf("request is %s", current)
	}
	// A failure or doubt reported for a print that does not hold the
	// request changes nothing: the hold belongs to another print (or the
	// report is a late one), and only its own outcome may give it back.
	ownsHold := holder == "" || holder == o.IntentKey
	switch o.Result {
	case "printed":
		status = statusPrinted // a document exists, whoever held the request
	case "failed":
		status = statusApproved
	case "in_doubt":
		status = statusInDoubt
	default:
		return "", false, errBadRequest.Withf("result %q", o.Result)
	}
	if o.Result != "printed" && !ownsHold {
		status = current
		if current == statusApproved {
			status = statusPrinting
		}
	} else {
		if _, err := tx.ExecContext(ctx, `UPDATE requests SET status = ? WHERE id = ?`, status, o.Request); err != nil {
			return "", false, err
		}
		if o.Result != "in_doubt" { // a doubt keeps the hold until it is resolved
			if _, err := tx.ExecContext(ctx, `UPDATE holds SET active = 0 WHERE request_id = ? AND active = 1`, o.Request); err != nil {
				return "", false, err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO confirmations (idempotency_key, authorization_id, request_id, result,
		job_id, printer_id, card_serial, pdf_sha256, reason, request_status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Key, o.Authorization, o.Request, o.Result, o.JobID, o.Printer, o.CardSerial, o.PDFSHA256, o.Reason, status, o.At.Unix()); err != nil {
		return "", false, err
	}
	if status == statusPrinted {
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests WHERE approval_id = ? AND status != ?`,
			o.ApprovalID, statusPrinted).Scan(&open); err != nil {
			return "", false, err
		}
		if open == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE approvals SET token_burned = 1 WHERE id = ?`, o.ApprovalID); err != nil {
				return "", false, err
			}
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT token_burned FROM approvals WHERE id = ?`, o.ApprovalID).Scan(&burned); err != nil {
		return "", false, err
	}
	return status, burned, tx.Commit()
}
