package registrysim

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/registry"
	"github.com/anjungan/anjungan/station/ticket"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// sim is a registry-sim running for one test.
type sim struct {
	*Main
	dir    string
	clock  *clock
	client *http.Client // speaks to the simulator: with the station's certificate under mTLS
}

// MustKeys writes the ticket and document key pairs and a binding key
// into dir/keys.
func MustKeys(tb testing.TB, dir string) {
	tb.Helper()
	keys := filepath.Join(dir, "keys")
	if err := ticket.WriteKeyPair(keys, "ticket", rand.Reader); err != nil {
		tb.Fatal(err)
	}
	if err := ticket.WriteKeyPair(keys, "upstream-document", rand.Reader); err != nil {
		tb.Fatal(err)
	}
	if err := ticket.WriteBindingKey(keys, "binding", rand.Reader); err != nil {
		tb.Fatal(err)
	}
}

// MustStart runs registry-sim on 127.0.0.1:0 with keys and data in dir.
func MustStart(tb testing.TB, dir string, c *clock, args ...string) *sim {
	tb.Helper()
	m := NewMain()
	m.Stderr = io.Discard
	m.Now = c.Now
	base := []string{"-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data"),
		"-ticket-key", filepath.Join(dir, "keys", "ticket.key"), "-binding-key", filepath.Join(dir, "keys", "binding.key"),
		"-document-key", filepath.Join(dir, "keys", "upstream-document.key"),
		"-people", "80"}
	if err := m.ParseFlags(append(base, args...)); err != nil {
		tb.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return &sim{Main: m, dir: dir, clock: c, client: http.DefaultClient}
}

// MustStartTLS is MustStart with mTLS: it writes the development PKI into
// dir/certs (once) and gives the sim a client holding the station's
// client certificate.
func MustStartTLS(tb testing.TB, dir string, c *clock, args ...string) *sim {
	tb.Helper()
	certDir := filepath.Join(dir, "certs")
	// The handshake checks validity against the real clock, not the sim's.
	if err := certs.WriteDev(certDir, rand.Reader, time.Now()); err != nil {
		tb.Fatal(err)
	}
	s := MustStart(tb, dir, c, append([]string{"-tls-cert", filepath.Join(certDir, "registry.crt"),
		"-tls-key", filepath.Join(certDir, "registry.key"), "-client-ca", filepath.Join(certDir, "ca.crt")}, args...)...)
	cfg, err := registry.ClientTLS(filepath.Join(certDir, "ca.crt"), filepath.Join(certDir, "station-client.crt"), filepath.Join(certDir, "station-client.key"))
	if err != nil {
		tb.Fatal(err)
	}
	s.client = registry.HTTPClient(cfg)
	tb.Cleanup(s.client.CloseIdleConnections)
	return s
}

