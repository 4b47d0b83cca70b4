package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/fleet/postgres"
	"github.com/anjungan/anjungan/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func mustOpen(tb testing.TB, dsn string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), dsn, func() time.Time { return t0 })
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

func mustEnrol(tb testing.TB, s *postgres.Store, ids ...string) {
	tb.Helper()
	for _, id := range ids {
		if err := s.Enrol(context.Background(), fleet.Kiosk{ID: id, Name: "MPP " + id, Regency: "3273", Province: "32", EnrolledAt: t0}); err != nil {
			tb.Fatal(err)
		}
	}
}

// prints is a batch of n print outcomes of stream station from seq from.
func prints(from uint64, n int) fleet.Batch {
	b := fleet.Batch{Stream: fleet.StreamStation}
	for i := 0; i < n; i++ {
		seq := from + uint64(i)
		d, _ := json.Marshal(fleet.PrintOutcome{DocumentType: "ktp-el", Outcome: "printed", JobRef: fmt.Sprintf("j%d", seq)})
		b.Events = append(b.Events, fleet.Event{Seq: seq, At: t0.Add(time.Duration(seq) * time.Second), Kind: fleet.KindPrintOutcome, Data: d})
	}
	return b
}

func mustIngest(tb testing.TB, s *postgres.Store, kiosk string, b fleet.Batch, want uint64) {
	tb.Helper()
	got, err := s.Ingest(context.Background(), kiosk, b)
	if err != nil || got != want {
		tb.Fatalf("ingest %s seq %d..: acked %d, %v; want %d", kiosk, b.Events[0].Seq, got, err, want)
	}
}

// counted is what the hub counted for kiosk: stored events and printed
// documents in prints_daily.
func counted(tb testing.TB, pool *pgxpool.Pool, kiosk string) (events, printed int) {
	tb.Helper()
	ctx := context.Background()
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE kiosk = $1`, kiosk).Scan(&events); err != nil {
		tb.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum(count), 0) FROM prints_daily WHERE kiosk = $1 AND outcome = 'printed'`, kiosk).Scan(&printed); err != nil {
		tb.Fatal(err)
	}
	return events, printed
}

// Events are stored once across a resend, an overlapping resend, a hub
// restart and a database restart.
func TestIngestExactlyOnce(t *testing.T) {
	dsn := pgtest.MustDB(t)
	s := mustOpen(t, dsn)
	mustEnrol(t, s, "k1")
	mustIngest(t, s, "k1", prints(1, 10), 10)
	mustIngest(t, s, "k1", prints(1, 10), 10) // the ack was lost: the same batch again
	mustIngest(t, s, "k1", prints(5, 10), 14) // overlapping: 5..10 old, 11..14 new
	s.Close()

	s = mustOpen(t, dsn) // a hub restart
	mustIngest(t, s, "k1", prints(11, 10), 20)
	if err := pgtest.MustCluster(t).Restart(); err != nil {
		t.Fatal(err)
	}
	// The pool's connections died with the server; the first use may
	// fail (the sender retries), and a retry must succeed without double counting.
	var acked uint64
	var err error
	for i := 0; i < 5; i++ {
		if acked, err = s.Ingest(context.Background(), "k1", prints(15, 10)); err == nil {
			break
		}
		if !errors.Is(err, fleet.ErrStoreUnavailable) {
			t.Fatalf("after a database restart: %v", err)
		}
	}
	if err != nil || acked != 24 {
		t.Fatalf("after a database restart: acked %d, %v", acked, err)
	}
	if ev, pr := counted(t, s.Pool(), "k1"); ev != 24 || pr != 24 {
		t.Fatalf("stored %d events, counted %d prints; want 24 and 24", ev, pr)
	}
}

