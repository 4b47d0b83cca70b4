package station_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/sqlite"
)

// The fakes below stand in for the adapters in this unit test of the
// kiosk's own rules; the end-to-end test runs the real ones.

type fakeRegistry struct {
	mu         sync.Mutex
	authz      station.Authorization
	failUntil  int // ConfirmPrint/ReportPrint fail this many times first
	calls      int
	confirmed  []station.PrintOutcome
	released   []station.RequestID
	reported   []station.PrintOutcome
	holds      []string
	holdErr    error // HoldForPrint's answer
	documentOf func(station.RequestID) station.Document
}

func (r *fakeRegistry) AuthenticateTicket(context.Context, station.Ticket) (station.Authorization, error) {
	return r.authz, nil
}
func (r *fakeRegistry) AuthenticatePIN(_ context.Context, nik station.NIK, pin string) (station.Authorization, error) {
	if pin != "123456" {
		return station.Authorization{}, station.ErrCredentialsRejected
	}
	return r.authz, nil
}
func (r *fakeRegistry) AuthenticateCard(ctx context.Context, nik station.NIK, pin string) (station.Authorization, error) {
	return r.AuthenticatePIN(ctx, nik, pin)
}
func (r *fakeRegistry) Document(_ context.Context, _ station.Authorization, id station.RequestID) (station.Document, error) {
	return r.documentOf(id), nil
}
func (r *fakeRegistry) settle(o station.PrintOutcome, into *[]station.PrintOutcome) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls <= r.failUntil {
		return station.ErrUpstreamUnavailable.Withf("fake outage")
	}
	*into = append(*into, o)
	return nil
}
func (r *fakeRegistry) ConfirmPrint(_ context.Context, o station.PrintOutcome) (bool, error) {
	return true, r.settle(o, &r.confirmed)
}
func (r *fakeRegistry) Release(_ context.Context, _ station.Authorization, id station.RequestID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.released = append(r.released, id)
	return nil
}

func (r *fakeRegistry) ReportPrint(_ context.Context, o station.PrintOutcome) error {
	return r.settle(o, &r.reported)
}

func (r *fakeRegistry) HoldForPrint(_ context.Context, _ station.Authorization, id station.RequestID, key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.holds = append(r.holds, key)
	return r.holdErr
}

// mustSettlements is a settlement store in a real SQLite file.
func mustSettlements(tb testing.TB) station.SettlementStore {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "station.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return sqlite.Settlements{DB: db}
}

type fakeTickets struct{}

func (fakeTickets) Verify(text string, _ time.Time) (station.Ticket, error) {
	if text != "TK1:GOOD" {
		return station.Ticket{}, station.ErrTicketInvalid
	}
	return station.Ticket{ID: "00"}, nil
}

// upstreamSigned takes every document as the upstream's, signed and
// unaltered: the kiosk's own checks of the QR are docqr's and the
// end-to-end tests'.
type upstreamSigned struct{}

func (upstreamSigned) VerifyDocument(station.Document) error { return nil }

type fakeRenderer struct{}

func (fakeRenderer) Render(_ context.Context, d station.Document) (station.Rendered, error) {
	return station.Rendered{PDF: []byte("%PDF-" + d.Fields["nama"]), SHA256: "sha-" + string(d.Request), Pages: 1}, nil
}

// fakePrinters ends every job in the state final. Like printerd, it
// refuses a key submitted again with another document, naming its job.
type fakePrinters struct {
	mu      sync.Mutex
	avail   []printerd.Availability
	lastDoc []byte
	final   printerd.JobState
	jobs    map[string]printerd.Job
	submits int
	// lostAnswers: the next submissions are recorded but answered with
	// journal_unavailable, as when a commit's sync fails.
	lostAnswers int
}

func (p *fakePrinters) Submit(_ context.Context, req printerd.SubmitRequest) (printerd.Job, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.submits++
	p.lastDoc = req.Document
	if j, ok := p.jobs[req.IdempotencyKey]; ok {
		if j.DocumentSHA256 != string(req.Document) {
			return j, printerd.ErrIdempotencyConflict.Withf("key of job %s submitted again with another document", j.ID)
		}
		return j, nil
	}
	j := printerd.Job{ID: printerd.JobID("J" + req.IdempotencyKey[:6]), IdempotencyKey: req.IdempotencyKey, State: printerd.JobQueued, Printer: "card-1",
		DocumentSHA256: string(req.Document)} // the document itself stands in for its hash
	p.jobs[req.IdempotencyKey] = j
	if p.lostAnswers > 0 {
		p.lostAnswers--
		return printerd.Job{}, printerd.ErrJournal.Withf("sync failed")
	}
	return j, nil
}

func (p *fakePrinters) Availability(context.Context) ([]printerd.Availability, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.avail == nil { // unset: every printer ready
		return []printerd.Availability{{Media: printerd.MediaCard, Available: true}, {Media: printerd.MediaA4, Available: true}}, nil
	}
	return p.avail, nil
}

func (p *fakePrinters) RenewPresence(_ context.Context, id string, ttl time.Duration) (printerd.PresenceLease, error) {
	return printerd.PresenceLease{ID: id, Until: time.Now().Add(ttl)}, nil
}

func (p *fakePrinters) EndPresence(context.Context, string) ([]printerd.Job, error) { return nil, nil }

func (p *fakePrinters) Reattach(_ context.Context, id printerd.JobID, _ string) (printerd.Job, error) {
	return printerd.Job{}, printerd.ErrJobState.Withf("job %s is not held for an absent citizen", id)
}

func (p *fakePrinters) JobByKey(ctx context.Context, key string) (printerd.Job, bool, error) {
	p.mu.Lock()
	j, ok := p.jobs[key]
	p.mu.Unlock()
	if !ok {
		return printerd.Job{}, false, nil
	}
	j, err := p.Job(ctx, j.ID)
	return j, err == nil, err
}

func (p *fakePrinters) Job(_ context.Context, id printerd.JobID) (printerd.Job, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, j := range p.jobs {
		if j.ID == id {
			j.State = p.final
			if p.final == printerd.JobPrinted {
				j.CardSerial = "SIM-1"
			}
			p.jobs[k] = j
			return j, nil
		}
	}
	return printerd.Job{}, errors.New("no such job")
}

var subject = station.MustParseNIK("3174011201850001")

