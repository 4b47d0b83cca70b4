package journal_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

// MustInDoubt submits a card job under key and leaves it in_doubt on
// printer card-1.
func MustInDoubt(tb testing.TB, j *journal.Journal, key string) printerd.Job {
	tb.Helper()
	ctx := context.Background()
	job := MustSubmit(tb, j, cardRequest(tb, key))
	if _, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); err != nil || !ok {
		tb.Fatalf("ClaimNext: %v, %v", ok, err)
	}
	job, err := j.Finish(ctx, job.ID, printerd.Result{State: printerd.JobInDoubt, Reason: "offline", Printer: "card-1"})
	if err != nil {
		tb.Fatal(err)
	}
	return job
}

func MustTally(tb testing.TB, j *journal.Journal, printer string) printerd.Tally {
	tb.Helper()
	ts, err := j.Tallies(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	for _, t := range ts {
		if t.Printer == printer {
			return t
		}
	}
	return printerd.Tally{Printer: printer}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name        string
		res         printerd.Resolution
		wantErr     error
		wantState   printerd.JobState
		wantReason  string
		wantSerial  string
		wantReprint bool
		wantTally   printerd.Tally
	}{
		{"printed with serial", printerd.Resolution{Action: printerd.ActionPrinted, CardSerial: "C-7", Actor: "sari"},
			nil, printerd.JobPrinted, printerd.ReasonConfirmed, "C-7", false, printerd.Tally{Loaded: 10, Printed: 1}},
		{"printed without serial", printerd.Resolution{Action: printerd.ActionPrinted, Actor: "sari"},
			nil, printerd.JobPrinted, printerd.ReasonConfirmed, "", false, printerd.Tally{Loaded: 10, Printed: 1}},
		{"reprint", printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam, Note: "jammed, nothing came out", Actor: "sari"},
			nil, printerd.JobFailed, printerd.ReasonReprinted, "", true, printerd.Tally{Loaded: 10}},
		{"reprint after a spoiled card", printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeMisprint, CardSerial: "C-8", Actor: "sari"},
			nil, printerd.JobFailed, printerd.ReasonReprinted, "", true, printerd.Tally{Loaded: 10, Voided: 1}},
		{"void", printerd.Resolution{Action: printerd.ActionVoid, ReasonCode: printerd.ReasonCodeWrongData, CardSerial: "C-9", Actor: "sari"},
			nil, printerd.JobFailed, printerd.ReasonVoided, "C-9", false, printerd.Tally{Loaded: 10, Voided: 1}},
		{"reprint without a reason code", printerd.Resolution{Action: printerd.ActionReprint, Actor: "sari"},
			printerd.ErrInvalidRequest, printerd.JobInDoubt, "offline", "", false, printerd.Tally{Loaded: 10}},
		{"reprint with a note and no reason code", printerd.Resolution{Action: printerd.ActionReprint, Note: "jammed", Actor: "sari"},
			printerd.ErrReasonCodeMissing, printerd.JobInDoubt, "offline", "", false, printerd.Tally{Loaded: 10}},
		{"void without a reason code", printerd.Resolution{Action: printerd.ActionVoid, CardSerial: "C-9", Actor: "sari"},
			printerd.ErrReasonCodeMissing, printerd.JobInDoubt, "offline", "", false, printerd.Tally{Loaded: 10}},
		{"reprint for wrong data", printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeWrongData, Actor: "sari"},
			printerd.ErrReasonCodeInvalid, printerd.JobInDoubt, "offline", "", false, printerd.Tally{Loaded: 10}},
		{"unknown reason code", printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: "coffee", Actor: "sari"},
			printerd.ErrReasonCodeInvalid, printerd.JobInDoubt, "offline", "", false, printerd.Tally{Loaded: 10}},
		{"printed with a reason code", printerd.Resolution{Action: printerd.ActionPrinted, ReasonCode: printerd.ReasonCodeJam, Actor: "sari"},
			printerd.ErrReasonCodeInvalid, printerd.JobInDoubt, "offline", "", false, printerd.Tally{Loaded: 10}},
		{"no actor", printerd.Resolution{Action: printerd.ActionPrinted},
			printerd.ErrInvalidRequest, printerd.JobInDoubt, "offline", "", false, printerd.Tally{Loaded: 10}},
		{"unknown action", printerd.Resolution{Action: "shred", Actor: "sari"},
			printerd.ErrInvalidRequest, printerd.JobInDoubt, "offline", "", false, printerd.Tally{Loaded: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			j := MustOpen(t, t.TempDir())
			if _, err := j.RecordLoad(ctx, printerd.Load{Printer: "card-1", Count: 10, Actor: "sari"}); err != nil {
				t.Fatal(err)
			}
			job := MustInDoubt(t, j, "req-1")
			res, err := j.Resolve(ctx, job.ID, tt.res)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Resolve error = %v, want %v", err, tt.wantErr)
			}
			got, _ := j.Get(ctx, job.ID)
			if got.State != tt.wantState || got.Reason != tt.wantReason || got.CardSerial != tt.wantSerial {
				t.Errorf("job = %s/%s/%q, want %s/%s/%q", got.State, got.Reason, got.CardSerial, tt.wantState, tt.wantReason, tt.wantSerial)
			}
			if (res.Reprint != nil) != tt.wantReprint {
				t.Fatalf("reprint = %+v, want one: %v", res.Reprint, tt.wantReprint)
			}
			if res.Reprint != nil {
				r := res.Reprint
				if r.IdempotencyKey != "req-1~2" || r.State != printerd.JobQueued || r.DocumentSHA256 != job.DocumentSHA256 || r.ID == job.ID {
					t.Errorf("reprint job = %+v", r)
				}
				if _, err := j.Document(ctx, r.ID); err != nil {
					t.Errorf("reprint document: %v", err)
				}
			}
			tally := MustTally(t, j, "card-1")
			tt.wantTally.Printer = "card-1"
			if tally != tt.wantTally {
				t.Errorf("tally = %+v, want %+v", tally, tt.wantTally)
			}
			if err != nil {
				return
			}
			evs, _ := j.Events(ctx, job.ID)
			last := evs[len(evs)-1]
			if last.Actor != "sari" || last.From != printerd.JobInDoubt || last.To != tt.wantState {
				t.Errorf("audit event = %+v", last)
			}
			// A resolution is final: a second one is refused.
			if _, err := j.Resolve(ctx, job.ID, tt.res); !errors.Is(err, printerd.ErrJobState) {
				t.Errorf("second Resolve error = %v, want job_state_conflict", err)
			}
		})
	}
}

