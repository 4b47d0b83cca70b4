package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/simcard"
	"github.com/anjungan/anjungan/printerd/journal"
)

// custodyRoutes are the custody routes a client sends data to; the
// month's query string is the body for the last.
var custodyRoutes = []struct{ method, path string }{
	{"POST", "/v1/ledger/loads/1/reverse"},
	{"PUT", "/v1/ledger/loads/1"},
	{"POST", "/v1/ledger/spoils"},
	{"POST", "/v1/ledger/destructions"},
	{"POST", "/v1/ledger/destructions/DAAAAAAAAAAAA/confirm"},
	{"POST", "/v1/printers/card-1/reconcile"},
	{"GET", "/v1/printers/card-1/month?"},
}

// custodyService is a real dispatcher (journal, simulated card printer
// with a load), shared by every input of a fuzz run: whatever an input
// leaves in the ledger, the next must still be answered with a client
// error or a success.
func custodyService(f *testing.F) *printerd.Dispatcher {
	dir := f.TempDir()
	dev, err := simcard.Open(printerd.DeviceConfig{URI: dir, Options: map[string]string{"raster": "off"}})
	if err != nil {
		f.Fatal(err)
	}
	j, err := journal.Open(dir, time.Now)
	if err != nil {
		f.Fatal(err)
	}
	d, err := printerd.NewDispatcher(printerd.DispatcherConfig{Journal: j,
		Printers: []printerd.Printer{{Name: "card-1", Driver: simcard.Name, Media: printerd.MediaCard, Device: dev}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = d.Close(); _ = j.Close(); _ = dev.Close() })
	if _, err := d.LoadCards(context.Background(), printerd.Load{Printer: "card-1", Count: 1000, Actor: "sari"}); err != nil {
		f.Fatal(err)
	}
	return d
}

// FuzzCustodyHandler sends the custody routes any body (any query, for
// the month): never a server error, every refusal a typed error body.
// Seeds in testdata/fuzz/FuzzCustodyHandler are named by failure mode.
func FuzzCustodyHandler(f *testing.F) {
	f.Add(uint8(2), []byte(`{"printer":"card-1","cause":"rusak","actor":"sari"}`))
	mux := NewHandler(custodyService(f), zerolog.Nop())
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := custodyRoutes[int(route)%len(custodyRoutes)]
		path := r.path
		var req = httptest.NewRequest(r.method, "/", nil)
		if r.method == "GET" {
			q, err := url.ParseQuery(string(body))
			if err != nil {
				return // not a query a client could send
			}
			req = httptest.NewRequest(r.method, path+q.Encode(), nil)
		} else {
			req = httptest.NewRequest(r.method, path, bytes.NewReader(body))
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		var er ErrorResponse
		_ = json.Unmarshal(rec.Body.Bytes(), &er)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", r.method, path, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && (er.Error.Code == "" || er.Error.MessageID == "" || er.Error.MessageEN == "") {
			t.Fatalf("%s %s: %d without an error body: %s", r.method, path, rec.Code, rec.Body)
		}
	})
}