func TestGapRefused(t *testing.T) {
	s := mustOpen(t, pgtest.MustDB(t))
	mustEnrol(t, s, "k1")
	mustIngest(t, s, "k1", prints(1, 3), 3)
	acked, err := s.Ingest(context.Background(), "k1", prints(5, 3))
	if !errors.Is(err, fleet.ErrSequenceGap) || acked != 3 {
		t.Fatalf("a batch from 5 after 3: acked %d, %v; want sequence_gap with acked 3", acked, err)
	}
	if _, err := s.Ingest(context.Background(), "k1", prints(2, 3)); err == nil {
		// 2..3 old, 4 new: no gap
	} else {
		t.Fatal(err)
	}
	acked, err = s.Ingest(context.Background(), "k2", prints(1, 1))
	if !errors.Is(err, fleet.ErrKioskUnknown) {
		t.Fatalf("unknown kiosk: %d, %v", acked, err)
	}
	if ev, _ := counted(t, s.Pool(), "k1"); ev != 4 {
		t.Fatalf("stored %d events, want 4", ev)
	}
	// A stream's first batch must start at 1.
	acked, err = s.Ingest(context.Background(), "k1", fleet.Batch{Stream: fleet.StreamPrinterd, Events: prints(2, 1).Events})
	if !errors.Is(err, fleet.ErrSequenceGap) || acked != 0 {
		t.Fatalf("a new stream from 2: acked %d, %v", acked, err)
	}
}

