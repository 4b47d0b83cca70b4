package registrysim_test

// The station's registry client against the real registry-sim, in
// process. These tests live here, not in station/registry, because Go's
// internal-package rule keeps cmd/internal out of reach of station/.

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/registry"
	"github.com/anjungan/anjungan/station/ticket"
)

type world struct {
	*registrysim.Sim
	client   *registry.Client
	verifier *ticket.Verifier
	docs     *docqr.Verifier // the kiosk's check of each document's QR
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
	bindingKey, err := ticket.LoadBindingKey(filepath.Join(dir, "keys", "binding.key"))
	if err != nil {
		t.Fatal(err)
	}
	client := registry.New(s.URL(), s.Client(), zerolog.Nop())
	client.BindingKey = bindingKey
	docKeys, err := ticket.LoadKeySet(filepath.Join(dir, "keys", "upstream-document.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return &world{
		docs:     &docqr.Verifier{Keys: docKeys},
		Sim:      s,
		client:   client,
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

// TestMTLSRefusesStrangers: only a client holding a certificate from the
// upstream's CA gets in, and the station only talks to an upstream whose
// certificate chains to the CA it was given.
func TestMTLSRefusesStrangers(t *testing.T) {
	w := newWorld(t)
	id, _, _, text := w.Approve(t, map[string]any{"documents": []string{"ktp-el"}})
	tk, err := w.verifier.Verify(text, w.now)
	if err != nil {
		t.Fatal(err)
	}
	dir := w.Dir()
	other := t.TempDir()
	if err := certs.WriteDev(other, rand.Reader, time.Now()); err != nil {
		t.Fatal(err)
	}
	caPool := func(t *testing.T, path string) *x509.CertPool {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := x509.NewCertPool()
		p.AppendCertsFromPEM(b)
		return p
	}
	keyPair := func(t *testing.T, dir string) []tls.Certificate {
		t.Helper()
		c, err := tls.LoadX509KeyPair(filepath.Join(dir, "station-client.crt"), filepath.Join(dir, "station-client.key"))
		if err != nil {
			t.Fatal(err)
		}
		return []tls.Certificate{c}
	}
	tests := []struct {
		name string
		cfg  func(t *testing.T) *tls.Config
	}{
		{"no client certificate", func(t *testing.T) *tls.Config {
			return &tls.Config{RootCAs: caPool(t, filepath.Join(dir, "certs", "ca.crt")), MinVersion: tls.VersionTLS12}
		}},
		{"client certificate from another CA", func(t *testing.T) *tls.Config {
			return &tls.Config{RootCAs: caPool(t, filepath.Join(dir, "certs", "ca.crt")), Certificates: keyPair(t, other), MinVersion: tls.VersionTLS12}
		}},
		{"client certificate from another CA over TLS 1.2", func(t *testing.T) *tls.Config {
			return &tls.Config{RootCAs: caPool(t, filepath.Join(dir, "certs", "ca.crt")), Certificates: keyPair(t, other), MaxVersion: tls.VersionTLS12}
		}},
		{"upstream from another CA", func(t *testing.T) *tls.Config {
			return &tls.Config{RootCAs: caPool(t, filepath.Join(other, "ca.crt")), Certificates: keyPair(t, filepath.Join(dir, "certs")), MinVersion: tls.VersionTLS12}
		}},
		{"TLS 1.1", func(t *testing.T) *tls.Config {
			return &tls.Config{RootCAs: caPool(t, filepath.Join(dir, "certs", "ca.crt")), Certificates: keyPair(t, filepath.Join(dir, "certs")),
				MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := registry.HTTPClient(tt.cfg(t))
			defer hc.CloseIdleConnections()
			_, err := registry.New(w.URL(), hc, zerolog.Nop()).AuthenticateTicket(context.Background(), tk)
			if !errors.Is(err, station.ErrUpstreamUnavailable) || !strings.Contains(err.Error(), "tls") {
				t.Fatalf("error %v, want %s with a TLS cause", err, station.ErrUpstreamUnavailable.Code)
			}
		})
	}
	if w.Burned(t, id) {
		t.Fatal("a refused client burned the token")
	}
	if _, err := w.login(t, text); err != nil {
		t.Fatalf("the station's own certificate: %v", err)
	}
	if !strings.HasPrefix(w.URL(), "https://") {
		t.Fatalf("URL %s under mTLS", w.URL())
	}
	if _, err := http.Get(w.URL() + "/v1/authorizations"); err == nil {
		t.Fatal("a client trusting only the system roots got an answer")
	}
}

// TestClientFaults runs the station's client into every fault the
// simulator injects, on every route: each gives a clear typed error, and
// no token is burned. Once the fault is cleared the visit completes.
func TestClientFaults(t *testing.T) {
	w := newWorld(t)
	impatient := registry.New(w.URL(), w.Client(), zerolog.Nop())
	impatient.Timeout, impatient.Backoff = 100*time.Millisecond, time.Millisecond
	w.client.Backoff = time.Millisecond

	type tc struct {
		route string
		fault registrysim.Fault
		doc   string
		want  error
	}
	var cases []tc
	routes := []string{registrysim.RouteAuthorize, registrysim.RouteDocument, registrysim.RouteConfirmation, registrysim.RouteReport}
	for _, route := range routes {
		for _, f := range []struct {
			f    registrysim.Fault
			want error
		}{
			{registrysim.Fault{Kind: registrysim.FaultLatency, Delay: time.Minute}, station.ErrUpstreamUnavailable},
			{registrysim.Fault{Kind: registrysim.FaultStatus}, station.ErrUpstreamUnavailable},
			{registrysim.Fault{Kind: registrysim.FaultStatus, Status: 500}, station.ErrUpstreamUnavailable},
			{registrysim.Fault{Kind: registrysim.FaultTimeout}, station.ErrUpstreamUnavailable},
			{registrysim.Fault{Kind: registrysim.FaultTruncated}, station.ErrUpstreamUnavailable},
			{registrysim.Fault{Kind: registrysim.FaultOversized}, station.ErrUpstreamInvalid},
			{registrysim.Fault{Kind: registrysim.FaultWrongType}, station.ErrUpstreamInvalid},
			{registrysim.Fault{Kind: registrysim.FaultMalformed}, station.ErrUpstreamInvalid},
		} {
			f.f.Route = route
			cases = append(cases, tc{route, f.f, "ktp-el", f.want})
		}
	}
	for _, doc := range []string{"ktp-el", "kia", "kk"} {
		cases = append(cases, tc{registrysim.RouteDocument,
			registrysim.Fault{Route: registrysim.RouteDocument, Kind: registrysim.FaultSubjectMismatch}, doc, station.ErrSubjectMismatch})
		// The QR does not vouch for the data: the kiosk's check refuses.
		for _, k := range []registrysim.FaultKind{registrysim.FaultDocumentAltered, registrysim.FaultDocumentClaim,
			registrysim.FaultDocumentBadSignature, registrysim.FaultDocumentUnknownKey} {
			cases = append(cases, tc{registrysim.RouteDocument, registrysim.Fault{Route: registrysim.RouteDocument, Kind: k}, doc, station.ErrDocumentSignatureInvalid})
		}
	}

	ctx := context.Background()
	for _, c := range cases {
		name := fmt.Sprintf("%s/%s/%d/%s", c.route, c.fault.Kind, c.fault.Status, c.doc)
		t.Run(name, func(t *testing.T) {
			defer w.ClearFaults()
			id, _, _, text := w.Approve(t, map[string]any{"documents": []string{c.doc}})
			client := w.client
			if c.fault.Kind == registrysim.FaultTimeout || c.fault.Kind == registrysim.FaultLatency {
				client = impatient
			}
			var a station.Authorization
			if c.route != registrysim.RouteAuthorize {
				var err error
				if a, err = w.login(t, text); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.InjectFault(c.fault); err != nil {
				t.Fatal(err)
			}
			var err error
			switch c.route {
			case registrysim.RouteAuthorize:
				tk, verr := w.verifier.Verify(text, w.now)
				if verr != nil {
					t.Fatal(verr)
				}
				_, err = client.AuthenticateTicket(ctx, tk)
			case registrysim.RouteDocument:
				var d station.Document
				if d, err = client.Document(ctx, a, a.Requests[0].ID); err == nil {
					err = w.docs.VerifyDocument(d)
				}
			case registrysim.RouteConfirmation:
				_, err = client.ConfirmPrint(ctx, outcome(a, a.Requests[0], "c-"+id, station.ResultPrinted))
			case registrysim.RouteReport:
				err = client.ReportPrint(ctx, outcome(a, a.Requests[0], "r-"+id, station.ResultFailed))
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %s", err, fault.As(c.want).Code)
			}
			if w.Burned(t, id) {
				t.Fatal("a faulty answer burned the token")
			}

			// With the fault gone, the same visit completes and burns the token once.
			// A kiosk gives back a document it refused, as the station does.
			w.ClearFaults()
			if c.route == registrysim.RouteDocument {
				if err := client.Release(ctx, a, a.Requests[0].ID); err != nil {
					t.Fatalf("release after the fault: %v", err)
				}
			}
			if a, err = w.login(t, text); err != nil {
				t.Fatalf("login after the fault: %v", err)
			}
			d, err := w.client.Document(ctx, a, a.Requests[0].ID)
			if err != nil {
				t.Fatalf("document after the fault: %v", err)
			}
			if err := w.docs.VerifyDocument(d); err != nil {
				t.Fatalf("the upstream's QR after the fault: %v", err)
			}
			if burned, err := w.client.ConfirmPrint(ctx, outcome(a, a.Requests[0], "c-"+id, station.ResultPrinted)); err != nil || !burned {
				t.Fatalf("confirmation after the fault: burned=%v, %v", burned, err)
			}
		})
	}
}

// TestClientRetriesPastAFault: an idempotent call meets two 503s and a
// short delay, and succeeds on its third attempt; the faults are used up.
func TestClientRetriesPastAFault(t *testing.T) {
	w := newWorld(t)
	w.client.Backoff = time.Millisecond
	_, _, _, text := w.Approve(t, map[string]any{"documents": []string{"kk"}})
	a, err := w.login(t, text)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []registrysim.Fault{
		{Route: registrysim.RouteDocument, Kind: registrysim.FaultStatus, Calls: 2},
		{Route: registrysim.RouteDocument, Kind: registrysim.FaultLatency, Delay: time.Millisecond, Calls: 1},
	} {
		if err := w.InjectFault(f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.client.Document(context.Background(), a, a.Requests[0].ID); err != nil {
		t.Fatalf("document after two 503s and a delay: %v", err)
	}
	if f := w.Faults(); len(f) != 0 {
		t.Fatalf("faults left: %+v", f)
	}
}

// TestClientChecksTheBinding: a station holding another binding key than
// the upstream's refuses the ticket login; nothing is burned.
func TestClientChecksTheBinding(t *testing.T) {
	w := newWorld(t)
	id, _, _, text := w.Approve(t, map[string]any{"documents": []string{"ktp-el"}})
	w.client.BindingKey = []byte(strings.Repeat("x", 32))
	if _, err := w.login(t, text); !errors.Is(err, station.ErrSubjectMismatch) {
		t.Fatalf("login with another binding key: %v", err)
	}
	if w.Burned(t, id) {
		t.Fatal("burned")
	}
}