func newKiosk(t *testing.T, final printerd.JobState, failUntil int) (*station.Kiosk, *fakeRegistry, *fakePrinters) {
	t.Helper()
	reg := &fakeRegistry{
		authz: station.Authorization{ID: "A1", Subject: subject, Method: station.AuthTicket, Requests: []station.PrintRequest{
			{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved},
			{ID: "R2", Document: station.KK, Status: station.RequestPrinted},
		}},
		failUntil:  failUntil,
		documentOf: ktpNamed("BUDI"),
	}
	pr := &fakePrinters{final: final, jobs: map[string]printerd.Job{}}
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(t),
		Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{}, Printers: pr,
		Now: time.Now, Rand: rand.Reader, PollEvery: time.Millisecond,
		Settle: station.SettlerConfig{Every: 5 * time.Millisecond, FirstRetry: time.Millisecond, MaxRetry: 10 * time.Millisecond},
	})
	t.Cleanup(k.Close)
	return k, reg, pr
}

// waitSettled waits until the upstream has been told n outcomes.
func waitSettled(tb testing.TB, reg *fakeRegistry, n int) {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		reg.mu.Lock()
		got := len(reg.confirmed) + len(reg.reported)
		reg.mu.Unlock()
		if got >= n {
			return
		}
	}
	tb.Fatalf("the upstream was never told %d outcomes", n)
}

// ktpNamed serves every request as a KTP-el of name.
func ktpNamed(name string) func(station.RequestID) station.Document {
	return func(id station.RequestID) station.Document {
		return station.Document{Request: id, Type: station.KTPEl, Subject: subject, Fields: map[string]string{"nama": name}}
	}
}

// mustLoginAndPrint logs in with the good ticket and prints R1.
func mustLoginAndPrint(t *testing.T, k *station.Kiosk) (*station.Session, station.Print) {
	t.Helper()
	ctx := context.Background()
	s, err := k.LoginTicket(ctx, "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.Print(ctx, s.ID, "R1")
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

func waitState(t *testing.T, k *station.Kiosk, sid string, want station.PrintState) station.Print {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s, err := k.Session(sid)
		if err != nil {
			t.Fatal(err)
		}
		if p := s.Prints["R1"]; p != nil && p.State == want {
			return *p
		}
	}
	t.Fatalf("print never reached %s", want)
	return station.Print{}
}

func TestKioskSettlesEachOutcome(t *testing.T) {
	tests := []struct {
		name          string
		final         printerd.JobState
		failUntil     int
		want          station.PrintState
		wantConfirmed bool
		wantResult    station.PrintResult
	}{
		{"printed is confirmed", printerd.JobPrinted, 0, station.PrintDone, true, station.ResultPrinted},
		{"confirmation retried through an outage", printerd.JobPrinted, 3, station.PrintDone, true, station.ResultPrinted},
		{"failed is reported, not confirmed", printerd.JobFailed, 0, station.PrintFailed, false, station.ResultFailed},
		{"canceled is reported as failed", printerd.JobCanceled, 0, station.PrintFailed, false, station.ResultFailed},
		{"in doubt is reported as in doubt", printerd.JobInDoubt, 1, station.PrintInDoubt, false, station.ResultInDoubt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, reg, _ := newKiosk(t, tt.final, tt.failUntil)
			s, err := k.LoginTicket(context.Background(), "TK1:GOOD")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.Print(context.Background(), s.ID, "R1"); err != nil {
				t.Fatal(err)
			}
			p := waitState(t, k, s.ID, tt.want)
			waitSettled(t, reg, 1)
			reg.mu.Lock()
			defer reg.mu.Unlock()
			got := reg.reported
			if tt.wantConfirmed {
				got = reg.confirmed
			}
			if len(reg.confirmed)+len(reg.reported) != 1 || len(got) != 1 {
				t.Fatalf("confirmed %d, reported %d; want exactly one %s", len(reg.confirmed), len(reg.reported), tt.wantResult)
			}
			o := got[0]
			// Each outcome names the hold it settles and has a key of its own.
			if o.Result != tt.wantResult || o.Request != "R1" || len(reg.holds) != 1 || o.IntentKey != reg.holds[0] ||
				o.IdempotencyKey == o.IntentKey || o.PDFSHA256 != "sha-R1" {
				t.Errorf("outcome %+v, holds %q", o, reg.holds)
			}
			if tt.wantConfirmed && o.CardSerial != "SIM-1" {
				t.Errorf("card serial %q not passed on", o.CardSerial)
			}
			if !tt.wantConfirmed && p.Err == nil {
				t.Error("the citizen is not told what went wrong")
			}
		})
	}
}

func TestKioskPrintRules(t *testing.T) {
	k, _, pr := newKiosk(t, printerd.JobPrinted, 0)
	ctx := context.Background()
	s, err := k.LoginPIN(ctx, subject.Reveal(), "123456")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Print(ctx, s.ID, "R2"); !errors.Is(err, station.ErrAlreadyPrinted) {
		t.Errorf("printing a printed request: %v, want ErrAlreadyPrinted", err)
	}
	if _, err := k.Print(ctx, s.ID, "R9"); !errors.Is(err, station.ErrRequestNotFound) {
		t.Errorf("printing an unknown request: %v, want ErrRequestNotFound", err)
	}
	if _, err := k.Print(ctx, "nope", "R1"); !errors.Is(err, station.ErrSessionExpired) {
		t.Errorf("unknown session: %v, want ErrSessionExpired", err)
	}
	p1, err := k.Print(ctx, s.ID, "R1")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := k.Print(ctx, s.ID, "R1")
	if err != nil || p2.Job != p1.Job {
		t.Errorf("second tap: %+v, %v; want the same job %s", p2, err, p1.Job)
	}
	if pr.submits != 1 {
		t.Errorf("%d submissions for one tap twice, want 1", pr.submits)
	}
	k.Logout(s.ID)
	if _, err := k.Session(s.ID); !errors.Is(err, station.ErrSessionExpired) {
		t.Errorf("session after logout: %v", err)
	}
}

func TestKioskLoginRefusals(t *testing.T) {
	k, reg, _ := newKiosk(t, printerd.JobPrinted, 0)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		do   func() error
		want error
	}{
		{"bad ticket", func() error { _, err := k.LoginTicket(ctx, "TK1:BAD"); return err }, station.ErrTicketInvalid},
		{"bad NIK", func() error { _, err := k.LoginPIN(ctx, "123", "123456"); return err }, station.ErrNIKInvalid},
		{"malformed PIN", func() error { _, err := k.LoginPIN(ctx, subject.Reveal(), "12a456"); return err }, station.ErrCredentialsRejected},
		{"wrong PIN", func() error { _, err := k.LoginPIN(ctx, subject.Reveal(), "654321"); return err }, station.ErrCredentialsRejected},
	} {
		if err := tt.do(); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	reg.authz.Requests = []station.PrintRequest{{ID: "R2", Document: station.KK, Status: station.RequestPrinted}}
	if _, err := k.LoginTicket(ctx, "TK1:GOOD"); !errors.Is(err, station.ErrNothingToPrint) {
		t.Errorf("nothing approved: %v, want ErrNothingToPrint", err)
	}
}

