package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/anjungan/anjungan/printerd"
)

// schemaV8 is the custody of blank cards: causes of spoiled cards, cards
// spoiled out of stock without a job (card_uses is rebuilt without its
// job reference for them), reversals of wrong loads, destruction records
// signed by two supervisors, and reconciliations with the printer's
// counter. Every custody table is append-only: triggers refuse an UPDATE
// or a DELETE, so a wrong load is corrected by a reversal, never an edit.
// A card spoiled before schema 8 gets the cause its resolution's reason
// code maps to, else gagal-cetak for a printer reject and rusak for a
// void.
var schemaV8 = `
CREATE TABLE card_uses_v7 (
	seq         INTEGER PRIMARY KEY,
	printer     TEXT NOT NULL,
	use         TEXT NOT NULL CHECK (use IN ('printed','rejected','voided','spoiled')),
	job_id      TEXT NOT NULL DEFAULT '', -- '' for a card spoiled out of stock
	card_serial TEXT NOT NULL DEFAULT '',
	cause       TEXT NOT NULL DEFAULT '' CHECK (cause IN ('','gagal-encode','gagal-cetak','rusak','perubahan-elemen-data')),
	actor       TEXT NOT NULL DEFAULT '',
	time        INTEGER NOT NULL,
	CHECK ((use = 'printed') = (cause = ''))
);
INSERT INTO card_uses_v7 (seq, printer, use, job_id, card_serial, cause, actor, time)
	SELECT u.seq, u.printer, u.use, u.job_id, u.card_serial,
		CASE
			WHEN u.use = 'printed' THEN ''
			WHEN e.code IN ('card-damaged','jam') THEN 'rusak'
			WHEN e.code = 'wrong-data' THEN 'perubahan-elemen-data'
			WHEN e.code <> '' THEN 'gagal-cetak'
			WHEN u.use = 'rejected' THEN 'gagal-cetak'
			ELSE 'rusak'
		END,
		u.actor, u.time
	FROM card_uses u LEFT JOIN (
		SELECT job_id, MAX(reason_code) AS code FROM job_events WHERE reason_code <> '' GROUP BY job_id
	) e ON e.job_id = u.job_id;
DROP TABLE card_uses;
ALTER TABLE card_uses_v7 RENAME TO card_uses;
CREATE UNIQUE INDEX card_uses_printed ON card_uses (job_id) WHERE use = 'printed';
CREATE INDEX card_uses_printer ON card_uses (printer, time);
CREATE TABLE card_load_reversals (
	seq      INTEGER PRIMARY KEY,
	load_seq INTEGER NOT NULL UNIQUE REFERENCES card_loads (seq),
	reason   TEXT NOT NULL,
	actor    TEXT NOT NULL,
	time     INTEGER NOT NULL
);
CREATE TABLE card_destructions (
	id          TEXT PRIMARY KEY,
	printer     TEXT NOT NULL,
	proposed_by TEXT NOT NULL,
	proposed    INTEGER NOT NULL,
	expires     INTEGER NOT NULL
);
CREATE TABLE card_destruction_items (
	destruction TEXT NOT NULL REFERENCES card_destructions (id),
	use_seq     INTEGER NOT NULL REFERENCES card_uses (seq),
	PRIMARY KEY (destruction, use_seq)
);
-- The second signature; a destruction is confirmed once.
CREATE TABLE card_destruction_confirms (
	destruction  TEXT PRIMARY KEY REFERENCES card_destructions (id),
	confirmed_by TEXT NOT NULL,
	time         INTEGER NOT NULL
);
-- A card is destroyed once.
CREATE TABLE card_destroyed (
	use_seq     INTEGER PRIMARY KEY REFERENCES card_uses (seq),
	destruction TEXT NOT NULL REFERENCES card_destruction_confirms (destruction)
);
CREATE TABLE card_reconciliations (
	seq        INTEGER PRIMARY KEY,
	printer    TEXT NOT NULL,
	counter    INTEGER NOT NULL,
	fed        INTEGER NOT NULL,
	difference INTEGER NOT NULL,
	baseline   INTEGER NOT NULL,
	reject_box INTEGER, -- NULL when the printer does not report it
	locked     INTEGER NOT NULL,
	awaiting   INTEGER NOT NULL,
	actor      TEXT NOT NULL,
	time       INTEGER NOT NULL
);
` + appendOnly

