package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/internal/httpguard"
	"github.com/anjungan/anjungan/printerd"
)

// FuzzDecodeSubmit feeds submissions to the submit decoder: any
// Content-Type, Printerd-Job header and body. It must never panic; it
// either yields a request whose document is the body, or a job_invalid
// fault with a status. The seeds in testdata/fuzz/FuzzDecodeSubmit are
// named by failure mode.
func FuzzDecodeSubmit(f *testing.F) {
	f.Add(ContentTypePDF, `{"idempotency_key":"k","media":"om_card_54x86mm","title":"KTP-el"}`, []byte("%PDF-1.4\n"))
	f.Fuzz(func(t *testing.T, contentType, header string, body []byte) {
		h := http.Header{"Content-Type": {contentType}, JobHeader: {header}}
		req, status, err := decodeSubmit(h, bytes.NewReader(body), int64(len(body)))
		if err != nil {
			if !errors.Is(err, printerd.ErrInvalidJob) || status == 0 {
				t.Fatalf("error %v with status %d, want job_invalid with a status", err, status)
			}
			return
		}
		if !bytes.Equal(req.Document, body) {
			t.Fatalf("document of %d bytes from a body of %d", len(req.Document), len(body))
		}
		// Whatever decoded must still pass or fail validation cleanly.
		_ = req.Validate()
	})
}

// stubService answers every call a POST route makes with success and
// counts the calls; the routes' decoding is under test, not printerd.
type stubService struct {
	Service // nil: GET routes are not fuzzed
	calls   int
}

func (s *stubService) Submit(context.Context, printerd.SubmitRequest) (printerd.Job, bool, error) {
	s.calls++
	return printerd.Job{ID: "J1"}, true, nil
}

func (s *stubService) Resolve(context.Context, printerd.JobID, printerd.Resolution) (printerd.Resolved, error) {
	s.calls++
	return printerd.Resolved{}, nil
}

func (s *stubService) Release(context.Context, printerd.JobID, string) (printerd.Job, error) {
	s.calls++
	return printerd.Job{ID: "J1"}, nil
}

func (s *stubService) ResumePrinter(context.Context, string, string) error {
	s.calls++
	return nil
}

func (s *stubService) InjectFault(context.Context, string, printerd.Fault) error {
	s.calls++
	return nil
}

func (s *stubService) LoadCards(_ context.Context, l printerd.Load) (printerd.Load, error) {
	s.calls++
	return l, nil
}

func (s *stubService) Cancel(context.Context, printerd.JobID) (printerd.Job, error) {
	s.calls++
	return printerd.Job{ID: "J1"}, nil
}

// postRoutes are the API's routes that read a JSON body (and cancel,
// which reads none).
func postRoutes() []string {
	return []string{"/v1/jobs", "/v1/jobs/J1/resolve", "/v1/jobs/J1/release", "/v1/jobs/J1/cancel",
		"/v1/printers/card-1/resume", "/v1/printers/card-1/faults", "/v1/ledger/loads"}
}

// FuzzHandler sends the API's POST routes any body with any
// Content-Encoding. A compressed body is refused unread (415
// encoding_unsupported) and reaches no service call; any other body is
// decoded or refused as a client error, never a server error. The seeds
// in testdata/fuzz/FuzzHandler are the attacker's requests, by failure
// mode.
func FuzzHandler(f *testing.F) {
	f.Add(uint8(0), "", []byte("%PDF-1.4\n"))
	f.Fuzz(func(t *testing.T, route uint8, encoding string, body []byte) {
		svc := &stubService{}
		h := NewHandler(svc, zerolog.Nop())
		path := postRoutes()[int(route)%len(postRoutes())]
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		if path == "/v1/jobs" {
			// A submission as the client sends it, so the body reaches the
			// service when it is not compressed.
			req.Header.Set("Content-Type", "application/pdf")
			req.Header.Set(JobHeader, `{"idempotency_key":"k","media":"om_card_54x86mm","title":"KTP-el"}`)
		}
		if encoding != "" {
			req.Header.Set("Content-Encoding", encoding)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var er ErrorResponse
		_ = json.Unmarshal(rec.Body.Bytes(), &er)
		if rec.Code >= 500 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && (er.Error.Code == "" || er.Error.MessageID == "" || er.Error.MessageEN == "") {
			t.Fatalf("%s: %d without an error body: %s", path, rec.Code, rec.Body)
		}
		if !httpguard.IdentityEncoding(req.Header.Values("Content-Encoding")) {
			if rec.Code != http.StatusUnsupportedMediaType || er.Error.Code != fault.EncodingUnsupported.Code || svc.calls != 0 {
				t.Fatalf("%s with Content-Encoding %q: %d %s, %d service calls", path, encoding, rec.Code, rec.Body, svc.calls)
			}
		}
	})
}
