package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/outbox"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// outboxSchema is the fleet outbox (internal/outbox, docs/fleet.md).
const outboxSchema = outbox.Schema

// Outbox is the station's fleet outbox for the sender.
func (db *DB) Outbox() *outbox.Store { return &outbox.Store{DB: db.write} }

// outSettlement writes st's outcome to the outbox in tx when it is new:
// the outcome first recorded, or a supervisor's decision on a print in
// doubt. The job is named by printerd's reference, never the request.
func outSettlement(ctx context.Context, tx *sql.Tx, st station.Settlement) error {
	if st.Owed == "" {
		return nil
	}
	var before string
	err := tx.QueryRowContext(ctx, `SELECT owed FROM settlements WHERE id = ?`, st.ID).Scan(&before)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if before == string(st.Owed) {
		return nil
	}
	outcome := string(st.Owed)
	if before == string(station.ResultInDoubt) {
		outcome = "resolved_" + outcome
	}
	at := st.Updated
	if at.IsZero() {
		at = time.Now()
	}
	return outbox.Append(ctx, tx, at, fleet.KindPrintOutcome, "", fleet.PrintOutcome{
		DocumentType: string(st.Document), Outcome: outcome, JobRef: printerd.JobRef(st.Job), Code: st.Reason,
	})
}

// loginKinds are the audit entries of a login.
var loginKinds = map[string]bool{"login.ok": true, "login.refused": true}

// outLogin writes a login's outcome to the outbox in tx: its method and
// code, nothing of the citizen.
func outLogin(ctx context.Context, tx *sql.Tx, e station.AuditEntry, at time.Time) error {
	if !loginKinds[e.Kind] {
		return nil
	}
	code := "ok"
	if e.Kind != "login.ok" || e.Fields["error"] != "" {
		code = e.Fields["error"]
		if code == "" {
			code = "refused"
		}
	}
	return outbox.Append(ctx, tx, at, fleet.KindLoginOutcome, "", fleet.LoginOutcome{Method: e.Fields["method"], Code: code})
}

// RecordKioskState writes the kiosk's service state to the outbox: a
// snapshot, compacted to the latest when the outbox is full.
func (db *DB) RecordKioskState(ctx context.Context, at time.Time, s station.ServiceState) error {
	data := fleet.KioskState{State: s.State, Unavailable: s.Unavailable, Reasons: s.Reasons}
	return db.update(ctx, func(tx *sql.Tx) error {
		return outbox.Append(ctx, tx, at, fleet.KindKioskState, "kiosk_state", data)
	})
}