func TestKioskSessionsExpire(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	reg := &fakeRegistry{authz: station.Authorization{ID: "A1", Subject: subject, Requests: []station.PrintRequest{{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}}}
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(t), Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{},
		Printers: &fakePrinters{jobs: map[string]printerd.Job{}}, Now: clock, Rand: rand.Reader, SessionTTL: time.Minute})
	defer k.Close()
	s, err := k.LoginTicket(context.Background(), "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	if _, err := k.Session(s.ID); !errors.Is(err, station.ErrSessionExpired) {
		t.Errorf("idle session: %v, want ErrSessionExpired", err)
	}
}

type memUsed struct {
	mu  sync.Mutex
	ids map[string]time.Time
}

func (u *memUsed) Used(_ context.Context, id string) (bool, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.ids[id]
	return ok, nil
}

func (u *memUsed) MarkUsed(_ context.Context, id string, at time.Time) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.ids[id] = at
	return nil
}

// TestKioskRefusesReplayLocally marks a ticket used once the upstream
// burns its token, and then refuses it without asking the upstream.
func TestKioskRefusesReplayLocally(t *testing.T) {
	reg := &fakeRegistry{
		authz:      station.Authorization{ID: "A1", Subject: subject, Requests: []station.PrintRequest{{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}},
		documentOf: ktpNamed("BUDI"),
	}
	used := &memUsed{ids: map[string]time.Time{}}
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(t), Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{},
		Printers: &fakePrinters{final: printerd.JobPrinted, jobs: map[string]printerd.Job{}}, Used: used,
		Now: time.Now, Rand: rand.Reader, PollEvery: time.Millisecond})
	defer k.Close()
	ctx := context.Background()
	s, _ := mustLoginAndPrint(t, k)
	waitState(t, k, s.ID, station.PrintDone)
	if ok, _ := used.Used(ctx, "00"); !ok {
		t.Fatal("burned ticket not recorded as used")
	}
	if _, err := k.LoginTicket(ctx, "TK1:GOOD"); !errors.Is(err, station.ErrTicketUsed) {
		t.Errorf("replay: %v, want ErrTicketUsed", err)
	}
}

func TestAvailability(t *testing.T) {
	tests := []struct {
		name  string
		media []printerd.Availability
		card  string // "" ready, else the reason
		kk    string
	}{
		{"both ready", []printerd.Availability{{Media: printerd.MediaCard, Available: true}, {Media: printerd.MediaA4, Available: true}}, "", ""},
		{"blanks used up", []printerd.Availability{{Media: printerd.MediaCard, Reason: "no-blanks"}, {Media: printerd.MediaA4, Available: true}}, "no-blanks", ""},
		{"paper jam", []printerd.Availability{{Media: printerd.MediaCard, Available: true}, {Media: printerd.MediaA4, Reason: "media-jam"}}, "", "media-jam"},
		{"no paper printer", []printerd.Availability{{Media: printerd.MediaCard, Available: true}}, "", "no-printer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, _, pr := newKiosk(t, printerd.JobPrinted, 0)
			pr.avail = tt.media
			as, err := k.Availability(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range as {
				want := tt.card
				if spec, _ := station.SpecOf(a.Document); spec.Media == printerd.MediaA4 {
					want = tt.kk // every document on paper, as the KK
				}
				if a.Ready != (want == "") || a.Reason != want {
					t.Errorf("%s: ready=%v reason=%q, want reason %q", a.Document, a.Ready, a.Reason, want)
				}
			}
		})
	}
}

type fakeCards struct{ nik station.NIK }

func (c fakeCards) ReadNIK(ctx context.Context) (station.NIK, error) {
	if c.nik.IsZero() {
		<-ctx.Done()
		return station.NIK{}, ctx.Err()
	}
	return c.nik, nil
}

func TestKioskCardLogin(t *testing.T) {
	reg := &fakeRegistry{authz: station.Authorization{ID: "A1", Subject: subject, Method: station.AuthCard,
		Requests: []station.PrintRequest{{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}}}
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(t), Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{},
		Printers: &fakePrinters{jobs: map[string]printerd.Job{}}, Cards: fakeCards{nik: subject}, Now: time.Now, Rand: rand.Reader})
	defer k.Close()
	ctx := context.Background()
	id, masked, err := k.ReadCard(ctx)
	if err != nil || masked != subject.Masked() {
		t.Fatalf("read: %q %v", masked, err)
	}
	if _, err := k.LoginCard(ctx, id, "654321"); !errors.Is(err, station.ErrCredentialsRejected) {
		t.Fatalf("wrong PIN: %v", err)
	}
	// A read is used once: after a wrong PIN the citizen taps again.
	if _, err := k.LoginCard(ctx, id, "123456"); !errors.Is(err, station.ErrCardUnreadable) {
		t.Fatalf("second PIN on the same read: %v", err)
	}
	id, _, _ = k.ReadCard(ctx)
	s, err := k.LoginCard(ctx, id, "123456")
	if err != nil || s.Authz.Subject != subject {
		t.Fatalf("card login: %v", err)
	}

	// No card tapped: the wait ends with ErrCardWaiting, not an error screen.
	empty := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(t), Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{},
		Printers: &fakePrinters{jobs: map[string]printerd.Job{}}, Cards: fakeCards{}, Now: time.Now, Rand: rand.Reader})
	defer empty.Close()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, _, err := empty.ReadCard(wctx); !errors.Is(err, station.ErrCardWaiting) {
		t.Errorf("no card: %v", err)
	}
}