func TestReprintChain(t *testing.T) {
	ctx := context.Background()
	j := MustOpen(t, t.TempDir())
	MustLoad(t, j, 10)
	first := MustInDoubt(t, j, "req-1")
	res, err := j.Resolve(ctx, first.ID, printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam, Note: "jam", Actor: "sari"})
	if err != nil {
		t.Fatal(err)
	}
	// The reprint is in doubt too, and is reprinted again: print number 3.
	if _, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := j.Finish(ctx, res.Reprint.ID, printerd.Result{State: printerd.JobInDoubt, Printer: "card-1"}); err != nil {
		t.Fatal(err)
	}
	res2, err := j.Resolve(ctx, res.Reprint.ID, printerd.Resolution{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam, Note: "jam again", Actor: "budi"})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Reprint.IdempotencyKey != "req-1~3" {
		t.Errorf("third print key = %q, want req-1~3", res2.Reprint.IdempotencyKey)
	}
	evs, _ := j.Events(ctx, res2.Reprint.ID)
	if len(evs) != 1 || evs[0].Reason != printerd.ReasonReprint || evs[0].Actor != "budi" || evs[0].Note == "" {
		t.Errorf("reprint's submission event = %+v", evs)
	}
	// Resubmitting the original request returns the original, not a copy.
	again, created, err := j.Submit(ctx, cardRequest(t, "req-1"))
	if err != nil || created || again.ID != first.ID {
		t.Errorf("Submit again = %s, %v, %v; want %s", again.ID, created, err, first.ID)
	}
}