// appendOnly makes the custody tables refuse edits.
var appendOnly = func() string {
	var b strings.Builder
	for _, t := range []string{"card_loads", "card_uses", "card_load_reversals", "card_destructions",
		"card_destruction_items", "card_destruction_confirms", "card_destroyed", "card_reconciliations"} {
		for _, op := range []string{"UPDATE", "DELETE"} {
			fmt.Fprintf(&b, "CREATE TRIGGER %s_no_%s BEFORE %s ON %s BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;\n",
				t, strings.ToLower(op), op, t)
		}
	}
	return b.String()
}()

// Audit entry kinds of custody (see docs/printerd.md).
const (
	KindLoadReversed         = "cards.load_reversed"
	KindCardSpoiledStock     = "card.spoiled_stock"
	KindDestructionProposed  = "cards.destruction_proposed"
	KindDestructionConfirmed = "cards.destroyed"
	KindReconciled           = "cards.reconciled"
	KindCustodyRefused       = "cards.refused"
	loadedSQL                = `(SELECT COALESCE(SUM(count), 0) FROM card_loads l WHERE printer = ?1 AND NOT EXISTS (SELECT 1 FROM card_load_reversals r WHERE r.load_seq = l.seq))`
	usedSQL                  = `(SELECT COUNT(*) FROM card_uses WHERE printer = ?1)`
	destructionColumns       = `d.id, d.printer, d.proposed_by, d.proposed, d.expires, COALESCE(c.confirmed_by, ''), COALESCE(c.time, 0)`
	spoiledColumns           = `u.seq, u.printer, u.use, u.job_id, u.card_serial, u.cause, u.actor, u.time, COALESCE(x.destruction, '')`
	spoiledFrom              = ` FROM card_uses u LEFT JOIN card_destroyed x ON x.use_seq = u.seq WHERE u.use <> 'printed'`
)

