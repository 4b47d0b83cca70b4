package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/api"
	"github.com/anjungan/anjungan/printerd/driver/sim"
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
		Options: map[string]string{"media": string(printerd.MediaCard), "blanks": blanks}})
	if err != nil {
		tb.Fatal(err)
	}
	d, err := printerd.NewDispatcher(printerd.DispatcherConfig{Journal: j, Poll: 10 * time.Millisecond,
		Printers: []printerd.Printer{{Name: "card-1", Driver: "sim", Media: printerd.MediaCard, Device: dev}}})
	if err != nil {
		tb.Fatal(err)
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

func do(tb testing.TB, method, url string, body io.Reader) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		tb.Fatal(err)
	}
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
	card := MustRead(t, "card.pdf")
	submit := func(req printerd.SubmitRequest) io.Reader { return bytes.NewReader(MustJSON(t, req)) }
	// A body past the cap, streamed rather than held in memory.
	huge := io.MultiReader(strings.NewReader(`{"document":"`), io.LimitReader(zeros{}, api.MaxBody+1))
	tests := []struct {
		name       string
		method     string
		path       string
		body       io.Reader
		wantStatus int
		wantCode   string
	}{
		{"malformed json", "POST", "/v1/jobs", strings.NewReader(`{"idempotency_key":`), 400, "job_invalid"},
		{"data after the object", "POST", "/v1/jobs", strings.NewReader(`{} {}`), 400, "job_invalid"},
		{"document not base64", "POST", "/v1/jobs", strings.NewReader(`{"idempotency_key":"k","media":"om_card_54x86mm","document":"%%%"}`), 400, "job_invalid"},
		{"body too large", "POST", "/v1/jobs", huge, 413, "job_invalid"},
		{"missing key", "POST", "/v1/jobs", submit(printerd.SubmitRequest{Media: printerd.MediaCard, Document: card}), 400, "job_invalid"},
		{"no printer for A4", "POST", "/v1/jobs", submit(printerd.SubmitRequest{IdempotencyKey: "kk", Media: printerd.MediaA4, Document: MustRead(t, "a4.pdf")}), 422, "no_printer"},
		{"unknown job", "GET", "/v1/jobs/JNOSUCHJOB000", nil, 404, "job_not_found"},
		{"cancel unknown job", "POST", "/v1/jobs/JNOSUCHJOB000/cancel", nil, 404, "job_not_found"},
		{"unknown state", "GET", "/v1/jobs?state=lost", nil, 400, "request_invalid"},
		{"zero limit", "GET", "/v1/jobs?limit=0", nil, 400, "request_invalid"},
		{"limit not a number", "GET", "/v1/jobs?limit=ten", nil, 400, "request_invalid"},
		{"since not a time", "GET", "/v1/jobs?since=yesterday", nil, 400, "request_invalid"},
		{"until not a time", "GET", "/v1/jobs?until=2025-03-01", nil, 400, "request_invalid"},
		{"unknown route", "GET", "/v2/jobs", nil, 404, "request_invalid"},
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
	status, body := do(t, "POST", base+"/v1/jobs", bytes.NewReader(MustJSON(t, req)))
	if status != http.StatusCreated || json.Unmarshal(body, &first) != nil || first.ID == "" {
		t.Fatalf("submit = %d %s, want 201 and a job", status, body)
	}
	var replay printerd.Job
	status, body = do(t, "POST", base+"/v1/jobs", bytes.NewReader(MustJSON(t, req)))
	if status != http.StatusOK || json.Unmarshal(body, &replay) != nil || replay.ID != first.ID {
		t.Fatalf("replay = %d %s, want 200 and job %s", status, body, first.ID)
	}
	other := req
	other.Document = append(bytes.Clone(card), '\n')
	status, body = do(t, "POST", base+"/v1/jobs", bytes.NewReader(MustJSON(t, other)))
	if status != http.StatusConflict || errorCode(body) != "idempotency_conflict" {
		t.Fatalf("conflict = %d %s, want 409 idempotency_conflict", status, body)
	}

	printed := mustReach(t, base, first.ID, printerd.JobPrinted)
	if printed.CardSerial == "" {
		t.Errorf("printed card has no serial: %+v", printed)
	}
	req.IdempotencyKey = "second"
	status, body = do(t, "POST", base+"/v1/jobs", bytes.NewReader(MustJSON(t, req)))
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
		body := MustJSON(t, printerd.SubmitRequest{IdempotencyKey: "k" + string(rune('a'+i)), Media: printerd.MediaCard, Document: card})
		go func() {
			r, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/jobs", bytes.NewReader(body))
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