// TestKioskReleasesUnprintedPreviews gives back a document the citizen
// previewed but did not print: on request, and when the session ends.
// TestKioskNewLoginEndsThePrevious: one kiosk has one citizen. A login
// ends the session before it as a logout does: its pages are told, what
// it fetched for a preview is given back, and however many logins come,
// one session is live.
func TestKioskNewLoginEndsThePrevious(t *testing.T) {
	k, reg, _ := newKiosk(t, printerd.JobPrinted, 0)
	ctx := context.Background()
	first, err := k.LoginTicket(ctx, "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Prepare(ctx, first.ID, "R1"); err != nil {
		t.Fatal(err)
	}
	changes, stop, err := k.Watch(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var ids []string
	for i := 0; i < 50; i++ {
		s, err := k.LoginPIN(ctx, subject.Reveal(), "123456")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}
	if _, err := k.Session(first.ID); !errors.Is(err, station.ErrSessionExpired) {
		t.Errorf("the previous citizen's session after a new login: %v, want ErrSessionExpired", err)
	}
	for _, id := range ids[:len(ids)-1] {
		if _, err := k.Session(id); !errors.Is(err, station.ErrSessionExpired) {
			t.Fatalf("an older session is still live after %d logins: %v", len(ids), err)
		}
	}
	if _, err := k.Session(ids[len(ids)-1]); err != nil {
		t.Errorf("the newest session: %v", err)
	}
	for ended := false; !ended; {
		select {
		case s := <-changes:
			ended = s == nil
		case <-time.After(10 * time.Second):
			t.Fatal("the previous session's page was never told it ended")
		}
	}
	k.Close() // waits for the background release
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if len(reg.released) != 1 {
		t.Errorf("released %v; want the previous citizen's preview given back", reg.released)
	}
}

// TestKioskNewLoginMidPreparation: a login that ends the previous
// session while that session's document is being fetched still gives the
// document back once the fetch is done; kept, it would stay reserved for
// the previous citizen and the next one could not print it.
func TestKioskNewLoginMidPreparation(t *testing.T) {
	k, reg, _ := newKiosk(t, printerd.JobPrinted, 0)
	fetching, proceed := make(chan struct{}), make(chan struct{})
	reg.documentOf = func(id station.RequestID) station.Document {
		close(fetching)
		<-proceed
		return ktpNamed("BUDI")(id)
	}
	ctx := context.Background()
	first, err := k.LoginTicket(ctx, "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	prepared := make(chan error, 1)
	go func() {
		_, err := k.Prepare(ctx, first.ID, "R1")
		prepared <- err
	}()
	<-fetching
	if _, err := k.LoginPIN(ctx, subject.Reveal(), "123456"); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	if err := <-prepared; err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		reg.mu.Lock()
		n := len(reg.released)
		reg.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("released %d documents; want the ended session's R1 given back", n)
		}
	}
}

func TestKioskReleasesUnprintedPreviews(t *testing.T) {
	k, reg, pr := newKiosk(t, printerd.JobPrinted, 0)
	ctx := context.Background()
	s, _ := k.LoginTicket(ctx, "TK1:GOOD")
	if _, err := k.Prepare(ctx, s.ID, "R1"); err != nil {
		t.Fatal(err)
	}
	if err := k.Release(ctx, s.ID, "R1"); err != nil {
		t.Fatal(err)
	}
	// Prepared again, then the citizen walks away: logout releases it.
	if _, err := k.Prepare(ctx, s.ID, "R1"); err != nil {
		t.Fatal(err)
	}
	k.Logout(s.ID)
	k.Close() // waits for the background release
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if len(reg.released) != 2 || pr.submits != 0 {
		t.Errorf("released %v with %d submissions; want R1 twice and nothing printed", reg.released, pr.submits)
	}
}

// fakeNotices is printerd's event stream under the test's control: each
// subscription is a channel the test feeds and may close (a restart).
type fakeNotices struct {
	subs chan chan printerd.Notice
}

