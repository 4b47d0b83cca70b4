package fleetsend_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/fleetsend"
	"github.com/anjungan/anjungan/internal/outbox"

	_ "modernc.org/sqlite"
)

// hub is a small fleet hub of the contract (docs/fleet.md): per stream it
// keeps every event once by seq, answers Ack{acked} with the highest seq
// stored with no gap before it, and 409 sequence_gap when a batch's first
// new event would leave a gap. Only clients with a certificate of the
// test CA get through the handshake.
type hub struct {
	mu     sync.Mutex
	events map[fleet.Stream][]fleet.Event // index seq-1
	posts  int
	down   bool          // answer 503
	block  chan struct{} // when set, each POST waits for it to close
	gapAt  map[fleet.Stream]uint64
	srv    *http.Server
	url    string
}

// MustHub starts a hub on loopback with mTLS; dir holds the dev PKI.
func MustHub(tb testing.TB, dir string) *hub {
	tb.Helper()
	cfg, err := certs.ServerMTLS(filepath.Join(dir, "registry.crt"), filepath.Join(dir, "registry.key"), filepath.Join(dir, "ca.crt"))
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	h := &hub{events: map[fleet.Stream][]fleet.Event{}, gapAt: map[fleet.Stream]uint64{}}
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 5 * time.Second}
	h.url = "https://" + ln.Addr().String()
	go func() { _ = h.srv.Serve(tls.NewListener(ln, cfg)) }()
	tb.Cleanup(func() { _ = h.srv.Close() })
	return h
}

func (h *hub) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/events" || r.Method != http.MethodPost || r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		http.Error(w, `{"code":"route_not_found"}`, http.StatusNotFound)
		return
	}
	var b fleet.Batch
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		http.Error(w, `{"code":"body_invalid"}`, http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.posts++
	block := h.block
	h.mu.Unlock()
	if block != nil {
		<-block // received, not yet stored nor answered
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		http.Error(w, `{"code":"unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	have := h.events[b.Stream]
	acked := uint64(len(have))
	if g := h.gapAt[b.Stream]; g != 0 {
		// A hub whose database lost what it had acknowledged past g.
		have, acked = have[:g], g
		h.events[b.Stream] = have
		delete(h.gapAt, b.Stream)
	}
	for _, e := range b.Events {
		switch {
		case e.Seq <= acked:
			continue // stored once
		case e.Seq != acked+1:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusConflict)
			_ = json.NewEncoder(w).Encode(map[string]any{"code": "sequence_gap", "acked": acked})
			return
		}
		have = append(have, e)
		acked++
	}
	h.events[b.Stream] = have
	_ = json.NewEncoder(w).Encode(fleet.Ack{Acked: acked})
}

func (h *hub) stored(s fleet.Stream) []fleet.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]fleet.Event(nil), h.events[s]...)
}

// MustPKI writes the development PKI into a temporary folder.
func MustPKI(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := certs.WriteDev(dir, rand.Reader, time.Now()); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// MustOutbox opens an outbox in a SQLite file of dir (a real file: WAL).
func MustOutbox(tb testing.TB, path string) *outbox.Store {
	tb.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'outbox'`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	if n == 0 {
		if _, err := db.Exec(outbox.Schema); err != nil {
			tb.Fatal(err)
		}
	}
	return &outbox.Store{DB: db}
}

// MustSender is a sender of s to h with the station's client certificate.
func MustSender(tb testing.TB, pki string, h string, s *outbox.Store) *fleetsend.Sender {
	tb.Helper()
	cfg, err := fleetsend.ClientTLS(filepath.Join(pki, "station-client.crt"), filepath.Join(pki, "station-client.key"), filepath.Join(pki, "ca.crt"))
	if err != nil {
		tb.Fatal(err)
	}
	return &fleetsend.Sender{Stream: fleet.StreamStation, Outbox: s, URL: h, Client: fleetsend.NewClient(cfg),
		Idle: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
}

// appendLogins appends n login outcomes, numbered by their code.
func appendLogins(tb testing.TB, s *outbox.Store, from, n int) {
	tb.Helper()
	ctx := context.Background()
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := from; i < from+n; i++ {
		if err := outbox.Append(ctx, tx, time.Unix(int64(i), 0), fleet.KindLoginOutcome, "",
			fleet.LoginOutcome{Method: "pin", Code: codeOf(i)}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

func codeOf(i int) string { return "c" + itoa(i) }

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// checkExactlyOnce fails unless the hub holds events 1..n, in order, each
// the i-th appended.
func checkExactlyOnce(tb testing.TB, got []fleet.Event, n int) {
	tb.Helper()
	if len(got) != n {
		tb.Fatalf("hub holds %d events, want %d", len(got), n)
	}
	for i, e := range got {
		var lo fleet.LoginOutcome
		if err := json.Unmarshal(e.Data, &lo); err != nil {
			tb.Fatal(err)
		}
		if e.Seq != uint64(i+1) || lo.Code != codeOf(i) {
			tb.Fatalf("event %d: seq %d code %s, want seq %d code %s", i, e.Seq, lo.Code, i+1, codeOf(i))
		}
	}
}