// ReverseLoad implements printerd.BlankLedger.
func (j *Journal) ReverseLoad(ctx context.Context, r printerd.LoadReversal) (printerd.LoadReversal, error) {
	if err := r.Validate(); err != nil {
		return printerd.LoadReversal{}, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	r.Time = j.now().UTC()
	err := j.writeTx(ctx, "reverse-load", func(tx *txn) error {
		var reversed int
		err := tx.QueryRowContext(ctx, `SELECT printer, count, EXISTS (SELECT 1 FROM card_load_reversals WHERE load_seq = l.seq)
			FROM card_loads l WHERE seq = ?`, r.Load).Scan(&r.Printer, &r.Count, &reversed)
		if errors.Is(err, sql.ErrNoRows) {
			return printerd.ErrInvalidRequest.Withf("no load %d", r.Load)
		}
		if err != nil {
			return err
		}
		if reversed != 0 {
			return printerd.ErrLoadReversed.Withf("load %d", r.Load)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO card_load_reversals (load_seq, reason, actor, time) VALUES (?, ?, ?, ?)`,
			r.Load, r.Reason, r.Actor, r.Time.UnixNano()); err != nil {
			return err
		}
		if err := outBlank(ctx, tx, r.Time, r.Printer, "reversal", r.Count, ""); err != nil {
			return err
		}
		return j.record(ctx, tx, r.Time, KindLoadReversed, r.Actor, map[string]string{
			"printer": r.Printer, "load": strconv.FormatInt(r.Load, 10), "count": strconv.Itoa(r.Count), "reason": r.Reason,
		})
	})
	if err != nil {
		return printerd.LoadReversal{}, journalError(err)
	}
	return r, nil
}

// Loads implements printerd.BlankLedger.
func (j *Journal) Loads(ctx context.Context, printer string) ([]printerd.LoadRecord, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT seq, printer, count, first_serial, last_serial, actor, time,
		EXISTS (SELECT 1 FROM card_load_reversals r WHERE r.load_seq = l.seq)
		FROM card_loads l WHERE printer = ? ORDER BY seq`, printer)
	if err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	defer rows.Close()
	var out []printerd.LoadRecord
	for rows.Next() {
		var l printerd.LoadRecord
		var t int64
		if err := rows.Scan(&l.Seq, &l.Printer, &l.Count, &l.FirstSerial, &l.LastSerial, &l.Actor, &t, &l.Reversed); err != nil {
			return nil, printerd.ErrJournal.With(err)
		}
		l.Time = time.Unix(0, t).UTC()
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	return out, nil
}

// RecordSpoil implements printerd.BlankLedger.
func (j *Journal) RecordSpoil(ctx context.Context, s printerd.Spoil) (printerd.SpoiledCard, error) {
	if err := s.Validate(); err != nil {
		return printerd.SpoiledCard{}, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now().UTC()
	card := printerd.SpoiledCard{Printer: s.Printer, Use: printerd.CardSpoiled, CardSerial: s.CardSerial,
		Cause: s.Cause, Actor: s.Actor, Time: now}
	err := j.writeTx(ctx, "spoil", func(tx *txn) error {
		left, err := remaining(ctx, tx, s.Printer)
		if err != nil {
			return err
		}
		if left <= 0 {
			return printerd.ErrOutOfStock.Withf("printer %s: %d left", s.Printer, left)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO card_uses (printer, use, card_serial, cause, actor, time)
			VALUES (?, 'spoiled', ?, ?, ?, ?)`, s.Printer, s.CardSerial, s.Cause, s.Actor, now.UnixNano())
		if err != nil {
			return err
		}
		if card.Seq, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := outBlank(ctx, tx, now, s.Printer, "spoil", 1, string(s.Cause)); err != nil {
			return err
		}
		return j.record(ctx, tx, now, KindCardSpoiledStock, s.Actor, map[string]string{
			"printer": s.Printer, "card_serial": s.CardSerial, "cause": string(s.Cause),
		})
	})
	if err != nil {
		return printerd.SpoiledCard{}, journalError(err)
	}
	return card, nil
}

// SpoiledCards implements printerd.BlankLedger.
func (j *Journal) SpoiledCards(ctx context.Context, printer string, awaiting bool) ([]printerd.SpoiledCard, error) {
	q := "SELECT " + spoiledColumns + spoiledFrom + " AND u.printer = ?"
	if awaiting {
		q += " AND x.destruction IS NULL"
	}
	cards, err := querySpoiled(ctx, j.db, q+" ORDER BY u.seq", printer)
	if err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	return cards, nil
}

func querySpoiled(ctx context.Context, q querier, query string, args ...any) ([]printerd.SpoiledCard, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []printerd.SpoiledCard
	for rows.Next() {
		var c printerd.SpoiledCard
		var t int64
		if err := rows.Scan(&c.Seq, &c.Printer, &c.Use, &c.Job, &c.CardSerial, &c.Cause, &c.Actor, &t, &c.Destruction); err != nil {
			return nil, err
		}
		c.Time = time.Unix(0, t).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// ProposeDestruction implements printerd.BlankLedger.
func (j *Journal) ProposeDestruction(ctx context.Context, r printerd.DestructionRequest, window time.Duration) (printerd.Destruction, error) {
	if r.Printer == "" {
		return printerd.Destruction{}, printerd.ErrInvalidRequest.Withf("no printer")
	}
	if strings.TrimSpace(r.Actor) == "" {
		return printerd.Destruction{}, printerd.ErrInvalidRequest.Withf("no actor")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	id, err := j.newID()
	if err != nil {
		return printerd.Destruction{}, printerd.ErrJournal.With(err)
	}
	now := j.now().UTC()
	d := printerd.Destruction{ID: "D" + string(id[1:]), Printer: r.Printer, State: printerd.DestructionProposed,
		ProposedBy: r.Actor, Proposed: now, Expires: now.Add(window)}
	err = j.writeTx(ctx, "propose-destruction", func(tx *txn) error {
		awaiting, err := querySpoiled(ctx, tx, "SELECT "+spoiledColumns+spoiledFrom+
			" AND u.printer = ? AND x.destruction IS NULL ORDER BY u.seq", r.Printer)
		if err != nil {
			return err
		}
		d.Cards, err = pick(awaiting, r.Cards)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO card_destructions (id, printer, proposed_by, proposed, expires) VALUES (?, ?, ?, ?, ?)`,
			d.ID, d.Printer, d.ProposedBy, now.UnixNano(), d.Expires.UnixNano()); err != nil {
			return err
		}
		for _, c := range d.Cards {
			if _, err := tx.ExecContext(ctx, `INSERT INTO card_destruction_items (destruction, use_seq) VALUES (?, ?)`, d.ID, c.Seq); err != nil {
				return err
			}
		}
		return j.record(ctx, tx, now, KindDestructionProposed, r.Actor, map[string]string{
			"printer": d.Printer, "destruction": d.ID, "cards": strconv.Itoa(len(d.Cards)),
			"expires": d.Expires.Format(time.RFC3339),
		})
	})
	if err != nil {
		return printerd.Destruction{}, journalError(err)
	}
	return d, nil
}

// pick selects the cards of seqs among awaiting (all of them when seqs
// is empty); a seq not awaiting destruction is refused.
func pick(awaiting []printerd.SpoiledCard, seqs []int64) ([]printerd.SpoiledCard, error) {
	if len(seqs) == 0 {
		if len(awaiting) == 0 {
			return nil, printerd.ErrAlreadyDestroyed.Withf("no card awaits destruction")
		}
		return awaiting, nil
	}
	by := make(map[int64]printerd.SpoiledCard, len(awaiting))
	for _, c := range awaiting {
		by[c.Seq] = c
	}
	var out []printerd.SpoiledCard
	for _, s := range seqs {
		c, ok := by[s]
		if !ok {
			return nil, printerd.ErrAlreadyDestroyed.Withf("card %d does not await destruction", s)
		}
		delete(by, s) // a seq listed twice is refused the second time
		out = append(out, c)
	}
	return out, nil
}

// ConfirmDestruction implements printerd.BlankLedger.
func (j *Journal) ConfirmDestruction(ctx context.Context, id, actor string) (printerd.Destruction, error) {
	if strings.TrimSpace(actor) == "" {
		return printerd.Destruction{}, printerd.ErrInvalidRequest.Withf("no actor")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now().UTC()
	var d printerd.Destruction
	err := j.writeTx(ctx, "confirm-destruction", func(tx *txn) error {
		var err error
		if d, err = readDestruction(ctx, tx, id, now); err != nil {
			return err
		}
		switch {
		case d.State == printerd.DestructionExpired:
			return printerd.ErrDestructionExpired.Withf("destruction %s expired at %s", id, d.Expires.Format(time.RFC3339))
		case d.State != printerd.DestructionProposed:
			return printerd.ErrDestructionState.Withf("destruction %s is %s", id, d.State)
		case sameActor(d.ProposedBy, actor):
			return printerd.ErrSameSupervisor.Withf("destruction %s", id)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO card_destruction_confirms (destruction, confirmed_by, time) VALUES (?, ?, ?)`,
			id, actor, now.UnixNano()); err != nil {
			return err
		}
		for _, c := range d.Cards {
			if c.Destruction != "" {
				return printerd.ErrAlreadyDestroyed.Withf("card %d destroyed by %s", c.Seq, c.Destruction)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO card_destroyed (use_seq, destruction) VALUES (?, ?)`, c.Seq, id); err != nil {
				return err
			}
		}
		d.State, d.ConfirmedBy, d.Confirmed = printerd.DestructionConfirmed, actor, now
		for i := range d.Cards {
			d.Cards[i].Destruction = id
		}
		if err := outBlank(ctx, tx, now, d.Printer, "destroy", len(d.Cards), ""); err != nil {
			return err
		}
		return j.record(ctx, tx, now, KindDestructionConfirmed, actor, map[string]string{
			"printer": d.Printer, "destruction": id, "cards": strconv.Itoa(len(d.Cards)),
			"proposed_by": d.ProposedBy, "causes": causeCounts(d.Cards),
		})
	})
	if err != nil {
		return printerd.Destruction{}, journalError(err)
	}
	return d, nil
}

// sameActor compares supervisors' names as people read them.
func sameActor(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

func causeCounts(cards []printerd.SpoiledCard) string {
	n := map[printerd.SpoilCause]int{}
	for _, c := range cards {
		n[c.Cause]++
	}
	var parts []string
	for _, i := range printerd.SpoilCauses() {
		if n[i.Cause] > 0 {
			parts = append(parts, string(i.Cause)+"="+strconv.Itoa(n[i.Cause]))
		}
	}
	return strings.Join(parts, ",")
}

// Destruction implements printerd.BlankLedger.
func (j *Journal) Destruction(ctx context.Context, id string) (printerd.Destruction, error) {
	d, err := readDestruction(ctx, j.db, id, j.now().UTC())
	if err != nil {
		return printerd.Destruction{}, journalError(err)
	}
	return d, nil
}

// Destructions implements printerd.BlankLedger.
func (j *Journal) Destructions(ctx context.Context, printer string) ([]printerd.Destruction, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT id FROM card_destructions WHERE printer = ? ORDER BY proposed DESC, id LIMIT ?`,
		printer, printerd.MaxDestructionList)
	if err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, printerd.ErrJournal.With(err)
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, printerd.ErrJournal.With(err)
	}
	now := j.now().UTC()
	out := make([]printerd.Destruction, 0, len(ids))
	for _, id := range ids {
		d, err := readDestruction(ctx, j.db, id, now)
		if err != nil {
			return nil, journalError(err)
		}
		out = append(out, d)
	}
	return out, nil
}

func readDestruction(ctx context.Context, q querier, id string, now time.Time) (printerd.Destruction, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+destructionColumns+
		` FROM card_destructions d LEFT JOIN card_destruction_confirms c ON c.destruction = d.id WHERE d.id = ?`, id)
	if err != nil {
		return printerd.Destruction{}, err
	}
	var d printerd.Destruction
	var proposed, expires, confirmed int64
	found := rows.Next()
	if found {
		err = rows.Scan(&d.ID, &d.Printer, &d.ProposedBy, &proposed, &expires, &d.ConfirmedBy, &confirmed)
	}
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return printerd.Destruction{}, err
	}
	if !found {
		return printerd.Destruction{}, printerd.ErrDestructionNotFound.Withf("destruction %q", id)
	}
	d.Proposed, d.Expires = time.Unix(0, proposed).UTC(), time.Unix(0, expires).UTC()
	switch {
	case d.ConfirmedBy != "":
		d.State, d.Confirmed = printerd.DestructionConfirmed, time.Unix(0, confirmed).UTC()
	case !now.Before(d.Expires):
		d.State = printerd.DestructionExpired
	default:
		d.State = printerd.DestructionProposed
	}
	d.Cards, err = querySpoiled(ctx, q, "SELECT "+spoiledColumns+
		` FROM card_destruction_items i JOIN card_uses u ON u.seq = i.use_seq LEFT JOIN card_destroyed x ON x.use_seq = u.seq
		WHERE i.destruction = ? ORDER BY u.seq`, id)
	return d, err
}

// RecordReconciliation implements printerd.BlankLedger.
func (j *Journal) RecordReconciliation(ctx context.Context, printer, actor string, c printerd.CardCounts, reported bool) (printerd.Reconciliation, error) {
	if strings.TrimSpace(actor) == "" {
		return printerd.Reconciliation{}, printerd.ErrInvalidRequest.Withf("no actor")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now().UTC()
	r := printerd.Reconciliation{Printer: printer, Counter: c.Lifetime, Time: now, Actor: actor, RejectLocked: c.RejectLocked}
	if reported {
		box := c.RejectBox
		r.RejectBox = &box
	}
	err := j.writeTx(ctx, "reconcile", func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM card_uses WHERE printer = ?1 AND use IN ('printed','rejected','voided')),
			(SELECT COUNT(*) FROM card_uses u WHERE printer = ?1 AND use <> 'printed'
				AND NOT EXISTS (SELECT 1 FROM card_destroyed x WHERE x.use_seq = u.seq))`, printer).Scan(&r.Fed, &r.Awaiting); err != nil {
			return err
		}
		var prevCounter, prevFed int
		err := tx.QueryRowContext(ctx, `SELECT counter, fed FROM card_reconciliations WHERE printer = ? ORDER BY seq DESC LIMIT 1`,
			printer).Scan(&prevCounter, &prevFed)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			r.Baseline = true
		case err != nil:
			return err
		default:
			r.Difference = (r.Counter - prevCounter) - (r.Fed - prevFed)
		}
		var box any
		if r.RejectBox != nil {
			box = *r.RejectBox
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO card_reconciliations
			(printer, counter, fed, difference, baseline, reject_box, locked, awaiting, actor, time)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, printer, r.Counter, r.Fed, r.Difference, r.Baseline, box,
			r.RejectLocked, r.Awaiting, actor, now.UnixNano()); err != nil {
			return err
		}
		fields := map[string]string{"printer": printer, "counter": strconv.Itoa(r.Counter), "fed": strconv.Itoa(r.Fed),
			"difference": strconv.Itoa(r.Difference), "awaiting": strconv.Itoa(r.Awaiting)}
		if r.Baseline {
			fields["baseline"] = "true"
		}
		if r.RejectBox != nil {
			fields["reject_box"] = strconv.Itoa(*r.RejectBox)
		}
		if err := outBlank(ctx, tx, now, printer, "reconcile", r.Difference, ""); err != nil {
			return err
		}
		return j.record(ctx, tx, now, KindReconciled, actor, fields)
	})
	if err != nil {
		return printerd.Reconciliation{}, journalError(err)
	}
	return r, nil
}

// Month implements printerd.BlankLedger.
func (j *Journal) Month(ctx context.Context, printer string, from, until time.Time) (printerd.MonthReport, error) {
	m := printerd.MonthReport{Printer: printer, From: from.UTC(), Until: until.UTC(),
		Printed: map[string]int{}, Spoiled: map[printerd.SpoilCause]int{}}
	a, b := from.UnixNano(), until.UnixNano()
	err := func() error {
		if err := j.db.QueryRowContext(ctx, `SELECT
			(SELECT COALESCE(SUM(count), 0) FROM card_loads WHERE printer = ?1 AND time >= ?2 AND time < ?3),
			(SELECT COALESCE(SUM(l.count), 0) FROM card_load_reversals r JOIN card_loads l ON l.seq = r.load_seq
				WHERE l.printer = ?1 AND r.time >= ?2 AND r.time < ?3),
			(SELECT COUNT(*) FROM card_destroyed x JOIN card_destruction_confirms c ON c.destruction = x.destruction
				JOIN card_uses u ON u.seq = x.use_seq WHERE u.printer = ?1 AND c.time >= ?2 AND c.time < ?3),
			(SELECT COALESCE(SUM(count), 0) FROM card_loads l WHERE printer = ?1 AND time < ?3
				AND NOT EXISTS (SELECT 1 FROM card_load_reversals r WHERE r.load_seq = l.seq AND r.time < ?3))
				- (SELECT COUNT(*) FROM card_uses WHERE printer = ?1 AND time < ?3),
			(SELECT COUNT(*) FROM card_uses u WHERE printer = ?1 AND use <> 'printed' AND time < ?3
				AND NOT EXISTS (SELECT 1 FROM card_destroyed x JOIN card_destruction_confirms c ON c.destruction = x.destruction
					WHERE x.use_seq = u.seq AND c.time < ?3))`,
			printer, a, b).Scan(&m.Loaded, &m.Reversed, &m.Destroyed, &m.InStock, &m.Awaiting); err != nil {
			return err
		}
		m.Loaded -= m.Reversed
		rows, err := j.db.QueryContext(ctx, `SELECT u.use, u.cause, COALESCE(jb.title, ''), COUNT(*) FROM card_uses u
			LEFT JOIN jobs jb ON jb.id = u.job_id WHERE u.printer = ? AND u.time >= ? AND u.time < ? GROUP BY 1, 2, 3`, printer, a, b)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var use, cause, title string
			var n int
			if err := rows.Scan(&use, &cause, &title, &n); err != nil {
				return err
			}
			if use == string(printerd.CardPrinted) {
				m.Printed[title] += n
			} else {
				m.Spoiled[printerd.SpoilCause(cause)] += n
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		var r printerd.Reconciliation
		var t int64
		var box sql.NullInt64
		err = j.db.QueryRowContext(ctx, `SELECT counter, fed, difference, baseline, reject_box, locked, awaiting, actor, time
			FROM card_reconciliations WHERE printer = ? AND time >= ? AND time < ? ORDER BY seq DESC LIMIT 1`, printer, a, b).
			Scan(&r.Counter, &r.Fed, &r.Difference, &r.Baseline, &box, &r.RejectLocked, &r.Awaiting, &r.Actor, &t)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		}
		r.Printer, r.Time = printer, time.Unix(0, t).UTC()
		if box.Valid {
			n := int(box.Int64)
			r.RejectBox = &n
		}
		m.Reconciliation = &r
		return nil
	}()
	if err != nil {
		return printerd.MonthReport{}, printerd.ErrJournal.With(err)
	}
	return m, nil
}

// RecordRefusal implements printerd.BlankLedger.
func (j *Journal) RecordRefusal(ctx context.Context, action, printer, actor string, refused error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	code := "internal"
	var fe *printerd.Error
	if errors.As(refused, &fe) {
		code = string(fe.Code)
	}
	now := j.now().UTC()
	err := j.writeTx(ctx, "refusal", func(tx *txn) error {
		return j.record(ctx, tx, now, KindCustodyRefused, actor, map[string]string{
			"action": action, "printer": printer, "code": code,
		})
	})
	if err != nil {
		return printerd.ErrJournal.With(err)
	}
	return nil
}
