package ctl

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/certs"
)

// MustTLSPrinterd is a stand-in printerd on an mTLS listener at
// 127.0.0.1:0 with the development PKI of dir: lists answer [], anything
// else {"status":"ok"}. It records the requests it receives.
func MustTLSPrinterd(tb testing.TB, dir string) (url string, got func() []string) {
	tb.Helper()
	cfg, err := certs.ServerMTLS(filepath.Join(dir, "printerd.crt"), filepath.Join(dir, "printerd.key"), filepath.Join(dir, "ca.crt"))
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ln = tls.NewListener(ln, cfg)
	var mu sync.Mutex
	var reqs []string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, r.Method+" "+r.URL.Path+" "+strings.TrimSpace(string(b)))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/printers", "/v1/jobs", "/v1/ledger":
			_, _ = io.WriteString(w, `[]`)
		default:
			_, _ = io.WriteString(w, `{"status":"ok"}`)
		}
	}), ErrorLog: log.New(io.Discard, "", 0)} // refusals are the test's point, not noise
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return "https://" + ln.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), reqs...)
	}
}

// TestPrinterdOverTLS: every printerd command reaches printerd's mTLS
// listener with -printerd-url and the client certificate.
func TestPrinterdOverTLS(t *testing.T) {
	dir := t.TempDir()
	if err := certs.WriteDev(dir, rand.Reader, time.Now()); err != nil {
		t.Fatal(err)
	}
	url, got := MustTLSPrinterd(t, dir)
	tlsFlags := []string{"-printerd-url", url, "-printerd-ca", filepath.Join(dir, "ca.crt"),
		"-printerd-cert", filepath.Join(dir, "printerd-client.crt"), "-printerd-key", filepath.Join(dir, "printerd-client.key")}
	with := func(args ...string) []string { return append(append([]string(nil), tlsFlags...), args...) }
	tests := []struct {
		name     string
		parse    func(*Main, *flag.FlagSet, []string) (func(context.Context) error, error)
		args     []string
		parseErr string // "" when parsing succeeds
		runErr   string // "" when the command succeeds
		want     string // the request printerd receives
	}{
		{"printers", parsePrinters, with(), "", "", "GET /v1/printers "},
		{"jobs", parseJobs, with("-state", "held"), "", "", "GET /v1/jobs "},
		{"ledger", parseLedger, with(), "", "", "GET /v1/ledger "},
		{"cards load", parseCardsLoad, with("-count", "5", "-actor", "sari"), "", "", `POST /v1/ledger/loads {"printer":"card-1","count":5,"actor":"sari","time":"0001-01-01T00:00:00Z"}`},
		{"job release", parseJobRelease, with("-actor", "sari", "J1"), "", "", `POST /v1/jobs/J1/release {"actor":"sari"}`},
		{"job resolve", parseJobResolve, with("-action", "reprint", "-reason-code", "jam", "-note", "macet", "-actor", "sari", "J1"), "", "",
			`POST /v1/jobs/J1/resolve {"action":"reprint","reason_code":"jam","reason":"macet","actor":"sari"}`},
		{"job resolve without a reason code", parseJobResolve, with("-action", "void", "-note", "rusak", "-actor", "sari", "J1"), "reason_code", "", ""},
		{"job resolve with a code of another action", parseJobResolve, with("-action", "void", "-reason-code", "jam", "-actor", "sari", "J1"), "reason_code", "", ""},
		{"job erase-note", parseJobEraseNote, with("-actor", "dpo", "J1"), "", "", `POST /v1/jobs/J1/erase-note {"actor":"dpo"}`},
		{"printer resume", parsePrinterResume, with("-actor", "sari", "card-1"), "", "", `POST /v1/printers/card-1/resume {"actor":"sari"}`},
		{"printer clear", parsePrinterClear, with("-printer", "card-1"), "", "", "DELETE /v1/printers/card-1/faults "},
		{"plain http", parsePrinters, []string{"-printerd-url", "http://" + strings.TrimPrefix(url, "https://")}, "mutual TLS", "", ""},
		{"socket and url", parsePrinters, with("-socket", "x.sock"), "not both", "", ""},
		{"client certificate missing", parsePrinters, with("-printerd-cert", filepath.Join(dir, "missing.crt")), "", "keys init", ""},
		{"server certificate as client certificate", parsePrinters, with("-printerd-cert", filepath.Join(dir, "printerd.crt"), "-printerd-key", filepath.Join(dir, "printerd.key")),
			"", "printerd_unreachable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Main{Stdout: &bytes.Buffer{}, Stderr: io.Discard}
			fs := flag.NewFlagSet(tt.name, flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			before := len(got())
			run, err := tt.parse(m, fs, tt.args)
			if tt.parseErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.parseErr) {
					t.Fatalf("parse = %v, want an error naming %q", err, tt.parseErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			err = run(context.Background())
			if tt.runErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.runErr) {
					t.Errorf("run = %v, want an error naming %q", err, tt.runErr)
				}
				if reqs := got()[before:]; len(reqs) != 0 {
					t.Errorf("printerd received %q", reqs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if reqs := got()[before:]; len(reqs) != 1 || reqs[0] != tt.want {
				t.Errorf("requests = %q, want %q", reqs, tt.want)
			}
		})
	}
}
