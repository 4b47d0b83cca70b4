package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/anjungan/anjungan/station"
)

// DefaultKeep is how long a used ticket id is kept: the longest ticket
// lifetime the upstream issues (30 days) plus a day of margin. Past it,
// the ticket has expired and the verifier refuses it anyway.
const DefaultKeep = 31 * 24 * time.Hour

// UsedTickets is the station's list of tickets whose token the upstream
// burned, so a replay is refused while the upstream is unreachable.
type UsedTickets struct {
	DB *DB
	// Keep is how long an id is kept after its use; it must be at least
	// the longest ticket lifetime plus the verifier's clock skew.
	Keep time.Duration
}

var _ station.UsedTickets = (*UsedTickets)(nil)

// NewUsedTickets returns the list kept in db for DefaultKeep.
func NewUsedTickets(db *DB) *UsedTickets { return &UsedTickets{DB: db, Keep: DefaultKeep} }

// Used reports whether ticketID is on the list.
func (u *UsedTickets) Used(ctx context.Context, ticketID string) (bool, error) {
	var one int
	err := u.DB.read.QueryRowContext(ctx, `SELECT 1 FROM used_tickets WHERE ticket_id = ?`, ticketID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, ErrStorage.With(err)
	}
	return true, nil
}

// MarkUsed puts ticketID on the list (a second mark keeps the first
// time) and forgets ids used longer than Keep before at.
func (u *UsedTickets) MarkUsed(ctx context.Context, ticketID string, at time.Time) error {
	if !isLowerHex(ticketID, 32) {
		return ErrStorage.Withf("ticket id is not 32 lowercase hex digits")
	}
	return u.DB.update(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO used_tickets (ticket_id, used_at) VALUES (?, ?)`,
			ticketID, at.Unix()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM used_tickets WHERE used_at < ?`, at.Add(-u.keep()).Unix())
		return err
	})
}

// Prune forgets ids used longer than Keep before now and says how many.
func (u *UsedTickets) Prune(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := u.DB.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM used_tickets WHERE used_at < ?`, now.Add(-u.keep()).Unix())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

func (u *UsedTickets) keep() time.Duration {
	if u.Keep <= 0 {
		return DefaultKeep
	}
	return u.Keep
}

func isLowerHex(s string, n int) bool {
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
