package registrysim_test

// The station's registry client against the real registry-sim, in
// process. These tests live here, not in station/registry, because Go's
// internal-package rule keeps cmd/internal out of reach of station/.

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/registry"
	"github.com/anjungan/anjungan/station/ticket"
)

type world struct {
	*registrysim.Sim
	client   *registry.Client
	verifier *ticket.Verifier
	now      time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	registrysim.MustKeys(t, dir)
	s := registrysim.MustSim(t, dir)
	pub, err := ticket.LoadPublicKey(filepath.Join(dir, "keys", "ticket.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return &world{
		Sim:      s,
		client:   registry.New(s.URL(), &http.Client{}, zerolog.Nop()),
		verifier: &ticket.Verifier{Keys: ticket.KeySet{ticket.KeyID(pub): pub}, Skew: ticket.DefaultSkew},
		now:      registrysim.TestNow,
	}
}

// login scans the ticket as the kiosk does and logs in with it.
func (w *world) login(t *testing.T, text string) (station.Authorization, error) {
	t.Helper()
	tk, err := w.verifier.Verify(text, w.now)
	if err != nil {
		t.Fatalf("verify ticket: %v", err)
	}
	return w.client.AuthenticateTicket(context.Background(), tk)
}

func outcome(a station.Authorization, r station.PrintRequest, key string, result station.PrintResult) station.PrintOutcome {
	return station.PrintOutcome{Authorization: a.ID, Request: r.ID, IdempotencyKey: key, JobID: "job-" + key,
		Printer: "card-1", CardSerial: "SN-" + key, PDFSHA256: strings.Repeat("c0", 32), Result: result, Reason: "media-jam"}
}

func TestClientTicketAndPINLogin(t *testing.T) {
	w := newWorld(t)
	_, nik, pin, text := w.Approve(t, map[string]any{"documents": []string{"ktp-el", "kk"}})
	ctx := context.Background()

	a, err := w.login(t, text)
	if err != nil {
		t.Fatalf("ticket login: %v", err)
	}
	if a.Subject.Reveal() != nik || a.Method != station.AuthTicket || len(a.Requests) != 2 || !a.Expires.After(w.now) {
		t.Fatalf("ticket authorization %+v", a)
	}

	b, err := w.client.AuthenticatePIN(ctx, station.MustParseNIK(nik), pin)
	if err != nil {
		t.Fatalf("PIN login: %v", err)
	}
	if b.Subject != a.Subject || b.Method != station.AuthPIN || len(b.Requests) != 2 {
		t.Fatalf("PIN authorization %+v", b)
	}

	wrong := "000000"
	if pin == wrong {
		wrong = "000001"
	}
	if _, err := w.client.AuthenticatePIN(ctx, station.MustParseNIK(nik), wrong); !errors.Is(err, station.ErrCredentialsRejected) {
		t.Fatalf("wrong PIN: %v", err)
	}
	for range 4 {
		w.client.AuthenticatePIN(ctx, station.MustParseNIK(nik), wrong)
	}
	if _, err := w.client.AuthenticatePIN(ctx, station.MustParseNIK(nik), pin); !errors.Is(err, station.ErrTooManyAttempts) {
		t.Fatalf("after five wrong PINs: %v", err)
	}
}

func TestClientDocuments(t *testing.T) {
	w := newWorld(t)
	_, nik, _, text := w.Approve(t, map[string]any{"documents": []string{"ktp-el", "kia", "kk"}})
	a, err := w.login(t, text)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range a.Requests {
		t.Run(string(r.Document), func(t *testing.T) {
			doc, err := w.client.Document(context.Background(), a, r.ID)
			if err != nil {
				t.Fatalf("document: %v", err)
			}
			if doc.Subject.Reveal() != nik || doc.Type != r.Document || doc.Request != r.ID {
				t.Fatalf("document %s for %s", doc.Type, doc.Subject)
			}
			switch r.Document {
			case station.KTPEl:
				if doc.Fields["nik"] != nik || len(doc.Images["photo"]) == 0 || len(doc.Images["signature"]) == 0 {
					t.Errorf("KTP-el fields %v, %d images", doc.Fields["nik"], len(doc.Images))
				}
			case station.KIA:
				if doc.Fields["nik"] == nik || doc.Fields["nama_kepala_keluarga"] == "" {
					t.Errorf("KIA fields %v", doc.Fields)
				}
			case station.KK:
				if len(doc.Rows) == 0 || doc.Fields["no_kk"] == "" {
					t.Errorf("KK with %d rows", len(doc.Rows))
				}
			}
		})
	}
}

func TestClientConfirmationBurnsTheToken(t *testing.T) {
	w := newWorld(t)
	id, _, _, text := w.Approve(t, map[string]any{"documents": []string{"ktp-el", "kk"}})
	ctx := context.Background()
	a, err := w.login(t, text)
	if err != nil {
		t.Fatal(err)
	}
	first, second := a.Requests[0], a.Requests[1]

	// A failed print is reported and keeps the token.
	if err := w.client.ReportPrint(ctx, outcome(a, first, "r1", station.ResultFailed)); err != nil {
		t.Fatalf("report failed: %v", err)
	}
	if w.Burned(t, id) {
		t.Fatal("a failed print burned the token")
	}
	if _, err := w.login(t, text); err != nil {
		t.Fatalf("login after a failed print: %v", err)
	}

	// An uncertain print holds the request.
	if err := w.client.ReportPrint(ctx, outcome(a, first, "r2", station.ResultInDoubt)); err != nil {
		t.Fatalf("report in doubt: %v", err)
	}
	if _, err := w.client.Document(ctx, a, first.ID); !errors.Is(err, station.ErrAlreadyPrinted) {
		t.Fatalf("document while in doubt: %v", err)
	}

	if burned, err := w.client.ConfirmPrint(ctx, outcome(a, first, "c1", station.ResultPrinted)); err != nil || burned {
		t.Fatalf("confirm first: burned=%v, %v", burned, err)
	}
	if burned, err := w.client.ConfirmPrint(ctx, outcome(a, first, "c1", station.ResultPrinted)); err != nil || burned {
		t.Fatalf("retried confirmation: burned=%v, %v", burned, err)
	}
	if w.Burned(t, id) {
		t.Fatal("token burned with a request still open")
	}
	if burned, err := w.client.ConfirmPrint(ctx, outcome(a, second, "c2", station.ResultPrinted)); err != nil || !burned {
		t.Fatalf("confirm second: burned=%v, %v", burned, err)
	}
	if !w.Burned(t, id) {
		t.Fatal("token not burned after every request printed")
	}

	if _, err := w.login(t, text); !errors.Is(err, station.ErrTicketUsed) {
		t.Fatalf("second use of the ticket: %v", err)
	}
	if _, err := w.client.ConfirmPrint(ctx, outcome(a, second, "c3", station.ResultPrinted)); !errors.Is(err, station.ErrAlreadyPrinted) {
		t.Fatalf("printing twice: %v", err)
	}
}

// TestClientConcurrentVisits runs several visits with distinct NIKs at
// once; under -race it catches shared state in the client or simulator.
func TestClientConcurrentVisits(t *testing.T) {
	w := newWorld(t)
	const n = 6
	type visit struct{ id, nik, text string }
	visits := make([]visit, n)
	for i := range visits {
		id, nik, _, text := w.Approve(t, map[string]any{"documents": []string{"ktp-el"}})
		visits[i] = visit{id, nik, text}
	}
	errs := make(chan error, n)
	for _, v := range visits {
		go func() {
			errs <- func() error {
				ctx := context.Background()
				tk, err := w.verifier.Verify(v.text, w.now)
				if err != nil {
					return err
				}
				a, err := w.client.AuthenticateTicket(ctx, tk)
				if err != nil {
					return err
				}
				doc, err := w.client.Document(ctx, a, a.Requests[0].ID)
				if err != nil {
					return err
				}
				if doc.Fields["nik"] != v.nik || a.Subject.Reveal() != v.nik {
					return errors.New("a visit saw another citizen's data")
				}
				_, err = w.client.ConfirmPrint(ctx, outcome(a, a.Requests[0], v.id, station.ResultPrinted))
				return err
			}()
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for _, v := range visits {
		if !w.Burned(t, v.id) {
			t.Errorf("approval %s not burned", v.id)
		}
	}
}