func TestRelease(t *testing.T) {
	ctx := context.Background()
	j := MustOpen(t, t.TempDir())
	MustLoad(t, j, 10)
	job := MustSubmit(t, j, cardRequest(t, "k"))
	if _, err := j.Release(ctx, job.ID, "sari"); !errors.Is(err, printerd.ErrJobState) {
		t.Errorf("Release of a queued job = %v, want job_state_conflict", err)
	}
	if _, _, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Finish(ctx, job.ID, printerd.Result{State: printerd.JobHeld, Reason: "media-empty", Printer: "card-1"}); err != nil {
		t.Fatal(err)
	}
	got, err := j.Release(ctx, job.ID, "sari")
	if err != nil || got.State != printerd.JobQueued || got.Reason != printerd.ReasonReleased {
		t.Fatalf("Release = %+v, %v", got, err)
	}
	evs, _ := j.Events(ctx, job.ID)
	if last := evs[len(evs)-1]; last.Actor != "sari" || last.From != printerd.JobHeld {
		t.Errorf("audit event = %+v", last)
	}
}

func TestLedgerCountsDispatches(t *testing.T) {
	ctx := context.Background()
	j := MustOpen(t, t.TempDir())
	for _, l := range []printerd.Load{
		{Printer: "card-1", Count: 50, FirstSerial: "B-0001", LastSerial: "B-0050", Actor: "sari"},
		{Printer: "card-1", Count: 5, Actor: "budi"},
	} {
		if _, err := j.RecordLoad(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := j.RecordLoad(ctx, printerd.Load{Printer: "card-1", Count: 0, Actor: "sari"}); !errors.Is(err, printerd.ErrInvalidRequest) {
		t.Errorf("load of 0 = %v, want request_invalid", err)
	}
	results := []printerd.Result{
		{State: printerd.JobPrinted, CardSerial: "C-1"},
		{State: printerd.JobQueued, Reason: "media-jam", Spoiled: true, CardSerial: "C-2"},
		{State: printerd.JobFailed, Reason: "other"}, // no card left the hopper
		{State: printerd.JobPrinted},
	}
	MustSubmit(t, j, printerd.SubmitRequest{IdempotencyKey: "paper", Media: printerd.MediaA4, Document: MustRead(t, "a4.pdf")})
	for i, r := range results {
		MustSubmit(t, j, cardRequest(t, strconv.Itoa(i)))
		job, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1")
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		r.Printer = "card-1"
		if _, err := j.Finish(ctx, job.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	// Paper is not counted.
	paper, _, _ := j.ClaimNext(ctx, printerd.MediaA4, "paper-1")
	if _, err := j.Finish(ctx, paper.ID, printerd.Result{State: printerd.JobPrinted, Printer: "paper-1"}); err != nil {
		t.Fatal(err)
	}
	want := printerd.Tally{Printer: "card-1", Loaded: 55, Printed: 2, Rejected: 1}
	if got := MustTally(t, j, "card-1"); got != want || got.Remaining() != 52 {
		t.Errorf("tally = %+v (remaining %d), want %+v", got, got.Remaining(), want)
	}
	if got := MustTally(t, j, "paper-1"); got.Used() != 0 {
		t.Errorf("paper tally = %+v, want nothing", got)
	}
}

// BenchmarkSubmitP99 reports the 99th percentile of 1000 durable
// submissions (spool write with fsyncs, committed row), each a distinct
// document.
func BenchmarkSubmitP99(b *testing.B) {
	ctx := context.Background()
	doc := MustRead(b, "card.pdf")
	for b.Loop() {
		j := MustOpen(b, b.TempDir())
		took := make([]time.Duration, 1000)
		for i := range took {
			n := strconv.Itoa(i)
			d := append(bytes.Clone(doc), n...)
			start := time.Now()
			if _, _, err := j.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "p99-" + n, Media: printerd.MediaCard, Document: d}); err != nil {
				b.Fatal(err)
			}
			took[i] = time.Since(start)
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	}
}

// ClaimNext claims a card job only while the claiming printer's ledger
// has a blank card left (loaded − printed − rejected − voided > 0; a
// printer with no load recorded has none). Otherwise it holds the job
// with reason no-blanks in the same transaction: no attempt is counted
// and no card is used. Paper is never held.
func TestClaimHoldsWithoutBlanks(t *testing.T) {
	use := func(r printerd.Result) func(t *testing.T, j *journal.Journal) {
		return func(t *testing.T, j *journal.Journal) {
			job := MustSubmit(t, j, cardRequest(t, "used"))
			if _, ok, err := j.ClaimNext(context.Background(), printerd.MediaCard, "card-1"); !ok || err != nil {
				t.Fatal(ok, err)
			}
			r.Printer = "card-1"
			if _, err := j.Finish(context.Background(), job.ID, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	load := func(printer string, n int) func(t *testing.T, j *journal.Journal) {
		return func(t *testing.T, j *journal.Journal) {
			if _, err := j.RecordLoad(context.Background(), printerd.Load{Printer: printer, Count: n, Actor: "sari"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		setup []func(t *testing.T, j *journal.Journal)
		want  printerd.JobState
	}{
		{"nothing ever loaded", nil, printerd.JobHeld},
		{"loaded into another printer", []func(*testing.T, *journal.Journal){load("card-2", 5)}, printerd.JobHeld},
		{"the last card printed", []func(*testing.T, *journal.Journal){load("card-1", 1), use(printerd.Result{State: printerd.JobPrinted, CardSerial: "C-1"})}, printerd.JobHeld},
		{"the last card spoiled", []func(*testing.T, *journal.Journal){load("card-1", 1), use(printerd.Result{State: printerd.JobQueued, Reason: "media-jam", Spoiled: true})}, printerd.JobHeld},
		{"one card left", []func(*testing.T, *journal.Journal){load("card-1", 2), use(printerd.Result{State: printerd.JobPrinted, CardSerial: "C-1"})}, printerd.JobDispatching},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			j := MustOpen(t, t.TempDir())
			for _, s := range tc.setup {
				s(t, j)
			}
			// A job requeued by the setup (the spoiled card) is claimed
			// first; either way the oldest queued job is the one decided.
			job, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1")
			if !ok && err == nil {
				MustSubmit(t, j, cardRequest(t, "next"))
				job, ok, err = j.ClaimNext(ctx, printerd.MediaCard, "card-1")
			}
			if !ok || err != nil || job.State != tc.want {
				t.Fatalf("ClaimNext = %+v, %v, %v; want %s", job, ok, err, tc.want)
			}
			before := MustTally(t, j, "card-1")
			if tc.want == printerd.JobHeld {
				if job.Reason != printerd.ReasonNoBlanks || job.Printer != "card-1" {
					t.Errorf("held job = %+v, want reason no-blanks on card-1", job)
				}
				if got, _ := j.Get(ctx, job.ID); got.State != printerd.JobHeld || got.Attempts != job.Attempts {
					t.Errorf("stored job = %+v, want held, no attempt counted", got)
				}
				if before.Remaining() < 0 {
					t.Errorf("tally %+v went below zero", before)
				}
			}
			// Paper is not counted: it is claimed whatever the ledger says.
			paper := MustSubmit(t, j, printerd.SubmitRequest{IdempotencyKey: "paper", Media: printerd.MediaA4, Document: MustRead(t, "a4.pdf")})
			if got, ok, err := j.ClaimNext(ctx, printerd.MediaA4, "paper-1"); !ok || err != nil || got.ID != paper.ID || got.State != printerd.JobDispatching {
				t.Errorf("paper ClaimNext = %+v, %v, %v; want dispatching", got, ok, err)
			}
		})
	}
}
