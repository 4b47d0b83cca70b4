package ctl

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

// faultServer is a stand-in printerd on a real unix socket that records
// the fault requests it receives.
func MustFaultServer(tb testing.TB) (sock string, got func() []string) {
	tb.Helper()
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	sock = filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var reqs []string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, r.Method+" "+r.URL.Path+" "+strings.TrimSpace(string(b)))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return sock, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), reqs...)
	}
}

func TestPrinterFaultCommands(t *testing.T) {
	sock, got := MustFaultServer(t)
	tests := []struct {
		name    string
		parse   func(*Main, *flag.FlagSet, []string) (func(context.Context) error, error)
		args    []string
		wantErr bool
		want    string // the request printerd receives
	}{
		{"fault", parsePrinterFault, []string{"-socket", sock, "-printer", "card-1", "-kind", "media-jam", "-at", "during-print", "-count", "2"}, false,
			`POST /v1/printers/card-1/faults {"kind":"media-jam","at":"during-print","count":2}`},
		{"clear", parsePrinterClear, []string{"-socket", sock, "-printer", "card-1"}, false, `DELETE /v1/printers/card-1/faults `},
		{"fault without printer", parsePrinterFault, []string{"-kind", "media-jam"}, true, ""},
		{"unknown kind", parsePrinterFault, []string{"-printer", "card-1", "-kind", "gremlins"}, true, ""},
		{"clear without printer", parsePrinterClear, nil, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			m := &Main{Stdout: &out, Stderr: io.Discard}
			fs := flag.NewFlagSet(tt.name, flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			before := len(got())
			run, err := tt.parse(m, fs, tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parse error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if tt.name == "unknown kind" && !errors.Is(err, printerd.ErrFaultInvalid) {
					t.Errorf("error = %v, want printer_fault_invalid", err)
				}
				return
			}
			if err := run(context.Background()); err != nil {
				t.Fatal(err)
			}
			reqs := got()[before:]
			if len(reqs) != 1 || reqs[0] != tt.want {
				t.Errorf("requests = %q, want %q", reqs, tt.want)
			}
			if !strings.Contains(out.String(), "card-1") {
				t.Errorf("output = %q", out.String())
			}
		})
	}
}
