package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/api"
	"github.com/anjungan/anjungan/printerd/journal"
)

// MustServeAudit serves the audit routes of a journal with one load
// recorded; it returns the URL, the journal and the verifier key.
func MustServeAudit(tb testing.TB) (string, *journal.Journal, string) {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "anjungan.test/printerd/audit")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := audit.NewSigner(skey, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	j, err := journal.Open(filepath.Join(tb.TempDir(), "data"), time.Now,
		journal.WithCheckpoints(journal.Checkpoints{Signer: s, VerifierKey: vkey, Interval: time.Hour}))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := j.RecordLoad(context.Background(), printerd.Load{Printer: "card-1", Count: 5, Actor: "sari"}); err != nil {
		tb.Fatal(err)
	}
	d, err := printerd.NewDispatcher(printerd.DispatcherConfig{Journal: j})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(api.NewHandler(d, zerolog.Nop(), api.WithAudit(j)))
	tb.Cleanup(func() {
		srv.Close()
		_ = d.Close()
		_ = j.Close()
	})
	return srv.URL, j, vkey
}

func TestAuditRoutes(t *testing.T) {
	url, j, vkey := MustServeAudit(t)
	// Before the first checkpoint both routes say so.
	for _, path := range []string{"/v1/audit/checkpoint", "/v1/audit/entries"} {
		if status, body := do(t, http.MethodGet, url+path, nil); status != http.StatusNotFound || !strings.Contains(string(body), "audit_checkpoint_missing") {
			t.Errorf("GET %s before a checkpoint = %d %s", path, status, body)
		}
	}
	signed, err := j.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path       string
		wantStatus int
		wantType   string
		wantBody   string
	}{
		{"/v1/audit/checkpoint", 200, "text/plain; charset=utf-8", string(signed)},
		{"/v1/audit/entries", 200, "application/jsonl", `"kind":"cards.loaded"`},
		{"/v1/audit/entries?from=0&format=csv", 200, "text/csv; charset=utf-8", "cards.loaded"},
		{"/v1/audit/entries?from=-1", 400, "application/json", "request_invalid"},
		{"/v1/audit/entries?from=x", 400, "application/json", "request_invalid"},
		{"/v1/audit/entries?format=xml", 400, "application/json", "request_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(url + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != tt.wantType || !strings.Contains(b.String(), tt.wantBody) {
				t.Errorf("= %d %q %s; want %d %q with %s", resp.StatusCode, resp.Header.Get("Content-Type"), b.String(),
					tt.wantStatus, tt.wantType, tt.wantBody)
			}
		})
	}
	if _, err := audit.OpenCheckpoint(signed, vkey); err != nil {
		t.Error(err)
	}
	// From past the checkpoint: the checkpoint line alone.
	resp, err := http.Get(url + "/v1/audit/entries?from=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if strings.Count(body.String(), "\n") != 1 || !strings.HasPrefix(body.String(), `{"checkpoint":`) {
		t.Errorf("entries from 1 of a 1-entry log = %s, want the checkpoint line only", body.String())
	}
}

// Without WithAudit the routes do not exist.
func TestAuditRoutesOff(t *testing.T) {
	url := MustServe(t, "5")
	if status, _ := do(t, http.MethodGet, url+"/v1/audit/checkpoint", nil); status != http.StatusNotFound {
		t.Errorf("status %d, want 404", status)
	}
}