func (f *fakeNotices) Events(ctx context.Context) (<-chan printerd.Notice, error) {
	ch := make(chan printerd.Notice, 16)
	select {
	case f.subs <- ch:
		return ch, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestKioskFollowsNotices drives a print with notices only (the poll is
// an hour away and printerd's poll answer never moves): each state
// reaches the session's watcher in order, with printerd's estimate as the
// time the print should be done; a broken stream is subscribed again.
func TestKioskFollowsNotices(t *testing.T) {
	k, reg, notices := newNoticeKiosk(t, &fakePrinters{final: printerd.JobQueued, jobs: map[string]printerd.Job{}})
	stream := <-notices.subs

	s, err := k.LoginTicket(context.Background(), "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	changes, stop, err := k.Watch(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	p, err := k.Print(context.Background(), s.ID, "R1")
	if err != nil {
		t.Fatal(err)
	}

	// printerd restarts: the stream ends and the kiosk subscribes again.
	close(stream)
	stream = <-notices.subs

	t0 := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	job := printerd.Job{ID: p.Job, State: printerd.JobDispatching, Printer: "card-1", Updated: t0}
	stream <- printerd.Notice{Kind: printerd.NoticeJob, Job: &job, Time: t0, EstimateMS: 30000}
	late := printerd.Job{ID: p.Job, State: printerd.JobQueued, Updated: t0.Add(-time.Second)}
	stream <- printerd.Notice{Kind: printerd.NoticeJob, Job: &late, Time: t0.Add(-time.Second)} // older than shown: ignored
	done := printerd.Job{ID: p.Job, State: printerd.JobPrinted, Printer: "card-1", CardSerial: "SIM-7", Updated: t0.Add(20 * time.Second)}
	stream <- printerd.Notice{Kind: printerd.NoticeJob, Job: &done, Time: t0.Add(20 * time.Second)}

	var states []station.PrintState
	var until time.Time
	for deadline := time.After(10 * time.Second); ; { // stops a hung test only
		var sess *station.Session
		select {
		case sess = <-changes:
		case <-deadline:
			t.Fatalf("print never settled; states seen %v", states)
		}
		if sess == nil {
			t.Fatalf("session ended; states seen %v", states)
		}
		pr := sess.Prints["R1"]
		if pr == nil {
			continue
		}
		if len(states) == 0 || states[len(states)-1] != pr.State {
			states = append(states, pr.State)
		}
		if pr.State == station.PrintPrinting {
			until = pr.Until
		}
		if pr.State == station.PrintDone {
			if !pr.Until.IsZero() {
				t.Errorf("done print still has a time left until %v", pr.Until)
			}
			break
		}
	}
	want := []station.PrintState{station.PrintPreparing, station.PrintPreview, station.PrintQueued, station.PrintPrinting, station.PrintDone}
	if fmt.Sprint(states) != fmt.Sprint(want) {
		t.Errorf("states %v, want %v", states, want)
	}
	if !until.Equal(t0.Add(30 * time.Second)) {
		t.Errorf("printing until %v, want the notice's time plus the estimate, %v", until, t0.Add(30*time.Second))
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if len(reg.confirmed) != 1 || reg.confirmed[0].CardSerial != "SIM-7" {
		t.Errorf("confirmed %+v, want the printed notice's job", reg.confirmed)
	}
}

// maskRenderer renders like fakeRenderer with the given masks.
type maskRenderer struct{ masks []station.Mask }

func (r maskRenderer) Render(ctx context.Context, d station.Document) (station.Rendered, error) {
	out, err := fakeRenderer{}.Render(ctx, d)
	out.Masks = r.masks
	return out, err
}

func TestKioskPreviewMasks(t *testing.T) {
	tests := []struct {
		name  string
		masks []station.Mask
		want  []station.Mask
	}{
		{"none yet", nil, nil},
		{"kept", []station.Mask{{Page: 0, X: 0.1, Y: 0.2, W: 0.3, H: 0.1}}, []station.Mask{{Page: 0, X: 0.1, Y: 0.2, W: 0.3, H: 0.1}}},
		{"clipped to the page", []station.Mask{{Page: 0, X: 0.8, Y: -0.1, W: 0.4, H: 0.2}}, []station.Mask{{Page: 0, X: 0.8, Y: 0, W: 0.2, H: 0.1}}},
		{"page the document lacks", []station.Mask{{Page: 1, X: 0, Y: 0, W: 1, H: 1}}, nil},
		{"empty or not a number", []station.Mask{{Page: 0, X: 0.5, Y: 0.5}, {Page: 0, X: math.NaN(), Y: 0, W: 1, H: 1}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := &fakeRegistry{
				authz: station.Authorization{ID: "A1", Subject: subject, Requests: []station.PrintRequest{{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}},
				documentOf: func(id station.RequestID) station.Document {
					return station.Document{Request: id, Type: station.KTPEl, Subject: subject}
				},
			}
			k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(t), Registry: reg, Tickets: fakeTickets{}, Renderer: maskRenderer{tt.masks},
				Printers: &fakePrinters{jobs: map[string]printerd.Job{}}, Now: time.Now, Rand: rand.Reader})
			defer k.Close()
			s, err := k.LoginTicket(context.Background(), "TK1:GOOD")
			if err != nil {
				t.Fatal(err)
			}
			p, err := k.Prepare(context.Background(), s.ID, "R1")
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Masks) != len(tt.want) {
				t.Fatalf("masks %+v, want %+v", p.Masks, tt.want)
			}
			for i, m := range p.Masks {
				w := tt.want[i]
				if m.Page != w.Page || math.Abs(m.X-w.X) > 1e-9 || math.Abs(m.Y-w.Y) > 1e-9 || math.Abs(m.W-w.W) > 1e-9 || math.Abs(m.H-w.H) > 1e-9 {
					t.Errorf("mask %d = %+v, want %+v", i, m, w)
				}
			}
		})
	}
}

// TestKioskOneCardWaiter checks that a newer card wait ends the older one,
// so a page that went away cannot take the tap meant for the page shown.
func TestKioskOneCardWaiter(t *testing.T) {
	cards := blockingCards{}
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(t), Registry: &fakeRegistry{}, Tickets: fakeTickets{}, Renderer: fakeRenderer{},
		Printers: &fakePrinters{}, Cards: cards, Now: time.Now, Rand: rand.Reader})
	defer k.Close()
	first := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		_, _, err := k.ReadCard(context.Background())
		first <- err
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error)
	// A later wait may start before the first registered: start another
	// until the first has ended, which is the behaviour under test.
	launched := 0
	for ended := false; !ended; {
		launched++
		go func() { _, _, err := k.ReadCard(ctx); second <- err }()
		select {
		case err := <-first:
			if !errors.Is(err, station.ErrCardWaiting) {
				t.Fatalf("older wait ended with %v, want ErrCardWaiting", err)
			}
			ended = true
		case <-time.After(50 * time.Millisecond): // not a timed assertion: the loop starts another wait
		}
	}
	cancel()
	for range launched {
		if err := <-second; !errors.Is(err, station.ErrCardWaiting) {
			t.Fatalf("later wait ended with %v, want ErrCardWaiting (superseded, or its context ended)", err)
		}
	}
}

// blockingCards waits for a tap that never comes.
type blockingCards struct{}

func (blockingCards) ReadNIK(ctx context.Context) (station.NIK, error) {
	<-ctx.Done()
	return station.NIK{}, ctx.Err()
}

// TestKioskRetriesAFailedPrint: a print that failed with nothing printed
// can be tried again, as a new job under the next attempt's key; each
// outcome reaches the upstream under its own attempt's key; after
// MaxPrintAttempts failures an officer must look.
func TestKioskRetriesAFailedPrint(t *testing.T) {
	k, reg, pr := newKiosk(t, printerd.JobFailed, 0)
	ctx := context.Background()
	s, first := mustLoginAndPrint(t, k)
	waitState(t, k, s.ID, station.PrintFailed)
	pr.mu.Lock()
	pr.final = printerd.JobPrinted
	pr.mu.Unlock()
	second, err := k.Print(ctx, s.ID, "R1")
	if err != nil {
		t.Fatal(err)
	}
	if second.Job == first.Job {
		t.Fatalf("the retry got the failed job %s again", first.Job)
	}
	waitState(t, k, s.ID, station.PrintDone)
	waitSettled(t, reg, 2)
	reg.mu.Lock()
	pr.mu.Lock()
	job1, job2 := pr.jobs[station.AttemptKey("R1", 1)].ID, pr.jobs[station.AttemptKey("R1", 2)].ID
	pr.mu.Unlock()
	// Each attempt runs under a hold of its own, settled by its outcome.
	if len(reg.holds) != 2 || len(reg.reported) != 1 || reg.reported[0].JobID != string(job1) || reg.reported[0].IntentKey != reg.holds[0] ||
		len(reg.confirmed) != 1 || reg.confirmed[0].JobID != string(job2) || reg.confirmed[0].IntentKey != reg.holds[1] {
		t.Errorf("holds %q, reported %+v, confirmed %+v; want attempt 1 failed and attempt 2 printed", reg.holds, reg.reported, reg.confirmed)
	}
	reg.mu.Unlock()

	// Every attempt fails: the last one is refused.
	k, _, _ = newKiosk(t, printerd.JobFailed, 0)
	s, err = k.LoginTicket(ctx, "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= station.MaxPrintAttempts; n++ {
		if _, err := k.Print(ctx, s.ID, "R1"); err != nil {
			t.Fatalf("attempt %d: %v", n, err)
		}
		waitState(t, k, s.ID, station.PrintFailed)
	}
	if _, err := k.Print(ctx, s.ID, "R1"); !errors.Is(err, station.ErrPrinterUnavailable) {
		t.Errorf("attempt %d: %v, want printer_unavailable", station.MaxPrintAttempts+1, err)
	}
}

