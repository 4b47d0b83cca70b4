package station_test

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newSettler(store station.SettlementStore, reg *fakeRegistry, pr *fakePrinters, clock *testClock) *station.Settler {
	return station.NewSettler(station.SettlerConfig{Store: store, Registry: reg, Jobs: pr, Now: clock.Now, Rand: rand.Reader,
		FirstRetry: time.Second, MaxRetry: time.Minute, SubmitGrace: time.Minute})
}

var authzA1 = station.Authorization{ID: "A1", Subject: subject}

// TestSettlerCarriesOnAfterRestart: an outcome recorded by one settler and
// not delivered (the upstream failing) is delivered by the next one on the
// same store, once, after its backoff.
func TestSettlerCarriesOnAfterRestart(t *testing.T) {
	ctx := context.Background()
	store := mustSettlements(t)
	clock := &testClock{now: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	reg := &fakeRegistry{failUntil: 1000}
	pr := &fakePrinters{final: printerd.JobPrinted, jobs: map[string]printerd.Job{}}
	s1 := newSettler(store, reg, pr, clock)
	st, err := s1.Begin(ctx, authzA1, "", "R1", station.KTPEl, 1, "sha")
	mustOK(t, err)
	job, err := pr.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: st.Key, Document: []byte("%PDF-")})
	mustOK(t, err)
	st, err = s1.Submitted(ctx, st, job)
	mustOK(t, err)
	job, _ = pr.Job(ctx, job.ID) // printed
	s1.Observe(ctx, st.ID, job)
	s1.DeliverNow(ctx, st.ID)
	open := s1.Pass(ctx)
	if len(open) != 1 || open[0].Stage != station.SettleOwed || open[0].Owed != station.ResultPrinted || open[0].Tries != 1 || open[0].LastError != "upstream_unavailable" {
		t.Fatalf("open after a failed delivery: %+v", open)
	}

	// A new settler (a restart), the upstream back: nothing before the
	// backoff, then exactly one confirmation.
	reg.mu.Lock()
	reg.failUntil = 0
	reg.mu.Unlock()
	s2 := newSettler(store, reg, pr, clock)
	if open := s2.Pass(ctx); len(open) != 1 || len(reg.confirmed) != 0 {
		t.Fatalf("delivered before the backoff: %+v, %d confirmed", open, len(reg.confirmed))
	}
	clock.Advance(2 * time.Second)
	if open := s2.Pass(ctx); len(open) != 0 {
		t.Fatalf("still open: %+v", open)
	}
	s2.Pass(ctx)
	if len(reg.confirmed) != 1 || reg.confirmed[0].IntentKey != reg.holds[0] || reg.confirmed[0].JobID != string(job.ID) {
		t.Errorf("confirmed %+v, holds %q; want one confirmation under the hold", reg.confirmed, reg.holds)
	}
}

// TestSettlerSubmissionCutShort: a submission answered with an error may
// or may not have reached printerd. Within the grace nothing happens;
// after it, a job found under the key is followed, and a key without a
// job gives the hold back as not submitted.
func TestSettlerSubmissionCutShort(t *testing.T) {
	for _, reached := range []bool{true, false} {
		ctx := context.Background()
		store := mustSettlements(t)
		clock := &testClock{now: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
		reg := &fakeRegistry{}
		pr := &fakePrinters{final: printerd.JobPrinted, jobs: map[string]printerd.Job{}}
		s := newSettler(store, reg, pr, clock)
		st, err := s.Begin(ctx, authzA1, "", "R1", station.KTPEl, 1, "sha")
		mustOK(t, err)
		if reached {
			_, err = pr.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: st.Key, Document: []byte("%PDF-")})
			mustOK(t, err)
		}
		s.SubmitFailed(st)
		if open := s.Pass(ctx); len(open) != 1 || open[0].Stage != station.SettleSubmitting {
			t.Fatalf("reached=%v: within the grace %+v", reached, open)
		}
		clock.Advance(2 * time.Minute)
		s.Pass(ctx)
		s.Pass(ctx)
		switch {
		case reached && (len(reg.confirmed) != 1 || len(reg.reported) != 0):
			t.Errorf("a job found under the key: confirmed %+v, reported %+v; want it followed and confirmed", reg.confirmed, reg.reported)
		case !reached && (len(reg.reported) != 1 || reg.reported[0].Reason != station.ReasonNotSubmitted || reg.reported[0].JobID != "" ||
			reg.reported[0].IntentKey != reg.holds[0]):
			t.Errorf("no job under the key: reported %+v; want the hold given back as not-submitted", reg.reported)
		}
		if open := s.Pass(ctx); len(open) != 0 {
			t.Errorf("reached=%v: still open %+v", reached, open)
		}
	}
}

// TestSettlerHoldRefused: an upstream that refuses or loses the hold
// means nothing is submitted, and the hold is reported given back.
func TestSettlerHoldRefused(t *testing.T) {
	ctx := context.Background()
	store := mustSettlements(t)
	clock := &testClock{now: time.Now()}
	reg := &fakeRegistry{holdErr: station.ErrUpstreamUnavailable.Withf("lost")}
	pr := &fakePrinters{jobs: map[string]printerd.Job{}}
	s := newSettler(store, reg, pr, clock)
	if _, err := s.Begin(ctx, authzA1, "", "R1", station.KTPEl, 1, "sha"); err == nil {
		t.Fatal("Begin without a hold succeeded")
	}
	s.Pass(ctx)
	if len(reg.reported) != 1 || reg.reported[0].Result != station.ResultFailed || reg.reported[0].Reason != station.ReasonNotSubmitted {
		t.Errorf("reported %+v; want the hold given back", reg.reported)
	}
}

func mustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
