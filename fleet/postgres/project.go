package postgres

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anjungan/anjungan/fleet"
)

// projection is what one batch's new events do to the read models,
// folded so that a batch costs about one statement per table instead of
// one or two per event: the last kiosk, printer and balance state wins,
// daily counts are summed, a job's run of failed or in-doubt states is
// kept as its sequential application would leave it. The result equals
// applying the events one by one in seq order
// (TestFoldedProjectionEqualsOneByOne).
type projection struct {
	kioskState *fleet.KioskState
	backlogs   []int // the batch's outbox_backlog reports, in order
	prints     map[printKey]int
	printKeys  []printKey
	jobs       map[string]*jobFold
	jobOrder   []string
	printers   map[string]printerRow
	printerIDs []string
	moves      []moveRow
	balances   map[string]balanceRow
	balanceIDs []string
	hours      map[time.Time]bool // the UTC hours of the events (kiosk_hours)
}

type printKey struct{ day, docType, outcome string }

// jobFold is a job's rows in jobs_waiting after the batch: dropFirst when
// the batch ended an earlier wait (the row is deleted before the new run
// is written); wait when the job's last state is failed or in doubt.
type jobFold struct {
	dropFirst bool
	wait      bool
	state     string
	docType   string    // the run's last non-empty type
	since     time.Time // the run's first state; a stored row keeps its own
}

type printerRow struct {
	d  *fleet.PrinterState
	at time.Time
}

type moveRow struct {
	seq int64
	d   *fleet.BlankMovement
	at  time.Time
}

type balanceRow struct {
	balance int
	at      time.Time
}

func newProjection() *projection {
	return &projection{prints: map[printKey]int{}, jobs: map[string]*jobFold{}, printers: map[string]printerRow{}, balances: map[string]balanceRow{}, hours: map[time.Time]bool{}}
}

// add folds one new event in; events come in seq order.
func (p *projection) add(e fleet.Event) error {
	v, err := e.Decode()
	if err != nil {
		return err
	}
	p.hours[e.At.UTC().Truncate(time.Hour)] = true
	switch d := v.(type) {
	case *fleet.KioskState:
		p.kioskState = d
	case *fleet.PrintOutcome:
		k := printKey{e.At.UTC().Format("2006-01-02"), d.DocumentType, d.Outcome}
		if _, ok := p.prints[k]; !ok {
			p.printKeys = append(p.printKeys, k)
		}
		p.prints[k]++
		p.job(d.JobRef, d.DocumentType, d.Outcome, e.At)
	case *fleet.JobState:
		p.job(d.JobRef, d.DocumentType, d.State, e.At)
	case *fleet.PrinterState:
		if _, ok := p.printers[d.Printer]; !ok {
			p.printerIDs = append(p.printerIDs, d.Printer)
		}
		p.printers[d.Printer] = printerRow{d, e.At}
	case *fleet.BlankMovement:
		p.moves = append(p.moves, moveRow{int64(e.Seq), d, e.At})
		if _, ok := p.balances[d.Printer]; !ok {
			p.balanceIDs = append(p.balanceIDs, d.Printer)
		}
		p.balances[d.Printer] = balanceRow{d.Balance, e.At}
	case *fleet.OutboxBacklog:
		p.backlogs = append(p.backlogs, d.Events)
	}
	return nil
}

// job keeps a job in jobs_waiting while its latest state is failed or in
// doubt, and removes it on any other.
func (p *projection) job(ref, docType, state string, at time.Time) {
	if ref == "" {
		return
	}
	f, ok := p.jobs[ref]
	if !ok {
		f = &jobFold{}
		p.jobs[ref] = f
		p.jobOrder = append(p.jobOrder, ref)
	}
	if state != "failed" && state != "in_doubt" {
		*f = jobFold{dropFirst: true}
		return
	}
	if !f.wait {
		f.wait, f.since, f.docType = true, at, ""
	}
	f.state = state
	if docType != "" {
		f.docType = docType
	}
}