func newSim(tb testing.TB) *sim {
	tb.Helper()
	dir := tb.TempDir()
	MustKeys(tb, dir)
	return MustStart(tb, dir, &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
}

// call sends a JSON request and decodes the JSON answer.
func (s *sim) call(tb testing.TB, method, path string, in any) (int, map[string]any) {
	tb.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			tb.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL()+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := s.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	return res.StatusCode, out
}

type approval struct {
	ID, NIK, PIN, Ticket, TicketID string
}

func (s *sim) MustApprove(tb testing.TB, body map[string]any) approval {
	tb.Helper()
	st, out := s.call(tb, "POST", "/admin/approvals", body)
	if st != http.StatusCreated {
		tb.Fatalf("approve %v: %d %v", body, st, out)
	}
	a := approval{ID: out["approval_id"].(string), NIK: out["nik"].(string), PIN: out["pin"].(string), Ticket: out["ticket"].(string)}
	pub, err := ticket.LoadPublicKey(filepath.Join(s.dir, "keys", "ticket.pub"))
	if err != nil {
		tb.Fatal(err)
	}
	t, err := (&ticket.Verifier{Keys: ticket.KeySet{ticket.KeyID(pub): pub}}).Verify(a.Ticket, s.clock.Now())
	if err != nil {
		tb.Fatalf("ticket from registry-sim: %v", err)
	}
	a.TicketID = t.ID
	return a
}

// MustLogin logs in with the ticket and returns the authorization.
func (s *sim) MustLogin(tb testing.TB, a approval) map[string]any {
	tb.Helper()
	st, out := s.call(tb, "POST", "/v1/authorizations", map[string]string{"method": "ticket", "ticket_id": a.TicketID})
	if st != http.StatusCreated {
		tb.Fatalf("login: %d %v", st, out)
	}
	return out
}

func errorCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func requestIDs(authz map[string]any) []string {
	var ids []string
	for _, r := range authz["requests"].([]any) {
		ids = append(ids, r.(map[string]any)["request_id"].(string))
	}
	return ids
}

func confirmation(key string) map[string]string {
	return map[string]string{"idempotency_key": key, "job_id": "job-" + key, "printer_id": "card-1",
		"card_serial": "SN-" + key, "pdf_sha256": strings.Repeat("ab", 32)}
}

func TestRunWithoutKeys(t *testing.T) {
	dir := t.TempDir()
	m := NewMain()
	m.Stderr = io.Discard
	if err := m.ParseFlags([]string{"-addr", "127.0.0.1:0", "-data", dir, "-ticket-key", filepath.Join(dir, "none.key")}); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "anjunganctl keys init") {
		t.Fatalf("Run without keys: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close after a failed Run: %v", err)
	}
}

func TestParseFlags(t *testing.T) {
	for _, args := range [][]string{{"-people", "0"}, {"-nope"}, {"extra"}, {"-seed", "-1"}} {
		m := NewMain()
		m.Stderr = io.Discard
		if err := m.ParseFlags(args); err == nil {
			t.Errorf("ParseFlags(%q) accepted", args)
		}
	}
	m := NewMain()
	if err := m.ParseFlags(nil); err != nil || m.Addr != "127.0.0.1:8090" || m.People != 200 || m.Seed != 1 {
		t.Fatalf("defaults: %v %+v", err, m)
	}
}

func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	MustKeys(t, dir)
	c := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s := MustStart(t, dir, c)
	a := s.MustApprove(t, map[string]any{"documents": []string{"ktp-el"}})
	authz := s.MustLogin(t, a)
	rid := requestIDs(authz)[0]
	aid := authz["authorization_id"].(string)
	if st, out := s.call(t, "POST", "/v1/authorizations/"+aid+"/requests/"+rid+"/confirmation", confirmation("k1")); st != 200 {
		t.Fatalf("confirm: %d %v", st, out)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	s = MustStart(t, dir, c)
	st, out := s.call(t, "GET", "/admin/approvals/"+a.ID, nil)
	if st != 200 || out["token_burned"] != true {
		t.Fatalf("after restart: %d %v", st, out)
	}
	st, out = s.call(t, "POST", "/v1/authorizations", map[string]string{"method": "ticket", "ticket_id": a.TicketID})
	if st != http.StatusConflict || errorCode(out) != "ticket_used" {
		t.Fatalf("burned ticket after restart: %d %v", st, out)
	}
	// The replayed confirmation gives the first answer.
	st, out = s.call(t, "POST", "/v1/authorizations/"+aid+"/requests/"+rid+"/confirmation", confirmation("k1"))
	if st != 200 || out["request_status"] != "printed" || out["token_burned"] != true {
		t.Fatalf("replay after restart: %d %v", st, out)
	}
}

