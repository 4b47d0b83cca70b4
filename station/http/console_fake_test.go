package http

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/station"
)

// fakeAudit is an in-memory station.AuditLog: the console's contract, not
// the log's tamper evidence, is under test here.
type fakeAudit struct {
	mu        sync.Mutex
	entries   []station.AuditEntry
	appendErr error
	verifyErr error
	verified  int
}

var _ station.AuditLog = (*fakeAudit)(nil)

func (a *fakeAudit) Append(_ context.Context, e station.AuditEntry) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.appendErr != nil {
		return 0, a.appendErr
	}
	e.Index = int64(len(a.entries))
	a.entries = append(a.entries, e)
	return e.Index, nil
}

func (a *fakeAudit) Entries(_ context.Context, f station.AuditFilter) ([]station.AuditEntry, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []station.AuditEntry
	for i := len(a.entries) - 1; i >= 0 && (f.Limit == 0 || len(out) < f.Limit); i-- {
		e := a.entries[i]
		if (f.Before > 0 && e.Index >= f.Before) || !strings.HasPrefix(e.Kind, f.Kind) ||
			(f.Subject != "" && e.Subject != f.Subject) || (f.Outcome != "" && e.Fields["outcome"] != f.Outcome) ||
			(f.Printer != "" && e.Fields["printer"] != f.Printer) ||
			(!f.From.IsZero() && e.Time.Before(f.From)) || (!f.To.IsZero() && e.Time.After(f.To)) {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

func (a *fakeAudit) SubjectOf(nik station.NIK) string {
	m := hmac.New(sha256.New, []byte("test subject key"))
	m.Write([]byte(nik.Reveal()))
	return hex.EncodeToString(m.Sum(nil))
}

func (a *fakeAudit) Checkpoint(ctx context.Context) ([]byte, error) { return a.LatestCheckpoint(ctx) }

func (a *fakeAudit) LatestCheckpoint(context.Context) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return fmt.Appendf(nil, "anjungan.test/station/audit\n%d\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— anjungan.test/station/audit sig\n", len(a.entries)), nil
}

func (a *fakeAudit) Verify(context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.verified++
	return a.verifyErr
}

// kinds returns the kinds of the entries, oldest first.
func (a *fakeAudit) kinds() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var k []string
	for _, e := range a.entries {
		k = append(k, e.Kind)
	}
	return k
}

func (a *fakeAudit) last() station.AuditEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.entries) == 0 {
		return station.AuditEntry{}
	}
	return a.entries[len(a.entries)-1]
}

// fakePrinterd answers like printerd's client from a fixed set of jobs
// and records every supervisor action it receives.
type fakePrinterd struct {
	mu      sync.Mutex
	jobs    map[printerd.JobID]printerd.Job
	actions []string
	err     error // returned by every call when set
}

var (
	_ ConsolePrinterd   = (*fakePrinterd)(nil)
	_ ConsolePrinterd   = (*client.Client)(nil)
	_ CheckpointFetcher = (*client.Client)(nil)
)

func newFakePrinterd(now time.Time) *fakePrinterd {
	return &fakePrinterd{jobs: map[printerd.JobID]printerd.Job{
		"J1": {ID: "J1", Title: "KTP-el", Media: printerd.MediaCard, State: printerd.JobInDoubt, Printer: "card-1", Created: now, Updated: now},
		"J2": {ID: "J2", Title: "KK", Media: printerd.MediaA4, State: printerd.JobPrinted, Printer: "paper-1", Created: now, Updated: now},
		"J3": {ID: "J3", Title: "KTP-el", Media: printerd.MediaCard, State: printerd.JobHeld, Reason: "media-empty", Created: now, Updated: now},
	}}
}

// ListJobs filters like printerd's journal, but in a fixed order.
func (p *fakePrinterd) ListJobs(_ context.Context, f printerd.JobFilter) ([]printerd.Job, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return nil, p.err
	}
	in := func(t, since, until time.Time) bool {
		return (since.IsZero() || !t.Before(since)) && (until.IsZero() || t.Before(until))
	}
	var out []printerd.Job
	for _, id := range []printerd.JobID{"J1", "J2", "J3", "J4"} {
		if j, ok := p.jobs[id]; ok && (f.State == "" || j.State == f.State) && in(j.Created, f.Since, f.Until) && in(j.Updated, f.UpdatedSince, f.UpdatedUntil) {
			out = append(out, j)
		}
	}
	return out, nil
}

func (p *fakePrinterd) Job(_ context.Context, id printerd.JobID) (printerd.Job, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	j, ok := p.jobs[id]
	if !ok {
		return printerd.Job{}, printerd.ErrJobNotFound.Withf("%s", id)
	}
	return j, nil
}