// TestKioskNeverRetriesInDoubt: a print in doubt may have printed; only
// an officer decides, so tapping Print again submits nothing.
func TestKioskNeverRetriesInDoubt(t *testing.T) {
	k, _, pr := newKiosk(t, printerd.JobInDoubt, 0)
	ctx := context.Background()
	s, _ := mustLoginAndPrint(t, k)
	waitState(t, k, s.ID, station.PrintInDoubt)
	if _, err := k.Print(ctx, s.ID, "R1"); err != nil {
		t.Fatal(err)
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.submits != 1 {
		t.Errorf("%d submissions, want 1: a print in doubt was tried again", pr.submits)
	}
}

// TestKioskRetriesAfterTheDocumentChanged: printerd refuses an attempt's
// key with another document. When the job under that key ended with
// nothing printed, the kiosk goes on to the next attempt; otherwise it
// submits nothing more.
func TestKioskRetriesAfterTheDocumentChanged(t *testing.T) {
	ctx := context.Background()
	k, reg, pr := newKiosk(t, printerd.JobFailed, 0)
	s, _ := mustLoginAndPrint(t, k)
	waitState(t, k, s.ID, station.PrintFailed)
	reg.documentOf = ktpNamed("BUDI SANTOSO") // other bytes, as after a correction
	pr.mu.Lock()
	pr.final = printerd.JobPrinted
	pr.mu.Unlock()
	// Another session, as after a restart: the kiosk starts again at
	// attempt 1, whose key printerd refuses with the new document.
	s, err := k.LoginTicket(ctx, "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.Print(ctx, s.ID, "R1")
	if err != nil {
		t.Fatalf("print after the document changed: %v", err)
	}
	pr.mu.Lock()
	j, ok := pr.jobs[station.AttemptKey("R1", 2)]
	pr.mu.Unlock()
	if !ok || p.Job != j.ID {
		t.Fatalf("print %+v; want the job of attempt 2", p)
	}
	waitState(t, k, s.ID, station.PrintDone)

	// A job in doubt under the key may have printed: nothing more.
	k, reg, pr = newKiosk(t, printerd.JobInDoubt, 0)
	s, _ = mustLoginAndPrint(t, k)
	waitState(t, k, s.ID, station.PrintInDoubt)
	reg.documentOf = ktpNamed("BUDI SANTOSO") // other bytes, as after a correction
	if s, err = k.LoginTicket(ctx, "TK1:GOOD"); err != nil {
		t.Fatal(err)
	}
	// The kiosk knows its attempt is in doubt: it shows that print and
	// submits nothing, whatever the document is now.
	if p, err := k.Print(ctx, s.ID, "R1"); err != nil || p.State != station.PrintInDoubt {
		t.Errorf("print over a job in doubt with another document: %+v, %v; want the print in doubt", p, err)
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.submits != 1 || len(pr.jobs) != 1 {
		t.Errorf("%d submissions made %d jobs; want no new submission", pr.submits, len(pr.jobs))
	}
}

// newNoticeKiosk is a kiosk with one approved KTP-el (R1) that follows
// printerd's notices (the poll an hour away) through pr.
func newNoticeKiosk(t *testing.T, pr station.PrintService) (*station.Kiosk, *fakeRegistry, *fakeNotices) {
	t.Helper()
	reg := &fakeRegistry{
		authz: station.Authorization{ID: "A1", Subject: subject, Method: station.AuthTicket, Requests: []station.PrintRequest{
			{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved},
		}},
		documentOf: ktpNamed("BUDI"),
	}
	notices := &fakeNotices{subs: make(chan chan printerd.Notice)}
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(t),
		Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{}, Printers: pr, Notices: notices,
		Now: time.Now, Rand: rand.Reader, PollEvery: time.Hour,
	})
	t.Cleanup(k.Close)
	return k, reg, notices
}

// dispatchingPrinters dispatches each job at once: the dispatch notice,
// with the time left, is on the stream before Submit returns.
type dispatchingPrinters struct {
	*fakePrinters
	stream chan printerd.Notice
	at     time.Time
}

func (p *dispatchingPrinters) Submit(ctx context.Context, req printerd.SubmitRequest) (printerd.Job, error) {
	j, err := p.fakePrinters.Submit(ctx, req)
	d := j
	d.State, d.Updated = printerd.JobDispatching, p.at
	p.stream <- printerd.Notice{Kind: printerd.NoticeJob, Job: &d, Time: p.at, EstimateMS: 12000}
	return j, err
}

// TestKioskKeepsEarlyNotices: printerd may dispatch a job before the
// kiosk starts following it; the dispatch notice still gives the time left.
func TestKioskKeepsEarlyNotices(t *testing.T) {
	at := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	pr := &dispatchingPrinters{fakePrinters: &fakePrinters{final: printerd.JobDispatching, jobs: map[string]printerd.Job{}}, at: at}
	k, _, notices := newNoticeKiosk(t, pr)
	pr.stream = <-notices.subs
	s, err := k.LoginTicket(context.Background(), "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Print(context.Background(), s.ID, "R1"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) { // stops a hung test only
		sess, err := k.Session(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p := sess.Prints["R1"]; p != nil && p.State == station.PrintPrinting && p.Until.Equal(at.Add(12*time.Second)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dispatch notice that came before the kiosk followed the job was lost: %+v", sess.Prints["R1"])
		}
	}
}

// TestKioskTellsTheTimeLeftAfterTheState: a poll may show the job
// dispatching before its notice brings the time left; the page is still
// TestKioskWatcherBehindGetsTheNewest: a watcher that reads nothing
// while the print changes more often than its queue holds still gets the
// last change, the print done.
func TestKioskWatcherBehindGetsTheNewest(t *testing.T) {
	k, _, notices := newNoticeKiosk(t, &fakePrinters{final: printerd.JobQueued, jobs: map[string]printerd.Job{}})
	stream := <-notices.subs
	s, err := k.LoginTicket(context.Background(), "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	changes, stop, err := k.Watch(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	p, err := k.Print(context.Background(), s.ID, "R1")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	for i := range 2 * cap(changes) { // each a new time left: a change
		at := t0.Add(time.Duration(i) * time.Second)
		job := printerd.Job{ID: p.Job, State: printerd.JobDispatching, Printer: "card-1", Updated: at}
		stream <- printerd.Notice{Kind: printerd.NoticeJob, Job: &job, Time: at, EstimateMS: 30000}
		// One at a time: the settlement's own queue is short, and a
		// notice it drops waits for a poll an hour away.
		until, deadline := at.Add(30*time.Second), time.Now().Add(10*time.Second) // stops a hung test only
		for {
			sess, err := k.Session(s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if sess.Prints["R1"].Until.Equal(until) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("notice %d never shown", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	done := printerd.Job{ID: p.Job, State: printerd.JobPrinted, Printer: "card-1", CardSerial: "SIM-7", Updated: t0.Add(time.Hour)}
	stream <- printerd.Notice{Kind: printerd.NoticeJob, Job: &done, Time: t0.Add(time.Hour)}
	waitState(t, k, s.ID, station.PrintDone)

	var last *station.Session
	for n := len(changes); n > 0; n-- {
		last = <-changes
	}
	if last == nil || last.Prints["R1"] == nil || last.Prints["R1"].State != station.PrintDone {
		t.Fatalf("the watcher's newest copy is %+v, want the print done", last)
	}
}

// told when the time left comes.
func TestKioskTellsTheTimeLeftAfterTheState(t *testing.T) {
	k, _, notices := newNoticeKiosk(t, &fakePrinters{final: printerd.JobDispatching, jobs: map[string]printerd.Job{}})
	stream := <-notices.subs
	s, p := mustLoginAndPrint(t, k)
	waitState(t, k, s.ID, station.PrintPrinting) // the first poll read it dispatching
	changes, stop, err := k.Watch(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	at := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	job := printerd.Job{ID: p.Job, State: printerd.JobDispatching, Printer: "card-1"}
	stream <- printerd.Notice{Kind: printerd.NoticeJob, Job: &job, Time: at, EstimateMS: 9000}
	for deadline := time.After(10 * time.Second); ; { // stops a hung test only
		select {
		case sess := <-changes:
			if pr := sess.Prints["R1"]; pr != nil && pr.Until.Equal(at.Add(9*time.Second)) {
				return
			}
		case <-deadline:
			t.Fatal("the time left that came after the state was never pushed")
		}
	}
}

// TestKioskLoginAdmission: a login none of whose approved documents can
// print now is refused as kiosk_out_of_service, naming the documents and
// why; one that can print any of them is let in.
func TestKioskLoginAdmission(t *testing.T) {
	card := func(ok bool, why string) printerd.Availability {
		return printerd.Availability{Media: printerd.MediaCard, Available: ok, Reason: why}
	}
	a4 := func(ok bool, why string) printerd.Availability {
		return printerd.Availability{Media: printerd.MediaA4, Available: ok, Reason: why}
	}
	ktp := station.PrintRequest{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}
	kk := station.PrintRequest{ID: "R2", Document: station.KK, Status: station.RequestApproved}
	kkDone := station.PrintRequest{ID: "R2", Document: station.KK, Status: station.RequestPrinted}
	tests := []struct {
		name     string
		requests []station.PrintRequest
		media    []printerd.Availability
		refused  bool
		says     string // in the refusal's Bahasa message
	}{
		{"all ready", []station.PrintRequest{ktp, kk}, []printerd.Availability{card(true, ""), a4(true, "")}, false, ""},
		{"card stopped, paper ready", []station.PrintRequest{ktp, kk}, []printerd.Availability{card(false, "stopped"), a4(true, "")}, false, ""},
		{"card stopped, only a KTP-el", []station.PrintRequest{ktp}, []printerd.Availability{card(false, "stopped"), a4(true, "")}, true, "KTP-el: printer berhenti"},
		{"no blanks, the KK already printed", []station.PrintRequest{ktp, kkDone}, []printerd.Availability{card(false, "no-blanks"), a4(true, "")}, true, "KTP-el: blanko habis"},
		{"nothing ready", []station.PrintRequest{ktp, kk}, []printerd.Availability{card(false, "media-jam"), a4(false, "offline")}, true, "Kartu Keluarga: printer tidak terhubung"},
		{"no printer for the medium", []station.PrintRequest{kk}, []printerd.Availability{card(true, "")}, true, "tidak tersedia di anjungan ini"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, reg, pr := newKiosk(t, printerd.JobPrinted, 0)
			reg.authz.Requests = tt.requests
			pr.avail = tt.media
			s, err := k.LoginTicket(context.Background(), "TK1:GOOD")
			if !tt.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if _, err := k.Session(s.ID); err != nil {
					t.Fatal(err)
				}
				return
			}
			var fe *station.Error
			if !errors.As(err, &fe) || fe.Code != station.ErrKioskOutOfService.Code {
				t.Fatalf("login: %v, want kiosk_out_of_service", err)
			}
			if !strings.Contains(fe.ID, tt.says) || fe.EN == station.ErrKioskOutOfService.EN {
				t.Errorf("refusal says %q / %q, want it to name %q in both languages", fe.ID, fe.EN, tt.says)
			}
		})
	}
}

// TestKioskPrepareRefusesUnavailable: a document whose printer stopped is
// refused before anything is fetched, so nothing is reserved upstream.
func TestKioskPrepareRefusesUnavailable(t *testing.T) {
	k, reg, pr := newKiosk(t, printerd.JobPrinted, 0)
	reg.authz.Requests = append(reg.authz.Requests, station.PrintRequest{ID: "R3", Document: station.KK, Status: station.RequestApproved})
	ctx := context.Background()
	s, err := k.LoginTicket(ctx, "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	pr.mu.Lock()
	pr.avail = []printerd.Availability{{Media: printerd.MediaCard, Reason: "stopped"}, {Media: printerd.MediaA4, Available: true}}
	pr.mu.Unlock()
	if _, err := k.Prepare(ctx, s.ID, "R1"); !errors.Is(err, station.ErrDocumentUnavailable) {
		t.Fatalf("prepare on a stopped printer: %v, want document_unavailable", err)
	}
	got, _ := k.Session(s.ID)
	if _, ok := got.Prints["R1"]; ok {
		t.Error("a refused document has a print in the session")
	}
}

// TestKioskCallOfficer: a call names the print the citizen waits for by
// its job's reference, is audited, shows until the print is done, and a
// second call for the same print replaces the first.
func TestKioskCallOfficer(t *testing.T) {
	rec := &events{}
	reg := &fakeRegistry{authz: station.Authorization{ID: "A1", Subject: subject, Method: station.AuthTicket,
		Requests: []station.PrintRequest{{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}}, documentOf: ktpNamed("BUDI")}
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(t), Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{},
		Printers: &fakePrinters{final: printerd.JobHeld, jobs: map[string]printerd.Job{}}, Recorder: rec,
		Now: time.Now, Rand: rand.Reader, PollEvery: time.Millisecond})
	t.Cleanup(k.Close)
	ctx := context.Background()
	s, err := k.LoginTicket(ctx, "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := k.CallOfficer(ctx, s.ID); err != nil || c.Ref != "" {
		t.Fatalf("a call before any print: %+v %v", c, err)
	}
	p, err := k.Print(ctx, s.ID, "R1")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := k.CallOfficer(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	calls := k.OfficerCalls()
	if len(calls) != 2 || calls[0].Ref != printerd.JobRef(p.Job) || calls[0].Request != "R1" {
		t.Fatalf("calls %+v, want the print's call (ref %s) and the one before it", calls, printerd.JobRef(p.Job))
	}
	if !slices.Contains(rec.codes(), string(station.EventOfficerCalled)+":") {
		t.Errorf("the call was not recorded: %v", rec.codes())
	}
	if _, err := k.CallOfficer(ctx, "nobody"); !errors.Is(err, station.ErrSessionExpired) {
		t.Errorf("a call without a session: %v", err)
	}
}

// TestKioskSubmissionAnsweredWithAnError: printerd recorded the job but
// answered journal_unavailable, twice. The kiosk relies on what printerd
// promises (a retry under the same key is safe; a lookup by key tells):
// one job, printed and confirmed, never reported failed.
func TestKioskSubmissionAnsweredWithAnError(t *testing.T) {
	k, reg, pr := newKiosk(t, printerd.JobPrinted, 0)
	pr.mu.Lock()
	pr.lostAnswers = station.MaxPrintAttempts // more than the kiosk's tries: the lookup finds it
	pr.mu.Unlock()
	s, p := mustLoginAndPrint(t, k)
	if p.State == station.PrintFailed {
		t.Fatalf("print %+v after a lost answer", p)
	}
	waitState(t, k, s.ID, station.PrintDone)
	waitSettled(t, reg, 1)
	pr.mu.Lock()
	defer pr.mu.Unlock()
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if len(pr.jobs) != 1 || len(reg.confirmed) != 1 || len(reg.reported) != 0 {
		t.Errorf("%d jobs, confirmed %d, reported %d; want one job confirmed", len(pr.jobs), len(reg.confirmed), len(reg.reported))
	}
}

// TestKioskOfficerCallSurvivesRestart: a call is kept in the station's
// database; a station started again on the same file still shows it,
// with the print's reference, and a second call replaces it there too.
func TestKioskOfficerCallSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	start := func() (*station.Kiosk, func()) {
		db, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		reg := &fakeRegistry{authz: station.Authorization{ID: "A1", Subject: subject, Method: station.AuthTicket,
			Requests: []station.PrintRequest{{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}}, documentOf: ktpNamed("BUDI")}
		k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: sqlite.Settlements{DB: db}, Calls: sqlite.OfficerCalls{DB: db}, Registry: reg,
			Tickets: fakeTickets{}, Renderer: fakeRenderer{}, Printers: &fakePrinters{final: printerd.JobHeld, jobs: map[string]printerd.Job{}},
			Now: time.Now, Rand: rand.Reader, PollEvery: time.Millisecond})
		return k, func() { k.Close(); db.Close() }
	}
	ctx := context.Background()
	k, stop := start()
	s, err := k.LoginTicket(ctx, "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.Print(ctx, s.ID, "R1")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := k.CallOfficer(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	stop()

	k, stop = start()
	defer stop()
	calls := k.OfficerCalls()
	if len(calls) != 1 || calls[0].Ref != printerd.JobRef(p.Job) || calls[0].Request != "R1" || calls[0].Document != station.KTPEl {
		t.Fatalf("after a restart, calls %+v; want the one call about R1 (ref %s)", calls, printerd.JobRef(p.Job))
	}
}

// refusedSignature is an upstream signature the kiosk's check refuses.
type refusedSignature struct{}

func (refusedSignature) VerifyDocument(station.Document) error {
	return station.ErrDocumentSignatureInvalid.Withf("content hash differs")
}

// TestKioskRefusesUnverifiedDocument: a document whose QR does not verify,
// or a kiosk with no upstream document key, prints nothing: the error is
// the citizen's, the refusal is recorded as print_failed with its code,
// and the request is given back to the upstream, not consumed.
func TestKioskRefusesUnverifiedDocument(t *testing.T) {
	for name, sigs := range map[string]station.DocumentSignatures{"refused": refusedSignature{}, "no keys": nil} {
		t.Run(name, func(t *testing.T) {
			rec := &events{}
			reg := &fakeRegistry{authz: station.Authorization{ID: "A1", Subject: subject, Method: station.AuthTicket,
				Requests: []station.PrintRequest{{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}}, documentOf: ktpNamed("BUDI")}
			pr := &fakePrinters{final: printerd.JobPrinted, jobs: map[string]printerd.Job{}}
			k := station.NewKiosk(station.KioskConfig{Signatures: sigs, Settlements: mustSettlements(t), Registry: reg, Tickets: fakeTickets{},
				Renderer: fakeRenderer{}, Printers: pr, Recorder: rec, Now: time.Now, Rand: rand.Reader, PollEvery: time.Millisecond})
			ctx := context.Background()
			s, err := k.LoginTicket(ctx, "TK1:GOOD")
			if err != nil {
				t.Fatal(err)
			}
			p, err := k.Print(ctx, s.ID, "R1")
			if !errors.Is(err, station.ErrDocumentSignatureInvalid) || p.State != station.PrintFailed || p.Err == nil || p.Err.Code != station.ErrDocumentSignatureInvalid.Code {
				t.Fatalf("print: %+v, %v; want failed with %s", p, err, station.ErrDocumentSignatureInvalid.Code)
			}
			k.Close() // waits for the background release
			reg.mu.Lock()
			defer reg.mu.Unlock()
			if pr.submits != 0 || len(reg.holds) != 0 || len(reg.confirmed) != 0 {
				t.Errorf("%d submissions, holds %v, confirmed %v; want nothing", pr.submits, reg.holds, reg.confirmed)
			}
			if len(reg.released) != 1 {
				t.Errorf("released %v; want R1 given back", reg.released)
			}
			if got := rec.codes(); !slices.Contains(got, "print_failed:document_signature_invalid") || slices.Contains(got, "rendered:") {
				t.Errorf("events %v; want print_failed with document_signature_invalid and no render", got)
			}
		})
	}
}
