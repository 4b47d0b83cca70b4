package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/api"
	"github.com/anjungan/anjungan/printerd/driver/sim"
	"github.com/anjungan/anjungan/printerd/drivertest"
	"github.com/anjungan/anjungan/printerd/journal"
)

// MustServe runs the API over a real journal, dispatcher and simulated
// card printer loaded with the given blank cards (no A4 printer).
func MustServe(tb testing.TB, blanks string) string {
	tb.Helper()
	return MustServeIn(tb, tb.TempDir(), blanks)
}

// MustServeIn is MustServe with the journal in dir/data.
func MustServeIn(tb testing.TB, dir, blanks string) string {
	tb.Helper()
	j, err := journal.Open(filepath.Join(dir, "data"), time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	dev, err := sim.Open(printerd.DeviceConfig{Name: "card-1", URI: filepath.Join(dir, "out"),
		Options: map[string]string{"media": string(printerd.MediaCard), "blanks": blanks}, TempDir: drivertest.TempDir(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	d, err := printerd.NewDispatcher(printerd.DispatcherConfig{Journal: j, Poll: 10 * time.Millisecond,
		Printers: []printerd.Printer{{Name: "card-1", Driver: "sim", Media: printerd.MediaCard, Device: dev}}})
	if err != nil {
		tb.Fatal(err)
	}
	// The ledger holds what the hopper holds: a card job is claimed only
	// while the ledger has a blank left.
	if n, _ := strconv.Atoi(blanks); n > 0 {
		if _, err := d.LoadCards(context.Background(), printerd.Load{Printer: "card-1", Count: n, Actor: "test"}); err != nil {
			tb.Fatal(err)
		}
	}
	srv := httptest.NewServer(api.NewHandler(d, zerolog.Nop()))
	tb.Cleanup(func() {
		srv.Close()
		_ = d.Close()
		_ = dev.Close()
		_ = j.Close()
	})
	return srv.URL
}

func MustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func MustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// submitRequest is req as printerd/client sends it: the PDF as the body,
// the other members in the Printerd-Job header.
func submitRequest(tb testing.TB, base string, req printerd.SubmitRequest) *http.Request {
	tb.Helper()
	meta, err := api.EncodeJobHeader(req)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := http.NewRequest("POST", base+"/v1/jobs", bytes.NewReader(req.Document))
	if err != nil {
		tb.Fatal(err)
	}
	r.Header.Set("Content-Type", api.ContentTypePDF)
	r.Header.Set(api.JobHeader, meta)
	return r
}

func doSubmit(tb testing.TB, base string, req printerd.SubmitRequest) (int, []byte) {
	tb.Helper()
	return doRequest(tb, submitRequest(tb, base, req))
}

func do(tb testing.TB, method, url string, body io.Reader) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	return doRequest(tb, req)
}

func doRequest(tb testing.TB, req *http.Request) (int, []byte) {
	tb.Helper()
	method, url := req.Method, req.URL.String()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		tb.Errorf("%s %s: Content-Type %q", method, url, ct)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, b
}

func errorCode(b []byte) string {
	var er api.ErrorResponse
	_ = json.Unmarshal(b, &er)
	if er.Error.MessageID == "" || er.Error.MessageEN == "" {
		return "(no messages)"
	}
	return string(er.Error.Code)
}

func TestErrors(t *testing.T) {
	base := MustServe(t, "1")
	tests := []struct {
		name       string
		method     string
		path       string
		body       io.Reader
		wantStatus int
		wantCode   string
	}{
		{"unknown job", "GET", "/v1/jobs/JNOSUCHJOB000", nil, 404, "job_not_found"},
		{"cancel unknown job", "POST", "/v1/jobs/JNOSUCHJOB000/cancel", nil, 404, "job_not_found"},
		{"unknown state", "GET", "/v1/jobs?state=lost", nil, 400, "request_invalid"},
		{"zero limit", "GET", "/v1/jobs?limit=0", nil, 400, "request_invalid"},
		{"limit not a number", "GET", "/v1/jobs?limit=ten", nil, 400, "request_invalid"},
		{"since not a time", "GET", "/v1/jobs?since=yesterday", nil, 400, "request_invalid"},
		{"until not a time", "GET", "/v1/jobs?until=2025-03-01", nil, 400, "request_invalid"},
		{"updated_since not a time", "GET", "/v1/jobs?updated_since=today", nil, 400, "request_invalid"},
		{"updated_until not a time", "GET", "/v1/jobs?updated_until=2025-03-02", nil, 400, "request_invalid"},
		{"unknown route", "GET", "/v2/jobs", nil, 404, "request_invalid"},
		{"erase the note of an unknown job", "POST", "/v1/jobs/JNOSUCHJOB000/erase-note", strings.NewReader(`{"actor":"dpo"}`), 404, "job_not_found"},
		{"erase a note without an actor", "POST", "/v1/jobs/JNOSUCHJOB000/erase-note", strings.NewReader(`{}`), 400, "request_invalid"},
		{"erase a note with an unknown field", "POST", "/v1/jobs/JNOSUCHJOB000/erase-note", strings.NewReader(`{"actor":"dpo","why":"x"}`), 400, "request_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, tt.method, base+tt.path, tt.body)
			if status != tt.wantStatus || errorCode(body) != tt.wantCode {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, status, body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

// TestSubmitErrors: each malformed submission gets its status and
// job_invalid (no_printer for a media no printer takes), and nothing else
// answers a JSON body, the shape before documents travelled raw.
func TestSubmitErrors(t *testing.T) {
	base := MustServe(t, "1")
	card := MustRead(t, "card.pdf")
	valid := printerd.SubmitRequest{IdempotencyKey: "k", Media: printerd.MediaCard, Title: "KTP-el", Document: card}
	with := func(req printerd.SubmitRequest, edit func(*http.Request)) *http.Request {
		r := submitRequest(t, base, req)
		if edit != nil {
			edit(r)
		}
		return r
	}
	header := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set(api.JobHeader, v) }
	}
	oldShape := func(r *http.Request) {
		b := MustJSON(t, map[string]string{"idempotency_key": "k", "media": "om_card_54x86mm", "document": base64.StdEncoding.EncodeToString(card)})
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Del(api.JobHeader)
	}
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string
	}{
		{"malformed header", with(valid, header(`{"idempotency_key":`)), 400, "job_invalid"},
		{"data after the object", with(valid, header(`{} {}`)), 400, "job_invalid"},
		{"header not ASCII", with(valid, header(`{"idempotency_key":"k","media":"om_card_54x86mm","title":"é"}`)), 400, "job_invalid"},
		{"no header", with(valid, func(r *http.Request) { r.Header.Del(api.JobHeader) }), 400, "job_invalid"},
		{"two headers", with(valid, func(r *http.Request) { r.Header.Add(api.JobHeader, r.Header.Get(api.JobHeader)) }), 400, "job_invalid"},
		{"header too long", with(valid, header(`{"title":"`+strings.Repeat("a", api.MaxJobHeader)+`"}`)), 400, "job_invalid"},
		{"no Content-Type", with(valid, func(r *http.Request) { r.Header.Del("Content-Type") }), 415, "job_invalid"},
		{"the JSON shape with base64", with(valid, oldShape), 415, "job_invalid"},
		{"body too large", with(printerd.SubmitRequest{IdempotencyKey: "k", Media: printerd.MediaCard}, func(r *http.Request) {
			// Streamed rather than held in memory.
			r.Body, r.ContentLength = io.NopCloser(io.LimitReader(zeros{}, api.MaxBody+1)), -1
		}), 413, "job_invalid"},
		{"missing key", with(printerd.SubmitRequest{Media: printerd.MediaCard, Document: card}, nil), 400, "job_invalid"},
		{"empty body", with(printerd.SubmitRequest{IdempotencyKey: "k", Media: printerd.MediaCard}, nil), 400, "job_invalid"},
		{"no printer for A4", with(printerd.SubmitRequest{IdempotencyKey: "kk", Media: printerd.MediaA4, Document: MustRead(t, "a4.pdf")}, nil), 422, "no_printer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := doRequest(t, tt.req)
			if status != tt.wantStatus || errorCode(body) != tt.wantCode {
				t.Errorf("%d %s, want %d %s", status, body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

// TestCompressedBodiesRefused: printerd's API reads bodies as they
// arrive; a Content-Encoding other than identity is refused with its own
// code before anything is read, so a small body never inflates (the
// 24 MiB limit counts the bytes on the wire).
func TestCompressedBodiesRefused(t *testing.T) {
	base := MustServe(t, "1")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(make([]byte, 64<<20))
	_ = zw.Close()
	valid := MustRead(t, "card.pdf")
	tests := []struct {
		name, encoding string
		body           []byte
		wantStatus     int
		wantCode       string
	}{
		{"gzip bomb", "gzip", gz.Bytes(), 415, "encoding_unsupported"},
		{"deflate", "deflate", gz.Bytes(), 415, "encoding_unsupported"},
		{"brotli", "br", []byte{0x0b, 0x02, 0x80}, 415, "encoding_unsupported"},
		{"chained", "gzip, br", gz.Bytes(), 415, "encoding_unsupported"},
		{"hidden after identity", "identity, gzip", gz.Bytes(), 415, "encoding_unsupported"},
		{"identity", "identity", valid, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := submitRequest(t, base, printerd.SubmitRequest{IdempotencyKey: "k-identity", Media: printerd.MediaCard, Title: "KTP-el", Document: tt.body})
			req.Header.Set("Content-Encoding", tt.encoding)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			code := errorCode(b)
			if tt.wantCode == "" {
				code = ""
			}
			if res.StatusCode != tt.wantStatus || code != tt.wantCode {
				t.Errorf("%d %s, want %d %s", res.StatusCode, b, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'A'
	}
	return len(p), nil
}

func TestJobLifecycle(t *testing.T) {
	base := MustServe(t, "1") // one blank card: the first job prints, the next is held
	card := MustRead(t, "card.pdf")
	req := printerd.SubmitRequest{IdempotencyKey: "first", Media: printerd.MediaCard, Title: "KTP-el", Document: card}

	var first printerd.Job
	status, body := doSubmit(t, base, req)
	if status != http.StatusCreated || json.Unmarshal(body, &first) != nil || first.ID == "" {
		t.Fatalf("submit = %d %s, want 201 and a job", status, body)
	}
	var replay printerd.Job
	status, body = doSubmit(t, base, req)
	if status != http.StatusOK || json.Unmarshal(body, &replay) != nil || replay.ID != first.ID {
		t.Fatalf("replay = %d %s, want 200 and job %s", status, body, first.ID)
	}
	other := req
	other.Document = append(bytes.Clone(card), '\n')
	status, body = doSubmit(t, base, other)
	if status != http.StatusConflict || errorCode(body) != "idempotency_conflict" {
		t.Fatalf("conflict = %d %s, want 409 idempotency_conflict", status, body)
	}

	printed := mustReach(t, base, first.ID, printerd.JobPrinted)
	if printed.CardSerial == "" {
		t.Errorf("printed card has no serial: %+v", printed)
	}
	req.IdempotencyKey = "second"
	status, body = doSubmit(t, base, req)
	var second printerd.Job
	if status != http.StatusCreated || json.Unmarshal(body, &second) != nil {
		t.Fatalf("second submit = %d %s", status, body)
	}
	mustReach(t, base, second.ID, printerd.JobHeld)

	status, body = do(t, "POST", base+"/v1/jobs/"+string(first.ID)+"/cancel", nil)
	if status != http.StatusConflict || errorCode(body) != "job_state_conflict" {
		t.Errorf("cancel printed = %d %s, want 409 job_state_conflict", status, body)
	}
	var canceled printerd.Job
	status, body = do(t, "POST", base+"/v1/jobs/"+string(second.ID)+"/cancel", nil)
	if status != http.StatusOK || json.Unmarshal(body, &canceled) != nil || canceled.State != printerd.JobCanceled {
		t.Errorf("cancel held = %d %s, want 200 canceled", status, body)
	}

	var list []printerd.Job
	status, body = do(t, "GET", base+"/v1/jobs?state=printed&limit=5", nil)
	if status != http.StatusOK || json.Unmarshal(body, &list) != nil || len(list) != 1 || list[0].ID != first.ID {
		t.Errorf("list printed = %d %s, want [%s]", status, body, first.ID)
	}
	status, body = do(t, "GET", base+"/v1/jobs?state=queued", nil)
	if status != http.StatusOK || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("list queued = %d %s, want []", status, body)
	}

	var printers []printerd.PrinterInfo
	status, body = do(t, "GET", base+"/v1/printers", nil)
	if status != http.StatusOK || json.Unmarshal(body, &printers) != nil || len(printers) != 1 {
		t.Fatalf("printers = %d %s", status, body)
	}
	if p := printers[0]; p.Name != "card-1" || p.Driver != "sim" || p.Media != printerd.MediaCard ||
		len(p.Status.Supplies) == 0 || p.Status.Supplies[0].Unit != "cards" || p.Status.Supplies[0].Level != 0 || len(p.Capabilities.Media) != 1 {
		t.Errorf("printer = %+v", p)
	}
	status, body = do(t, "GET", base+"/v1/health", nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("health = %d %s", status, body)
	}
}

func mustReach(tb testing.TB, base string, id printerd.JobID, state printerd.JobState) printerd.Job {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var job printerd.Job
		status, body := do(tb, "GET", base+"/v1/jobs/"+string(id), nil)
		if status != http.StatusOK || json.Unmarshal(body, &job) != nil {
			tb.Fatalf("get job = %d %s", status, body)
		}
		if job.State == state {
			return job
		}
		if time.Now().After(deadline) {
			tb.Fatalf("job %s stuck at %+v, want %s", id, job, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The handler serves requests concurrently; run with -race.
func TestConcurrentSubmissions(t *testing.T) {
	base := MustServe(t, "100")
	card := MustRead(t, "card.pdf")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errs := make(chan error, 8)
	for i := range 8 {
		r := submitRequest(t, base, printerd.SubmitRequest{IdempotencyKey: "k" + string(rune('a'+i)), Media: printerd.MediaCard, Document: card}).WithContext(ctx)
		go func() {
			resp, err := http.DefaultClient.Do(r)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					err = &statusError{resp.StatusCode}
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

type statusError struct{ status int }

func (e *statusError) Error() string { return http.StatusText(e.status) }

// TestResolveWithoutReasonCode: a client written before reason codes
// sends only "reason" with a reprint; it gets a 400 request_invalid whose
// messages name the missing reason_code, and the job stays in doubt. The
// same request with a code resolves it.
func TestResolveWithoutReasonCode(t *testing.T) {
	base := MustServe(t, "5")
	status, body := do(t, "POST", base+"/v1/printers/card-1/faults", strings.NewReader(`{"kind":"offline","at":"after-print"}`))
	if status != 200 {
		t.Fatalf("inject fault: %d %s", status, body)
	}
	status, body = doSubmit(t, base, printerd.SubmitRequest{IdempotencyKey: "req-1",
		Media: printerd.MediaCard, Title: "KTP-el", Document: MustRead(t, "card.pdf")})
	var job printerd.Job
	if status != 201 || json.Unmarshal(body, &job) != nil {
		t.Fatalf("submit: %d %s", status, body)
	}
	deadline := time.Now().Add(10 * time.Second) // only stops a hung test
	for job.State != printerd.JobInDoubt {
		if time.Now().After(deadline) {
			t.Fatalf("job never in doubt: %+v", job)
		}
		time.Sleep(10 * time.Millisecond)
		_, body = do(t, "GET", base+"/v1/jobs/"+string(job.ID), nil)
		mustUnmarshal(t, body, &job)
	}
	resolve := base + "/v1/jobs/" + string(job.ID) + "/resolve"
	status, body = do(t, "POST", resolve, strings.NewReader(`{"action":"reprint","reason":"card jammed","actor":"sari"}`))
	var er api.ErrorResponse
	mustUnmarshal(t, body, &er)
	if status != 400 || er.Error.Code != "request_invalid" || !strings.Contains(er.Error.MessageEN, "reason_code") || !strings.Contains(er.Error.MessageID, "reason_code") {
		t.Errorf("reprint without a reason code = %d %s, want 400 request_invalid naming reason_code", status, body)
	}
	status, body = do(t, "POST", resolve, strings.NewReader(`{"action":"reprint","reason_code":"jam","reason":"card jammed","actor":"sari"}`))
	var res printerd.Resolved
	mustUnmarshal(t, body, &res)
	if status != 200 || res.Job.State != printerd.JobFailed || res.Reprint == nil {
		t.Fatalf("reprint with a reason code = %d %s", status, body)
	}
	for _, want := range []bool{true, false} {
		status, body = do(t, "POST", base+"/v1/jobs/"+string(job.ID)+"/erase-note", strings.NewReader(`{"actor":"dpo"}`))
		var out printerd.NoteErased
		mustUnmarshal(t, body, &out)
		if status != 200 || out.Job != job.ID || out.Erased != want {
			t.Errorf("erase-note = %d %s, want erased %v", status, body, want)
		}
	}

	// The job's history: every state change, with the supervisor's
	// decision by name and code, and none of the supervisor's words.
	status, body = do(t, "GET", base+"/v1/jobs/"+string(job.ID)+"/history", nil)
	var events []printerd.JobEvent
	mustUnmarshal(t, body, &events)
	var path []string
	for _, e := range events {
		path = append(path, string(e.From)+">"+string(e.To))
		if e.Time.IsZero() || strings.Contains(e.Note, "card jammed") {
			t.Errorf("event %+v", e)
		}
	}
	if status != 200 || strings.Join(path, " ") != ">queued queued>dispatching dispatching>in_doubt in_doubt>failed" {
		t.Fatalf("history = %d %v", status, path)
	}
	if last := events[len(events)-1]; last.Actor != "sari" || last.ReasonCode != printerd.ReasonCodeJam || last.Reason != printerd.ReasonReprinted {
		t.Errorf("the resolution's event: %+v", last)
	}
	if status, _ := do(t, "GET", base+"/v1/jobs/JNOPE/history", nil); status != 404 {
		t.Errorf("history of an unknown job: %d", status)
	}
}

func mustUnmarshal(tb testing.TB, b []byte, v any) {
	tb.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", b, err)
	}
}

// TestSubmitTitleBeyondASCII: a title beyond ASCII travels escaped in
// the Printerd-Job header and is recorded as it was written.
func TestSubmitTitleBeyondASCII(t *testing.T) {
	base := MustServe(t, "1")
	for i, title := range []string{"Kartu Identitas Anak é", "Akta 𝔸 <&> \"x\" \\"} {
		req := printerd.SubmitRequest{IdempotencyKey: "title-" + strconv.Itoa(i), Media: printerd.MediaCard, Title: title, Document: MustRead(t, "card.pdf")}
		meta, err := api.EncodeJobHeader(req)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < len(meta); j++ {
			if meta[j] < 0x20 || meta[j] > 0x7e {
				t.Fatalf("header %q has byte %#x", meta, meta[j])
			}
		}
		status, body := doSubmit(t, base, req)
		var job printerd.Job
		if status != http.StatusCreated || json.Unmarshal(body, &job) != nil || job.Title != title {
			t.Errorf("submit %q = %d %s", title, status, body)
		}
	}
}