func TestRunRefusesAnotherPopulation(t *testing.T) {
	dir := t.TempDir()
	MustKeys(t, dir)
	c := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	MustStart(t, dir, c).Close()
	m := NewMain()
	m.Stderr = io.Discard
	if err := m.ParseFlags([]string{"-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data"),
		"-ticket-key", filepath.Join(dir, "keys", "ticket.key"), "-binding-key", filepath.Join(dir, "keys", "binding.key"),
		"-document-key", filepath.Join(dir, "keys", "upstream-document.key"),
		"-people", "81"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "population") {
		m.Close()
		t.Fatalf("Run with another population: %v", err)
	}
}

func TestCreateApproval(t *testing.T) {
	s := newSim(t)
	pop := s.popForTest(t)
	now := s.clock.Now()
	var adult, child, parent *person
	for _, p := range pop.People {
		switch {
		case adult == nil && p.adult(now) && !p.parent():
			adult = p
		case child == nil && p.Relation == relChild && age(p.BirthDate, now) < 17:
			child = p
		}
		if parent == nil && len(p.kiaChildren(now)) > 0 {
			parent = p
		}
	}
	if adult == nil || child == nil || parent == nil {
		t.Fatal("population lacks an adult, a child or a parent")
	}
	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"ktp-el for anyone", map[string]any{"documents": []string{"ktp-el"}}, 201, ""},
		{"three documents", map[string]any{"documents": []string{"ktp-el", "kk", "kia"}}, 201, ""},
		{"named adult", map[string]any{"nik": adult.NIK.Reveal(), "documents": []string{"ktp-el", "kk"}}, 201, ""},
		{"named parent and child", map[string]any{"nik": parent.NIK.Reveal(), "child_nik": parent.kiaChildren(now)[0].NIK.Reveal(), "documents": []string{"kia"}}, 201, ""},
		{"no documents", map[string]any{"documents": []string{}}, 400, "bad_request"},
		{"unknown document", map[string]any{"documents": []string{"sim"}}, 400, "bad_request"},
		{"twice", map[string]any{"documents": []string{"kk", "kk"}}, 400, "bad_request"},
		{"unknown field", map[string]any{"documents": []string{"kk"}, "name": "x"}, 400, "bad_request"},
		{"bad NIK", map[string]any{"nik": "1234", "documents": []string{"kk"}}, 400, "nik_invalid"},
		{"unknown person", map[string]any{"nik": "3171010101900001", "documents": []string{"kk"}}, 404, "person_not_found"},
		{"child without KIA", map[string]any{"nik": parent.NIK.Reveal(), "child_nik": child.NIK.Reveal(), "documents": []string{"kk"}}, 400, "bad_request"},
		{"KIA for a child", map[string]any{"nik": child.NIK.Reveal(), "documents": []string{"kia"}}, 422, "not_eligible"},
		{"KIA for an adult without children", map[string]any{"nik": adult.NIK.Reveal(), "documents": []string{"kia"}}, 422, "not_eligible"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, out := s.call(t, "POST", "/admin/approvals", tt.body)
			if st != tt.status || errorCode(out) != tt.code {
				t.Fatalf("status %d %v, want %d %q", st, out, tt.status, tt.code)
			}
			if st != 201 {
				return
			}
			pin, _ := out["pin"].(string)
			if !isDigits(pin, 6) || !strings.HasPrefix(out["ticket"].(string), ticket.Prefix) {
				t.Fatalf("approval %v", out)
			}
			if _, err := station.ParseNIK(out["nik"].(string)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// popForTest is the population the running simulator serves.
func (s *sim) popForTest(tb testing.TB) *population {
	tb.Helper()
	p, err := generatePopulation(s.Seed, s.People)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestAuthorizations(t *testing.T) {
	s := newSim(t)
	a := s.MustApprove(t, map[string]any{"documents": []string{"ktp-el", "kk"}})
	other := s.MustApprove(t, map[string]any{"documents": []string{"kk"}})
	tests := []struct {
		name   string
		body   map[string]string
		status int
		code   string
	}{
		{"ticket", map[string]string{"method": "ticket", "ticket_id": a.TicketID}, 201, ""},
		{"pin", map[string]string{"method": "pin", "nik": a.NIK, "pin": a.PIN}, 201, ""},
		{"unknown ticket", map[string]string{"method": "ticket", "ticket_id": strings.Repeat("0", 32)}, 401, "credentials_rejected"},
		{"malformed ticket id", map[string]string{"method": "ticket", "ticket_id": "xyz"}, 400, "bad_request"},
		{"another approval's PIN", map[string]string{"method": "pin", "nik": a.NIK, "pin": other.PIN}, 401, "credentials_rejected"},
		{"unknown NIK", map[string]string{"method": "pin", "nik": "3171010101900001", "pin": a.PIN}, 401, "credentials_rejected"},
		{"malformed NIK", map[string]string{"method": "pin", "nik": "12", "pin": a.PIN}, 401, "credentials_rejected"},
		{"short PIN", map[string]string{"method": "pin", "nik": a.NIK, "pin": "123"}, 401, "credentials_rejected"},
		{"unknown method", map[string]string{"method": "fingerprint"}, 400, "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, out := s.call(t, "POST", "/v1/authorizations", tt.body)
			if st != tt.status || errorCode(out) != tt.code {
				t.Fatalf("status %d %v, want %d %q", st, out, tt.status, tt.code)
			}
			if st != 201 {
				if m := out["error"].(map[string]any); m["message_id"] == "" || m["message_en"] == "" {
					t.Fatalf("error without messages: %v", out)
				}
				return
			}
			if out["nik"] != a.NIK || out["method"] != tt.body["method"] || len(requestIDs(out)) != 2 {
				t.Fatalf("authorization %v", out)
			}
			if _, err := time.Parse(time.RFC3339, out["expires_at"].(string)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPINRateLimit(t *testing.T) {
	s := newSim(t)
	a := s.MustApprove(t, map[string]any{"documents": []string{"kk"}})
	wrong := map[string]string{"method": "pin", "nik": a.NIK, "pin": "000000"}
	if a.PIN == "000000" {
		wrong["pin"] = "000001"
	}
	for i := range pinMaxFailures {
		if st, out := s.call(t, "POST", "/v1/authorizations", wrong); st != 401 {
			t.Fatalf("wrong PIN %d: %d %v", i+1, st, out)
		}
	}
	right := map[string]string{"method": "pin", "nik": a.NIK, "pin": a.PIN}
	if st, out := s.call(t, "POST", "/v1/authorizations", right); st != 429 || errorCode(out) != "too_many_attempts" {
		t.Fatalf("after %d wrong PINs: %d %v", pinMaxFailures, st, out)
	}
	// The ticket still works: the limit is on PIN guesses.
	s.MustLogin(t, a)
	s.clock.Advance(pinWindow + time.Second)
	if st, out := s.call(t, "POST", "/v1/authorizations", right); st != 201 {
		t.Fatalf("after the window: %d %v", st, out)
	}
}

func TestDocuments(t *testing.T) {
	s := newSim(t)
	a := s.MustApprove(t, map[string]any{"documents": []string{"ktp-el", "kia", "kk"}})
	authz := s.MustLogin(t, a)
	aid := authz["authorization_id"].(string)
	for _, r := range authz["requests"].([]any) {
		req := r.(map[string]any)
		rid, typ := req["request_id"].(string), req["document_type"].(string)
		t.Run(typ, func(t *testing.T) {
			st, doc := s.call(t, "GET", "/v1/authorizations/"+aid+"/requests/"+rid+"/document", nil)
			if st != 200 || doc["nik"] != a.NIK || doc["document_type"] != typ || doc["request_id"] != rid {
				t.Fatalf("document: %d %v", st, doc)
			}
			fields := doc["fields"].(map[string]any)
			for k, v := range fields {
				if s := v.(string); s == "" || s != strings.ToUpper(s) {
					t.Errorf("field %s = %q: empty or not upper case", k, s)
				}
			}
			images := doc["images"].(map[string]any)
			switch typ {
			case "ktp-el":
				if fields["nik"] != a.NIK || images["photo"] == nil || images["signature"] == nil {
					t.Errorf("KTP-el: nik %v, images %d", fields["nik"], len(images))
				}
			case "kia":
				if fields["nik"] == a.NIK || fields["no_kk"] == nil || fields["no_akta_lahir"] == nil {
					t.Errorf("KIA shows %v", fields)
				}
			case "kk":
				rows := doc["rows"].([]any)
				found := false
				for _, row := range rows {
					found = found || row.(map[string]any)["nik"] == a.NIK
				}
				if !found || len(images) != 0 {
					t.Errorf("KK: applicant among %d rows: %v; %d images", len(rows), found, len(images))
				}
			}
		})
	}
	// Other authorizations' requests stay out of reach.
	b := s.MustApprove(t, map[string]any{"documents": []string{"kk"}})
	bid := requestIDs(s.MustLogin(t, b))[0]
	if st, out := s.call(t, "GET", "/v1/authorizations/"+aid+"/requests/"+bid+"/document", nil); st != 404 || errorCode(out) != "request_not_found" {
		t.Fatalf("another approval's request: %d %v", st, out)
	}
	if st, out := s.call(t, "GET", "/v1/authorizations/aut_nope/requests/"+bid+"/document", nil); st != 401 || errorCode(out) != "session_expired" {
		t.Fatalf("unknown authorization: %d %v", st, out)
	}
	s.clock.Advance(authorizationTTL)
	rid := requestIDs(authz)[0]
	if st, out := s.call(t, "GET", "/v1/authorizations/"+aid+"/requests/"+rid+"/document", nil); st != 401 || errorCode(out) != "session_expired" {
		t.Fatalf("expired authorization: %d %v", st, out)
	}
	// Settling a print still works after the visit.
	if st, out := s.call(t, "POST", "/v1/authorizations/"+aid+"/requests/"+rid+"/confirmation", confirmation("late")); st != 200 {
		t.Fatalf("late confirmation: %d %v", st, out)
	}
}

func TestSettle(t *testing.T) {
	s := newSim(t)
	a := s.MustApprove(t, map[string]any{"documents": []string{"ktp-el", "kk"}})
	authz := s.MustLogin(t, a)
	aid := authz["authorization_id"].(string)
	ids := requestIDs(authz)
	path := func(rid, what string) string { return "/v1/authorizations/" + aid + "/requests/" + rid + "/" + what }
	report := func(key, result string) map[string]string {
		return map[string]string{"idempotency_key": key, "job_id": "j-" + key, "printer_id": "card-1", "result": result, "reason": "media-jam"}
	}
	burned := func() bool {
		_, out := s.call(t, "GET", "/admin/approvals/"+a.ID, nil)
		return out["token_burned"] == true
	}

	steps := []struct {
		name   string
		path   string
		body   any
		status int
		want   string // request_status or error code
	}{
		{"failed keeps approved", path(ids[0], "report"), report("r1", "failed"), 200, "approved"},
		{"bad result", path(ids[0], "report"), report("r2", "printed"), 400, "bad_request"},
		{"in doubt", path(ids[0], "report"), report("r3", "in_doubt"), 200, "in_doubt"},
		{"document held while in doubt", path(ids[0], "document"), nil, 409, "request_in_doubt"},
		{"resolved as printed", path(ids[0], "confirmation"), confirmation("c1"), 200, "printed"},
		{"replay", path(ids[0], "confirmation"), confirmation("c1"), 200, "printed"},
		{"key reused for another request", path(ids[1], "confirmation"), confirmation("c1"), 409, "idempotency_conflict"},
		{"printed twice", path(ids[0], "confirmation"), confirmation("c2"), 409, "already_printed"},
		{"report after print", path(ids[0], "report"), report("r4", "failed"), 409, "already_printed"},
		{"document after print", path(ids[0], "document"), nil, 409, "already_printed"},
		{"bad digest", path(ids[1], "confirmation"), map[string]string{"idempotency_key": "c3", "job_id": "j", "printer_id": "p", "pdf_sha256": "zz"}, 400, "bad_request"},
		{"no key", path(ids[1], "confirmation"), map[string]string{"job_id": "j", "printer_id": "p", "pdf_sha256": strings.Repeat("0", 64)}, 400, "bad_request"},
		{"unknown request", path("req_nope", "confirmation"), confirmation("c4"), 404, "request_not_found"},
	}
	for _, st := range steps {
		code, out := s.call(t, "POST", st.path, st.body)
		if st.body == nil {
			code, out = s.call(t, "GET", st.path, nil)
		}
		got := errorCode(out)
		if got == "" {
			got, _ = out["request_status"].(string)
		}
		if code != st.status || got != st.want {
			t.Fatalf("%s: %d %v, want %d %s", st.name, code, out, st.status, st.want)
		}
		if burned() {
			t.Fatalf("%s: token burned with a request still open", st.name)
		}
	}
	code, out := s.call(t, "POST", path(ids[1], "confirmation"), confirmation("c5"))
	if code != 200 || out["token_burned"] != true || !burned() {
		t.Fatalf("last confirmation: %d %v", code, out)
	}
	for _, body := range []map[string]string{
		{"method": "ticket", "ticket_id": a.TicketID},
		{"method": "pin", "nik": a.NIK, "pin": a.PIN},
	} {
		if code, out := s.call(t, "POST", "/v1/authorizations", body); code != 409 || errorCode(out) != "ticket_used" {
			t.Fatalf("login with a burned token: %d %v", code, out)
		}
	}
}

func TestNotFound(t *testing.T) {
	s := newSim(t)
	for _, p := range []string{"/", "/v1/nothing", "/admin/approvals/apv_nope"} {
		if st, out := s.call(t, "GET", p, nil); st != 404 {
			t.Errorf("GET %s: %d %v", p, st, out)
		}
	}
}

// TestCompressedBodiesRefused: the contract takes no compressed body. A
// Content-Encoding other than identity is refused with its own code
// before the body is read, on every route.
func TestCompressedBodiesRefused(t *testing.T) {
	s := newSim(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(make([]byte, 64<<20))
	_ = zw.Close()
	a := s.MustApprove(t, map[string]any{"documents": []string{"kk"}})
	login, _ := json.Marshal(map[string]string{"method": "pin", "nik": a.NIK, "pin": a.PIN})
	tests := []struct {
		name, path, encoding string
		body                 []byte
		status               int
		code                 string
	}{
		{"gzip bomb", "/v1/authorizations", "gzip", gz.Bytes(), 415, "encoding_unsupported"},
		{"deflate", "/v1/authorizations", "deflate", gz.Bytes(), 415, "encoding_unsupported"},
		{"brotli", "/v1/authorizations", "br", []byte{0x0b, 0x02, 0x80}, 415, "encoding_unsupported"},
		{"chained", "/v1/authorizations", "gzip, gzip", gz.Bytes(), 415, "encoding_unsupported"},
		{"admin route", "/admin/approvals", "gzip", gz.Bytes(), 415, "encoding_unsupported"},
		{"unknown route", "/v1/nothing", "gzip", gz.Bytes(), 415, "encoding_unsupported"},
		{"identity", "/v1/authorizations", "identity", login, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", s.URL()+tt.path, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Content-Encoding", tt.encoding)
			res, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(res.Body).Decode(&out)
			if res.StatusCode != tt.status || errorCode(out) != tt.code {
				t.Errorf("%d %v, want %d %s", res.StatusCode, out, tt.status, tt.code)
			}
		})
	}
}