func (p *fakePrinterd) Printers(context.Context) ([]printerd.PrinterInfo, error) {
	if p.err != nil {
		return nil, p.err
	}
	return []printerd.PrinterInfo{
		{Name: "card-1", Driver: "sim", Media: printerd.MediaCard, Status: printerd.Status{State: printerd.PrinterStopped,
			Reasons:  []printerd.Reason{{Keyword: "media-jam", Severity: printerd.SeverityError}},
			Supplies: []printerd.Supply{{Name: "YMCKO ribbon", Level: 180, Max: 250, Unit: "panels"}}}},
		{Name: "paper-1", Driver: "sim", Media: printerd.MediaA4, Status: printerd.Status{State: printerd.PrinterIdle}},
	}, nil
}

func (p *fakePrinterd) Ledger(context.Context) ([]printerd.LedgerEntry, error) {
	if p.err != nil {
		return nil, p.err
	}
	return []printerd.LedgerEntry{{Tally: printerd.Tally{Printer: "card-1", Loaded: 100, Printed: 95}, Media: printerd.MediaCard,
		Remaining: 5, LowStock: 10, Alerts: []string{printerd.AlertLowStock}}}, nil
}

func (p *fakePrinterd) record(format string, args ...any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.actions = append(p.actions, fmt.Sprintf(format, args...))
	return nil
}

func (p *fakePrinterd) LoadCards(_ context.Context, l printerd.Load) (printerd.Load, error) {
	if err := l.Validate(); err != nil {
		return printerd.Load{}, err
	}
	return l, p.record("load %s %d by %s", l.Printer, l.Count, l.Actor)
}

func (p *fakePrinterd) Resolve(_ context.Context, id printerd.JobID, r printerd.Resolution) (printerd.Resolved, error) {
	if err := r.Validate(); err != nil {
		return printerd.Resolved{}, err
	}
	if _, err := p.Job(context.Background(), id); err != nil {
		return printerd.Resolved{}, err
	}
	if err := p.record("resolve %s %s by %s", id, r.Action, r.Actor); err != nil {
		return printerd.Resolved{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	j := p.jobs[id]
	res := printerd.Resolved{Job: j}
	switch r.Action {
	case printerd.ActionPrinted:
		j.State, j.Reason = printerd.JobPrinted, printerd.ReasonConfirmed
	case printerd.ActionReprint:
		j.State, j.Reason = printerd.JobFailed, printerd.ReasonReprinted
		re := printerd.Job{ID: "J4", Title: j.Title, Media: j.Media, State: printerd.JobQueued, Reason: printerd.ReasonReprint}
		p.jobs[re.ID] = re
		res.Reprint = &re
	case printerd.ActionVoid:
		j.State, j.Reason = printerd.JobFailed, printerd.ReasonVoided
	}
	p.jobs[id] = j
	res.Job = j
	return res, nil
}

func (p *fakePrinterd) Release(_ context.Context, id printerd.JobID, actor string) (printerd.Job, error) {
	if err := p.record("release %s by %s", id, actor); err != nil {
		return printerd.Job{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jobs[id], nil
}

func (p *fakePrinterd) ResumePrinter(_ context.Context, printer, actor string) error {
	return p.record("resume %s by %s", printer, actor)
}

func (p *fakePrinterd) done() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.actions...)
}

// fakeCheckpoints is printerd's checkpoint endpoint.
type fakeCheckpoints struct{}

func (fakeCheckpoints) Checkpoint(context.Context) ([]byte, error) {
	return []byte("anjungan.test/printerd/audit\n7\nBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=\n\n— anjungan.test/printerd/audit sig\n"), nil
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func auditEntry(kind, subject string, t time.Time) station.AuditEntry {
	return station.AuditEntry{Time: t, Kind: kind, Actor: "kiosk", Subject: subject, Fields: map[string]string{"outcome": "ok"}}
}

func mustNIK(tb interface {
	Helper()
	Fatal(...any)
}, s string) station.NIK {
	tb.Helper()
	n, err := station.ParseNIK(s)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func (p *fakePrinterd) ClearFaults(_ context.Context, printer string) error {
	return p.record("clear %s", printer)
}

// fakePINs records the lockouts lifted; a unit test of the console's
// form. The real lift (kiosk and registry-sim) is in cmd/internal/e2e.
type fakePINs struct {
	mu     sync.Mutex
	lifted []string // masked NIK and reason
}

var _ station.PINLockouts = (*fakePINs)(nil)

func (p *fakePINs) LiftPINLockout(_ context.Context, nik station.NIK, reason station.PINLiftReason) (station.PINLift, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lifted = append(p.lifted, nik.Masked()+" "+string(reason))
	return station.PINLift{Kiosk: true, Upstream: true}, nil
}

func (p *fakePrinterd) JobHistory(ctx context.Context, id printerd.JobID) ([]printerd.JobEvent, error) {
	j, err := p.Job(ctx, id)
	if err != nil {
		return nil, err
	}
	return []printerd.JobEvent{{Time: j.Created, To: printerd.JobQueued}, {Time: j.Updated, From: printerd.JobQueued, To: j.State, Reason: j.Reason, Printer: j.Printer}}, nil
}
