package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/pgtest"
)

// randomStream is n events with the kinds that project,
// drawn so that jobs come back to failed and in doubt after other states,
// printers and balances change often, and types are sometimes empty.
func randomStream(r *rand.Rand, n int) []fleet.Event {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	var out []fleet.Event
	for i := 0; i < n; i++ {
		seq := uint64(i + 1)
		at := t0.Add(time.Duration(i) * 7 * time.Minute) // crosses days
		var kind fleet.Kind
		var v any
		switch r.IntN(6) {
		case 0:
			kind, v = fleet.KindKioskState, fleet.KioskState{State: pick("in_service", "out_of_service", "closed"),
				Unavailable: []string{pick("kk", "ktpel")}[:r.IntN(2)], Reasons: []string{pick("printer_unavailable", "upstream_unavailable")}[:r.IntN(2)]}
		case 1:
			kind, v = fleet.KindPrintOutcome, fleet.PrintOutcome{DocumentType: pick("ktpel", "kk", "kia"),
				Outcome: pick("printed", "failed", "in_doubt", "resolved_printed"), JobRef: fmt.Sprintf("j%d", r.IntN(6))}
		case 2:
			kind, v = fleet.KindJobState, fleet.JobState{JobRef: fmt.Sprintf("j%d", r.IntN(6)), DocumentType: pick("", "", "kk", "ktpel"),
				Media: "card", State: pick("queued", "printing", "printed", "failed", "in_doubt", "in_doubt")}
		case 3:
			kind, v = fleet.KindPrinterState, fleet.PrinterState{Printer: pick("card-1", "paper-1"), Media: "card",
				State: pick("idle", "printing", "stopped"), Reasons: []string{pick("media-jam", "toner-low")}[:r.IntN(2)],
				Supplies: map[string]int{"ribbon": r.IntN(100)}}
		case 4:
			kind, v = fleet.KindBlankMovement, fleet.BlankMovement{Printer: pick("card-1", "card-2"), Kind: pick("load", "print", "spoil"),
				Count: 1 + r.IntN(50), Balance: r.IntN(500), Cause: pick("", "jam")}
		default:
			kind, v = fleet.KindOutboxBacklog, fleet.OutboxBacklog{Events: r.IntN(1000)}
		}
		d, _ := json.Marshal(v)
		out = append(out, fleet.Event{Seq: seq, At: at, Kind: kind, Data: d})
	}
	return out
}

// A batch's folded projections leave the read models exactly as the same
// events sent one per batch, whatever the batch boundaries.
func TestFoldedProjectionEqualsOneByOne(t *testing.T) {
	s := mustOpen(t, pgtest.MustDB(t))
	for seed := uint64(1); seed <= 6; seed++ {
		r := rand.New(rand.NewPCG(seed, 0))
		one, folded := fmt.Sprintf("one%d", seed), fmt.Sprintf("fold%d", seed)
		mustEnrol(t, s, one, folded)
		for _, stream := range []fleet.Stream{fleet.StreamStation, fleet.StreamPrinterd} {
			events := randomStream(r, 300)
			for _, e := range events {
				mustIngest(t, s, one, fleet.Batch{Stream: stream, Events: []fleet.Event{e}}, e.Seq)
			}
			for len(events) > 0 {
				n := min(len(events), 1+r.IntN(120))
				mustIngest(t, s, folded, fleet.Batch{Stream: stream, Events: events[:n]}, events[n-1].Seq)
				events = events[n:]
			}
		}
		if a, b := readModels(t, s, one), readModels(t, s, folded); !reflect.DeepEqual(a, b) {
			for table := range a {
				if !reflect.DeepEqual(a[table], b[table]) {
					t.Errorf("seed %d, %s:\none by one: %v\nfolded:     %v", seed, table, a[table], b[table])
				}
			}
		}
	}
}

// readModels is every projection row of kiosk, as text, by table.
func readModels(tb testing.TB, s interface {
	Pool() *pgxpool.Pool
}, kiosk string) map[string][]string {
	tb.Helper()
	queries := map[string]string{
		"kiosks":          `SELECT state, unavailable::text, reasons::text, backlog, backlog_prev FROM kiosks WHERE id = $1`,
		"printers":        `SELECT printer, media, state, reasons::text, supplies::text, at FROM printers WHERE kiosk = $1 ORDER BY printer`,
		"prints_daily":    `SELECT day, document_type, outcome, count FROM prints_daily WHERE kiosk = $1 ORDER BY 1, 2, 3`,
		"jobs_waiting":    `SELECT job_ref, document_type, state, since FROM jobs_waiting WHERE kiosk = $1 ORDER BY job_ref`,
		"blank_balances":  `SELECT printer, balance, at FROM blank_balances WHERE kiosk = $1 ORDER BY printer`,
		"kiosk_hours":     `SELECT hour FROM kiosk_hours WHERE kiosk = $1 ORDER BY hour`,
		"blank_movements": `SELECT stream, seq, printer, kind, count, balance, cause, at FROM blank_movements WHERE kiosk = $1 ORDER BY stream, seq`,
	}
	out := map[string][]string{}
	for table, q := range queries {
		rows, err := s.Pool().Query(context.Background(), q, kiosk)
		if err != nil {
			tb.Fatal(err)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				tb.Fatal(err)
			}
			out[table] = append(out[table], fmt.Sprint(vals...))
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}