func TestRevokedRefused(t *testing.T) {
	s := mustOpen(t, pgtest.MustDB(t))
	mustEnrol(t, s, "k1")
	mustIngest(t, s, "k1", prints(1, 1), 1)
	if err := s.Revoke(context.Background(), "k1", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ingest(context.Background(), "k1", prints(2, 1)); !errors.Is(err, fleet.ErrKioskRevoked) {
		t.Fatalf("revoked kiosk: %v", err)
	}
	if ev, _ := counted(t, s.Pool(), "k1"); ev != 1 {
		t.Fatalf("stored %d events, want 1", ev)
	}
}

// Two hubs on one database, each sending every batch of the same kiosks
// (as a kiosk that retried against the other hub would), count each
// print once.
func TestTwoHubsConcurrently(t *testing.T) {
	dsn := pgtest.MustDB(t)
	a, b := mustOpen(t, dsn), mustOpen(t, dsn)
	kiosks := []string{"k1", "k2", "k3"}
	mustEnrol(t, a, kiosks...)
	const batches, size = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for _, hub := range []*postgres.Store{a, b} {
		for _, k := range kiosks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < batches; i++ {
					if _, err := hub.Ingest(context.Background(), k, prints(uint64(i*size+1), size)); err != nil {
						errs <- fmt.Errorf("%s batch %d: %w", k, i, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, k := range kiosks {
		if ev, pr := counted(t, a.Pool(), k); ev != batches*size || pr != batches*size {
			t.Errorf("%s: %d events, %d prints; want %d", k, ev, pr, batches*size)
		}
	}
}

// The projections follow the events.
func TestProjections(t *testing.T) {
	s := mustOpen(t, pgtest.MustDB(t))
	mustEnrol(t, s, "k1")
	ev := func(seq uint64, kind fleet.Kind, v any) fleet.Event {
		d, _ := json.Marshal(v)
		return fleet.Event{Seq: seq, At: t0.Add(time.Duration(seq) * time.Minute), Kind: kind, Data: d}
	}
	mustIngest(t, s, "k1", fleet.Batch{Stream: fleet.StreamPrinterd, Events: []fleet.Event{
		ev(1, fleet.KindPrinterState, fleet.PrinterState{Printer: "card-1", Media: "card", State: "stopped", Reasons: []string{"media-jam"}, Supplies: map[string]int{"ribbon": 40}}),
		ev(2, fleet.KindBlankMovement, fleet.BlankMovement{Printer: "card-1", Kind: "load", Count: 100, Balance: 100}),
		ev(3, fleet.KindBlankMovement, fleet.BlankMovement{Printer: "card-1", Kind: "print", Count: 1, Balance: 99}),
		ev(4, fleet.KindJobState, fleet.JobState{JobRef: "j1", DocumentType: "ktp-el", Media: "card", State: "in_doubt"}),
		ev(5, fleet.KindJobState, fleet.JobState{JobRef: "j2", Media: "card", State: "failed"}),
		ev(6, fleet.KindJobState, fleet.JobState{JobRef: "j2", Media: "card", State: "printed"}),
		ev(7, fleet.KindOutboxBacklog, fleet.OutboxBacklog{Events: 7}),
	}}, 7)
	mustIngest(t, s, "k1", fleet.Batch{Stream: fleet.StreamStation, Events: []fleet.Event{
		ev(1, fleet.KindKioskState, fleet.KioskState{State: "out_of_service", Unavailable: []string{"ktp-el"}, Reasons: []string{"printer_unavailable"}}),
	}}, 1)
	snap, err := s.Snapshot(context.Background(), t0.Add(-7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	k := snap.Kiosks[0]
	if k.State != "out_of_service" || len(k.Unavailable) != 1 || k.LastSeen == nil || !k.LastSeen.Equal(t0) {
		t.Errorf("kiosk: %+v", k)
	}
	if k.Acked[fleet.StreamPrinterd] != 7 || k.Acked[fleet.StreamStation] != 1 || k.Backlog != 7 {
		t.Errorf("acked %v backlog %d", k.Acked, k.Backlog)
	}
	if len(k.Printers) != 1 || k.Printers[0].State != "stopped" || k.Printers[0].Supplies["ribbon"] != 40 {
		t.Errorf("printers: %+v", k.Printers)
	}
	if len(k.Blanks) != 1 || k.Blanks[0].Balance != 99 || k.Blanks[0].Used != 1 {
		t.Errorf("blanks: %+v", k.Blanks)
	}
	if len(k.Waiting) != 1 || k.Waiting[0].JobRef != "j1" || k.Waiting[0].State != "in_doubt" {
		t.Errorf("waiting: %+v", k.Waiting)
	}
}

var nikLike = regexp.MustCompile(`[0-9]{16}`)

// Canary: bodies that carry a NIK anywhere are refused by the decoder,
// and after ingesting what passed, no text in any hub table holds one.
func TestNoNIKInAnyTable(t *testing.T) {
	s := mustOpen(t, pgtest.MustDB(t))
	mustEnrol(t, s, "k1")
	const nik = "3273012501900001"
	bodies := []string{
		`{"stream":"station","events":[{"seq":1,"at":"2026-12-01T08:00:00Z","kind":"print_outcome","data":{"document_type":"ktp-el","outcome":"printed","job_ref":"j1"}}]}`,
		`{"stream":"station","events":[{"seq":2,"at":"2026-12-01T08:00:00Z","kind":"print_outcome","data":{"document_type":"ktp-el","outcome":"printed","job_ref":"` + nik + `"}}]}`,
		`{"stream":"station","events":[{"seq":2,"at":"2026-12-01T08:00:00Z","kind":"print_outcome","data":{"document_type":"ktp-el","outcome":"printed","job_ref":"j2","nik":"` + nik + `"}}]}`,
		`{"stream":"station","events":[{"seq":2,"at":"2026-12-01T08:00:00Z","kind":"login_outcome","data":{"method":"card","code":"ok","subject":"x` + nik + `"}}]}`,
		`{"stream":"station","events":[{"seq":2,"at":"2026-12-01T08:00:00Z","kind":"kiosk_state","data":{"state":"in_service","reasons":["\u0033273012501900001"]}}]}`,
		`{"stream":"station","events":[{"seq":2,"at":"2026-12-01T08:00:00Z","kind":"login_outcome","data":{"method":"card","code":"ok"}}]}`,
	}
	for i, body := range bodies {
		b, err := fleet.DecodeBatch([]byte(body))
		if err != nil {
			continue
		}
		if _, err := s.Ingest(context.Background(), "k1", b); err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
	}
	if ev, _ := counted(t, s.Pool(), "k1"); ev != 2 {
		t.Fatalf("stored %d events, want the 2 without a NIK", ev)
	}
	ctx := context.Background()
	rows, err := s.Pool().Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type IN ('text', 'jsonb', 'ARRAY', 'character varying')`)
	if err != nil {
		t.Fatal(err)
	}
	var cols [][2]string
	for rows.Next() {
		var c [2]string
		if err := rows.Scan(&c[0], &c[1]); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if len(cols) < 20 {
		t.Fatalf("only %d text columns found: the scan is looking in the wrong place", len(cols))
	}
	for _, c := range cols {
		var n int
		q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE %q::text ~ '[0-9]{16}'`, c[0], c[1])
		if err := s.Pool().QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			t.Errorf("%s.%s holds a NIK-like number in %d rows", c[0], c[1], n)
		}
	}
	_ = nikLike
}

// One batch's projections apply in seq order (the last state of a
// printer, a balance, a job wins), and a batch of the most events a
// sender sends counts each once.
func TestProjectionsInSeqOrderWithinABatch(t *testing.T) {
	s := mustOpen(t, pgtest.MustDB(t))
	mustEnrol(t, s, "k1")
	ev := func(seq uint64, kind fleet.Kind, v any) fleet.Event {
		d, _ := json.Marshal(v)
		return fleet.Event{Seq: seq, At: t0.Add(time.Duration(seq) * time.Minute), Kind: kind, Data: d}
	}
	mustIngest(t, s, "k1", fleet.Batch{Stream: fleet.StreamPrinterd, Events: []fleet.Event{
		ev(1, fleet.KindPrinterState, fleet.PrinterState{Printer: "card-1", Media: "card", State: "idle"}),
		ev(2, fleet.KindBlankMovement, fleet.BlankMovement{Printer: "card-1", Kind: "load", Count: 100, Balance: 100}),
		ev(3, fleet.KindJobState, fleet.JobState{JobRef: "q1", Media: "card", State: "failed"}),
		ev(4, fleet.KindPrinterState, fleet.PrinterState{Printer: "card-1", Media: "card", State: "stopped", Reasons: []string{"media-jam"}}),
		ev(5, fleet.KindBlankMovement, fleet.BlankMovement{Printer: "card-1", Kind: "print", Count: 1, Balance: 99}),
		ev(6, fleet.KindJobState, fleet.JobState{JobRef: "q1", Media: "card", State: "printed"}),
		ev(7, fleet.KindJobState, fleet.JobState{JobRef: "q2", Media: "card", State: "printed"}),
		ev(8, fleet.KindJobState, fleet.JobState{JobRef: "q2", Media: "card", State: "in_doubt"}),
		ev(9, fleet.KindOutboxBacklog, fleet.OutboxBacklog{Events: 3}),
		ev(10, fleet.KindOutboxBacklog, fleet.OutboxBacklog{Events: 5}),
	}}, 10)
	mustIngest(t, s, "k1", prints(1, 500), 500)   // their job refs are j1, j2, …
	mustIngest(t, s, "k1", prints(400, 200), 599) // 400..500 resent
	snap, err := s.Snapshot(context.Background(), t0.Add(-7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	k := snap.Kiosks[0]
	if len(k.Printers) != 1 || k.Printers[0].State != "stopped" {
		t.Errorf("printers: %+v", k.Printers)
	}
	if len(k.Blanks) != 1 || k.Blanks[0].Balance != 99 {
		t.Errorf("blanks: %+v", k.Blanks)
	}
	if len(k.Waiting) != 1 || k.Waiting[0].JobRef != "q2" {
		t.Errorf("waiting: %+v", k.Waiting)
	}
	if k.Backlog != 5 || k.BacklogPrev != 3 {
		t.Errorf("backlog %d, before %d; want 5 and 3", k.Backlog, k.BacklogPrev)
	}
	if ev, pr := counted(t, s.Pool(), "k1"); ev != 609 || pr != 599 {
		t.Errorf("%d events, %d prints; want 609 and 599", ev, pr)
	}
}