// queue adds the folded statements to q.
func (p *projection) queue(q *pgx.Batch, kiosk string, stream fleet.Stream) {
	if d := p.kioskState; d != nil {
		q.Queue(`UPDATE kiosks SET state = $2, unavailable = $3, reasons = $4 WHERE id = $1`,
			kiosk, d.State, nonNil(d.Unavailable), nonNil(d.Reasons))
	}
	switch n := len(p.backlogs); {
	case n == 1:
		q.Queue(`UPDATE kiosks SET backlog_prev = backlog, backlog = $2 WHERE id = $1`, kiosk, p.backlogs[0])
	case n > 1:
		q.Queue(`UPDATE kiosks SET backlog_prev = $2, backlog = $3 WHERE id = $1`, kiosk, p.backlogs[n-2], p.backlogs[n-1])
	}
	if len(p.printKeys) > 0 {
		days, types, outcomes, counts := make([]string, len(p.printKeys)), make([]string, len(p.printKeys)), make([]string, len(p.printKeys)), make([]int32, len(p.printKeys))
		for i, k := range p.printKeys {
			days[i], types[i], outcomes[i], counts[i] = k.day, k.docType, k.outcome, int32(p.prints[k])
		}
		q.Queue(`INSERT INTO prints_daily (kiosk, day, document_type, outcome, count)
			SELECT $1, p.day::date, p.type, p.outcome, p.count FROM unnest($2::text[], $3::text[], $4::text[], $5::int[]) AS p(day, type, outcome, count)
			ON CONFLICT (kiosk, day, document_type, outcome) DO UPDATE SET count = prints_daily.count + EXCLUDED.count`,
			kiosk, days, types, outcomes, counts)
	}
	var drop, refs, types, states []string
	var since []time.Time
	for _, ref := range p.jobOrder {
		f := p.jobs[ref]
		if f.dropFirst {
			drop = append(drop, ref)
		}
		if f.wait {
			refs, types, states, since = append(refs, ref), append(types, f.docType), append(states, f.state), append(since, f.since)
		}
	}
	if len(drop) > 0 {
		q.Queue(`DELETE FROM jobs_waiting WHERE kiosk = $1 AND job_ref = ANY($2::text[])`, kiosk, drop)
	}
	if len(refs) > 0 {
		// A run that continues a stored row keeps its since and, for an
		// empty type, its type: as the row-by-row upsert did.
		q.Queue(`INSERT INTO jobs_waiting (kiosk, job_ref, document_type, state, since)
			SELECT $1, j.ref, j.type, j.state, j.since FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS j(ref, type, state, since)
			ON CONFLICT (kiosk, job_ref) DO UPDATE SET state = EXCLUDED.state,
			document_type = CASE WHEN EXCLUDED.document_type = '' THEN jobs_waiting.document_type ELSE EXCLUDED.document_type END`,
			kiosk, refs, types, states, since)
	}
	for _, id := range p.printerIDs {
		r := p.printers[id]
		sup, _ := json.Marshal(r.d.Supplies)
		if r.d.Supplies == nil {
			sup = []byte("{}")
		}
		q.Queue(`INSERT INTO printers (kiosk, printer, media, state, reasons, supplies, at) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (kiosk, printer) DO UPDATE SET media = $3, state = $4, reasons = $5, supplies = $6, at = $7`,
			kiosk, r.d.Printer, r.d.Media, r.d.State, nonNil(r.d.Reasons), sup, r.at)
	}
	if len(p.moves) > 0 {
		n := len(p.moves)
		seqs, printers, kinds, causes := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
		counts, balances, ats := make([]int32, n), make([]int32, n), make([]time.Time, n)
		for i, m := range p.moves {
			seqs[i], printers[i], kinds[i], causes[i] = m.seq, m.d.Printer, m.d.Kind, m.d.Cause
			counts[i], balances[i], ats[i] = int32(m.d.Count), int32(m.d.Balance), m.at
		}
		q.Queue(`INSERT INTO blank_movements (kiosk, stream, seq, printer, kind, count, balance, cause, at)
			SELECT $1, $2, m.seq, m.printer, m.kind, m.count, m.balance, m.cause, m.at
			FROM unnest($3::bigint[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[], $9::timestamptz[]) AS m(seq, printer, kind, count, balance, cause, at)`,
			kiosk, string(stream), seqs, printers, kinds, counts, balances, causes, ats)
	}
	if len(p.hours) > 0 {
		hours := make([]time.Time, 0, len(p.hours))
		for h := range p.hours {
			hours = append(hours, h)
		}
		slices.SortFunc(hours, time.Time.Compare) // the same lock order in every hub
		q.Queue(`INSERT INTO kiosk_hours (kiosk, hour) SELECT $1, unnest($2::timestamptz[]) ON CONFLICT DO NOTHING`, kiosk, hours)
	}
	for _, id := range p.balanceIDs {
		b := p.balances[id]
		q.Queue(`INSERT INTO blank_balances (kiosk, printer, balance, at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (kiosk, printer) DO UPDATE SET balance = $3, at = $4`, kiosk, id, b.balance, b.at)
	}
}
