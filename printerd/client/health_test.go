package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// MustCanned serves fixed answers on a unix socket: path and query → status
// and body.
func MustCanned(tb testing.TB, answers map[string][2]string) string {
	tb.Helper()
	sock := filepath.Join(MustSocketDir(tb), "canned.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		status := map[string]int{"200": 200, "503": 503}[a[0]]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(a[1]))
	})}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return sock
}

func TestHealthAndLookupAnswers(t *testing.T) {
	const unavailable = `{"error":{"code":"journal_unavailable","message_id":"x","message_en":"y"}}`
	ctx := context.Background()
	c := client.New(MustCanned(t, map[string][2]string{
		"/v1/health":        {"503", `{"status":"degraded","journal":"unwritable","journal_failures":2}`},
		"/v1/jobs?key=here": {"200", `[{"id":"J1","idempotency_key":"here","state":"queued"}]`},
		"/v1/jobs?key=none": {"200", `[]`},
		"/v1/jobs?key=sure": {"503", unavailable},
	}))
	h, err := c.HealthReport(ctx)
	if !errors.Is(err, printerd.ErrJournal) || h.Journal != "unwritable" || h.JournalFailures != 2 {
		t.Errorf("HealthReport = %+v, %v; want the degraded report and journal_unavailable", h, err)
	}
	tests := []struct {
		key     string
		found   bool
		wantErr error
	}{
		{"here", true, nil},
		{"none", false, nil},
		{"sure", false, printerd.ErrJournal},
	}
	for _, tt := range tests {
		job, found, err := c.JobByKey(ctx, tt.key)
		if found != tt.found || !errors.Is(err, tt.wantErr) || found && job.ID != "J1" {
			t.Errorf("JobByKey(%s) = %+v, %v, %v; want found %v, %v", tt.key, job, found, err, tt.found, tt.wantErr)
		}
	}
}
