package station_test

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
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

type fakeTickets struct{}

func (fakeTickets) Verify(text string, _ time.Time) (station.Ticket, error) {
	if text != "TK1:GOOD" {
		return station.Ticket{}, station.ErrTicketInvalid
	}
	return station.Ticket{ID: "00"}, nil
}

type fakeRenderer struct{}

func (fakeRenderer) Render(_ context.Context, d station.Document) (station.Rendered, error) {
	return station.Rendered{PDF: []byte("%PDF-" + d.Fields["nama"]), SHA256: "sha-" + string(d.Request), Pages: 1}, nil
}

// fakePrinters ends every job in the state final.
type fakePrinters struct {
	mu      sync.Mutex
	avail   []printerd.Availability
	lastDoc []byte
	final   printerd.JobState
	jobs    map[string]printerd.Job
	submits int
}

func (p *fakePrinters) Submit(_ context.Context, req printerd.SubmitRequest) (printerd.Job, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.submits++
	p.lastDoc = req.Document
	if j, ok := p.jobs[req.IdempotencyKey]; ok {
		return j, nil
	}
	j := printerd.Job{ID: printerd.JobID("J" + req.IdempotencyKey[:6]), IdempotencyKey: req.IdempotencyKey, State: printerd.JobQueued, Printer: "card-1"}
	p.jobs[req.IdempotencyKey] = j
	return j, nil
}

func (p *fakePrinters) Availability(context.Context) ([]printerd.Availability, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.avail, nil
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
		failUntil: failUntil,
		documentOf: func(id station.RequestID) station.Document {
			return station.Document{Request: id, Type: station.KTPEl, Subject: subject, Fields: map[string]string{"nama": "BUDI"}}
		},
	}
	pr := &fakePrinters{final: final, jobs: map[string]printerd.Job{}}
	k := station.NewKiosk(station.KioskConfig{
		Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{}, Printers: pr,
		Now: time.Now, Rand: rand.Reader, PollEvery: time.Millisecond,
	})
	t.Cleanup(k.Close)
	return k, reg, pr
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
			if o.Result != tt.wantResult || o.Request != "R1" || o.IdempotencyKey != station.IdempotencyKey("R1") || o.PDFSHA256 != "sha-R1" {
				t.Errorf("outcome %+v", o)
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
	k := station.NewKiosk(station.KioskConfig{Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{},
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
		authz: station.Authorization{ID: "A1", Subject: subject, Requests: []station.PrintRequest{{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}},
		documentOf: func(id station.RequestID) station.Document {
			return station.Document{Request: id, Type: station.KTPEl, Subject: subject, Fields: map[string]string{"nama": "BUDI"}}
		},
	}
	used := &memUsed{ids: map[string]time.Time{}}
	k := station.NewKiosk(station.KioskConfig{Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{},
		Printers: &fakePrinters{final: printerd.JobPrinted, jobs: map[string]printerd.Job{}}, Used: used,
		Now: time.Now, Rand: rand.Reader, PollEvery: time.Millisecond})
	defer k.Close()
	ctx := context.Background()
	s, err := k.LoginTicket(ctx, "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Print(ctx, s.ID, "R1"); err != nil {
		t.Fatal(err)
	}
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
				if a.Document == station.KK {
					want = tt.kk
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
	k := station.NewKiosk(station.KioskConfig{Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{},
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
	empty := station.NewKiosk(station.KioskConfig{Registry: reg, Tickets: fakeTickets{}, Renderer: fakeRenderer{},
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
