package fleethub_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/fleet/postgres"
	"github.com/anjungan/anjungan/internal/pgtest"
)

// BenchmarkFleetDay is a day of a fleet: ANJUNGAN_FLEET_KIOSKS kiosks
// (2,000), each with its own client certificate of the fleet CA, send a
// day's events hour by hour to two fleethub processes on one PostgreSQL,
// over ANJUNGAN_FLEET_CONNS (64) connections at once. The anchor is
// CopyFrom of the same number of rows into a plain table; docs/performance.md
// ("Fleet hub") has the figures. Each b.N is one more day.
func BenchmarkFleetDay(b *testing.B) {
	ctx := context.Background()
	nKiosks := envInt(b, "ANJUNGAN_FLEET_KIOSKS", 2000)
	conns := envInt(b, "ANJUNGAN_FLEET_CONNS", 64)
	dsn := pgtest.MustDB(b)
	dir := b.TempDir()
	caDir := filepath.Join(dir, "fleet")
	if err := certs.InitFleetCA(caDir, nil, rand.Reader, time.Now()); err != nil {
		b.Fatal(err)
	}
	bin := buildHub(b, dir)

	store, err := postgres.Open(ctx, dsn, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	kiosks := make([]simKiosk, nKiosks)
	for i := range kiosks {
		kiosks[i] = mustSimKiosk(b, caDir, fmt.Sprintf("k%04d", i))
		if err := store.Enrol(ctx, fleet.Kiosk{ID: kiosks[i].id, Name: "MPP " + kiosks[i].id, Regency: "3273", Province: "32"}); err != nil {
			b.Fatal(err)
		}
	}
	roots, err := certs.Pool(filepath.Join(caDir, certs.FleetCA+".crt"))
	if err != nil {
		b.Fatal(err)
	}
	hubs := []*hubProc{startHub(b, bin, dsn, caDir), startHub(b, bin, dsn, caDir)}
	sizeBefore := dbSize(b, store)

	first := splitDay(kiosks[0].id, 0) // the same counts every day, every kiosk
	stations, printerds := len(first[fleet.StreamStation]), len(first[fleet.StreamPrinterd])
	perDay := stations + printerds
	var (
		mu        sync.Mutex
		latencies []time.Duration
		printed   int
	)
	b.ResetTimer()
	start := time.Now()
	for day := 0; day < b.N; day++ {
		work := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < conns; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var lat []time.Duration
				var prints int
				for k := range work {
					l, p, err := sendDay(kiosks[k], hubs[k%len(hubs)].addr, roots, day)
					lat = append(lat, l...)
					prints += p
					if err != nil {
						b.Error(err)
					}
				}
				mu.Lock()
				latencies = append(latencies, lat...)
				printed += prints
				mu.Unlock()
			}()
		}
		for k := range kiosks {
			work <- k
		}
		close(work)
		wg.Wait()
		if b.Failed() {
			b.FailNow()
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()

	// Every kiosk's streams are acknowledged to the last seq, and the hub
	// counted every print outcome once.
	rows, err := store.Pool().Query(ctx, `SELECT kiosk, stream, acked FROM streams`)
	if err != nil {
		b.Fatal(err)
	}
	acked := map[string]int64{}
	for rows.Next() {
		var k, s string
		var a int64
		if err := rows.Scan(&k, &s, &a); err != nil {
			b.Fatal(err)
		}
		acked[k+"/"+s] = a
	}
	if rows.Err() != nil {
		b.Fatal(rows.Err())
	}
	for _, k := range kiosks {
		if a, want := acked[k.id+"/station"], int64(b.N*stations); a != want {
			b.Fatalf("%s/station acked %d, sent up to %d", k.id, a, want)
		}
		if a, want := acked[k.id+"/printerd"], int64(b.N*printerds); a != want {
			b.Fatalf("%s/printerd acked %d, sent up to %d", k.id, a, want)
		}
	}
	var counted int
	if err := store.Pool().QueryRow(ctx, `SELECT coalesce(sum(count), 0) FROM prints_daily`).Scan(&counted); err != nil {
		b.Fatal(err)
	}
	if counted != printed {
		b.Fatalf("the hub counted %d prints, kiosks sent %d print outcomes", counted, printed)
	}
	sizeAfter := dbSize(b, store)

	events := nKiosks * perDay * b.N
	copyTime, copied := copyAnchor(b, store, kiosks, b.N)
	if copied != int64(events) {
		b.Fatalf("the anchor copied %d rows, the kiosks sent %d events", copied, events)
	}
	var hwm []float64
	for _, h := range hubs {
		hwm = append(hwm, h.vmHWM(b))
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(pct(0.50), "p50-ms/batch")
	b.ReportMetric(pct(0.99), "p99-ms/batch")
	b.ReportMetric(slices.Max(hwm), "hub-VmHWM-MiB")
	b.ReportMetric(float64(sizeAfter-sizeBefore)/float64(nKiosks*b.N)/1024, "db-KiB/kiosk-day")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/day")
	b.ReportMetric(copyTime.Seconds()/float64(b.N), "copy-s/day")
	b.ReportMetric(elapsed.Seconds()/copyTime.Seconds(), "x-copy")
	b.Logf("%d kiosks × %d days, %d events in %d batches over %d connections to 2 fleethub processes: %v; CopyFrom of as many rows: %v; hubs' VmHWM %.1f MiB",
		nKiosks, b.N, events, len(latencies), conns, elapsed.Round(time.Millisecond), copyTime.Round(time.Millisecond), hwm)
}

func envInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		tb.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// simKiosk is a kiosk of the benchmark: its ID and client certificate.
type simKiosk struct {
	id   string
	cert tls.Certificate
}

// mustSimKiosk makes a key and a CSR as anjunganctl fleet enrol does (in
// memory) and has the fleet CA sign it.
func mustSimKiosk(tb testing.TB, caDir, id string) simKiosk {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: id}}, key)
	if err != nil {
		tb.Fatal(err)
	}
	crt, got, err := certs.SignKiosk(caDir, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), rand.Reader, time.Now())
	if err != nil || got != id {
		tb.Fatalf("signing %s: %v (%q)", id, err, got)
	}
	blk, _ := pem.Decode(crt)
	return simKiosk{id: id, cert: tls.Certificate{Certificate: [][]byte{blk.Bytes}, PrivateKey: key}}
}

func kindStream(k fleet.Kind) fleet.Stream {
	switch k {
	case fleet.KindPrinterState, fleet.KindJobState, fleet.KindBlankMovement:
		return fleet.StreamPrinterd
	}
	return fleet.StreamStation
}

// simDay is one kiosk's day (day 0 is 2026-12-01), both streams, in time
// order. Seqs are left 0: splitDay numbers them.
//
// From 08:00, a citizen every 8 minutes logs in (1 in 10 fails once and
// retries) and prints: 40 KTP-el and 10 KIA on the card printer (a blank
// card each), 10 KK on the paper printer; 1 in 20 prints fails. The
// card printer runs out of blanks at noon, is loaded and goes on.
func simDay(id string, day int) []fleet.Event {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC).AddDate(0, 0, day)
	var ev []fleet.Event
	add := func(at time.Duration, kind fleet.Kind, v any) {
		data, _ := json.Marshal(v)
		ev = append(ev, fleet.Event{At: t0.Add(at), Kind: kind, Data: data})
	}
	add(-5*time.Minute, fleet.KindKioskState, fleet.KioskState{State: "in_service"})
	add(-4*time.Minute, fleet.KindPrinterState, fleet.PrinterState{Printer: "card", Media: "card", State: "idle", Supplies: map[string]int{"ribbon": 80}})
	add(-4*time.Minute, fleet.KindPrinterState, fleet.PrinterState{Printer: "paper", Media: "a4", State: "idle", Supplies: map[string]int{"paper": 90, "toner": 60}})
	add(-3*time.Minute, fleet.KindBlankMovement, fleet.BlankMovement{Printer: "card", Kind: "load", Count: 30, Balance: 30})
	blanks := 30
	for i := 0; i < 60; i++ {
		at := time.Duration(i) * 8 * time.Minute
		if i == 30 { // noon: out of blanks, loaded
			add(at-2*time.Minute, fleet.KindPrinterState, fleet.PrinterState{Printer: "card", Media: "card", State: "stopped", Reasons: []string{"media-empty"}})
			add(at-2*time.Minute, fleet.KindKioskState, fleet.KioskState{State: "out_of_service", Unavailable: []string{"ktp-el", "kia"}, Reasons: []string{"printer_unavailable"}})
			blanks += 40
			add(at-time.Minute, fleet.KindBlankMovement, fleet.BlankMovement{Printer: "card", Kind: "load", Count: 40, Balance: blanks})
			add(at-time.Minute, fleet.KindPrinterState, fleet.PrinterState{Printer: "card", Media: "card", State: "idle", Supplies: map[string]int{"ribbon": 45}})
			add(at-time.Minute, fleet.KindKioskState, fleet.KioskState{State: "in_service"})
		}
		if i%10 == 3 {
			add(at, fleet.KindLoginOutcome, fleet.LoginOutcome{Method: "card", Code: "card_unreadable"})
		} else {
			add(at, fleet.KindLoginOutcome, fleet.LoginOutcome{Method: "card", Code: "ok"})
		}
		doc, media, printer := "ktp-el", "card", "card"
		switch {
		case i%6 == 5:
			doc, media, printer = "kk", "a4", "paper"
		case i%6 == 2:
			doc = "kia"
		}
		job := fmt.Sprintf("%s-%d-%02d", id, day, i)
		outcome := "printed"
		if i%20 == 7 {
			outcome = "failed"
		}
		add(at+time.Minute, fleet.KindJobState, fleet.JobState{JobRef: job, DocumentType: doc, Media: media, State: "queued"})
		add(at+time.Minute+5*time.Second, fleet.KindJobState, fleet.JobState{JobRef: job, DocumentType: doc, Media: media, State: "dispatching"})
		if media == "card" {
			blanks--
			kind := "print"
			if outcome == "failed" {
				kind = "spoil"
			}
			add(at+2*time.Minute, fleet.KindBlankMovement, fleet.BlankMovement{Printer: printer, Kind: kind, Count: 1, Balance: blanks})
		}
		if outcome == "failed" {
			add(at+2*time.Minute+30*time.Second, fleet.KindJobState, fleet.JobState{JobRef: job, Media: media, State: "failed", Reason: "printer_error"})
		} else {
			add(at+2*time.Minute+30*time.Second, fleet.KindJobState, fleet.JobState{JobRef: job, Media: media, State: "printed"})
		}
		add(at+3*time.Minute, fleet.KindPrintOutcome, fleet.PrintOutcome{DocumentType: doc, Outcome: outcome, JobRef: job})
	}
	add(8*time.Hour+time.Minute, fleet.KindKioskState, fleet.KioskState{State: "closed"})
	add(8*time.Hour+2*time.Minute, fleet.KindOutboxBacklog, fleet.OutboxBacklog{Events: 0})
	add(8*time.Hour+2*time.Minute, fleet.KindPrinterState, fleet.PrinterState{Printer: "paper", Media: "a4", State: "idle", Supplies: map[string]int{"paper": 40, "toner": 50}})
	add(8*time.Hour+3*time.Minute, fleet.KindPrinterState, fleet.PrinterState{Printer: "card", Media: "card", State: "idle", Supplies: map[string]int{"ribbon": 10}})
	slices.SortStableFunc(ev, func(a, b fleet.Event) int { return a.At.Compare(b.At) })
	return ev
}

// splitDay is simDay by stream, numbered: seq is contiguous per stream
// across days. The outbox_backlog snapshot goes on both streams.
func splitDay(id string, day int) map[fleet.Stream][]fleet.Event {
	streams := map[fleet.Stream][]fleet.Event{}
	for _, e := range simDay(id, day) {
		if e.Kind == fleet.KindOutboxBacklog {
			streams[fleet.StreamStation] = append(streams[fleet.StreamStation], e)
			streams[fleet.StreamPrinterd] = append(streams[fleet.StreamPrinterd], e)
			continue
		}
		s := kindStream(e.Kind)
		streams[s] = append(streams[s], e)
	}
	for _, evs := range streams {
		base := uint64(day * len(evs))
		for i := range evs {
			evs[i].Seq = base + uint64(i) + 1
		}
	}
	return streams
}

// sendDay sends a kiosk's day as its sender would after each hour: per
// hour, the station's batch, then printerd's (each hour's events fit in
// a batch of 500).
// It returns each batch's latency and the print outcomes sent.
func sendDay(k simKiosk, addr string, roots *x509.CertPool, day int) ([]time.Duration, int, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{k.cert}, MinVersion: tls.VersionTLS13}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: time.Minute}
	streams := splitDay(k.id, day)
	prints := 0
	for _, e := range streams[fleet.StreamStation] {
		if e.Kind == fleet.KindPrintOutcome {
			prints++
		}
	}
	var lat []time.Duration
	type pending struct {
		stream fleet.Stream
		events []fleet.Event
	}
	var batches []pending
	for _, s := range []fleet.Stream{fleet.StreamStation, fleet.StreamPrinterd} {
		evs := streams[s]
		for len(evs) > 0 {
			n := 1
			for n < len(evs) && n < 500 && evs[n].At.Truncate(time.Hour).Equal(evs[0].At.Truncate(time.Hour)) {
				n++
			}
			batches = append(batches, pending{s, evs[:n]})
			evs = evs[n:]
		}
	}
	slices.SortStableFunc(batches, func(a, b pending) int {
		return a.events[0].At.Truncate(time.Hour).Compare(b.events[0].At.Truncate(time.Hour))
	})
	for _, p := range batches {
		body, err := json.Marshal(fleet.Batch{Stream: p.stream, Events: p.events})
		if err != nil {
			return lat, prints, err
		}
		want := p.events[len(p.events)-1].Seq
		for try := 0; ; try++ {
			t := time.Now()
			resp, err := c.Post("https://"+addr+"/v1/events", "application/json", bytes.NewReader(body))
			if err != nil {
				return lat, prints, fmt.Errorf("%s: %w", k.id, err)
			}
			var ack fleet.Ack
			rb, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			d := time.Since(t)
			if resp.StatusCode == http.StatusServiceUnavailable && try < 5 {
				time.Sleep(100 * time.Millisecond) // the sender's backoff
				continue
			}
			if resp.StatusCode != http.StatusOK || json.Unmarshal(rb, &ack) != nil || ack.Acked != want {
				return lat, prints, fmt.Errorf("%s/%s up to %d: %d %s", k.id, p.stream, want, resp.StatusCode, rb)
			}
			lat = append(lat, d)
			break
		}
	}
	return lat, prints, nil
}

// buildHub builds the fleethub program into dir.
func buildHub(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "fleethub")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/anjungan/anjungan/cmd/fleethub").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build fleethub: %v\n%s", err, out)
	}
	return bin
}

// hubProc is a running fleethub program.
type hubProc struct {
	cmd  *exec.Cmd
	addr string
}

// startHub starts the program on a free port and waits for its
// "listening" line.
func startHub(tb testing.TB, bin, dsn, caDir string) *hubProc {
	tb.Helper()
	cmd := exec.Command(bin, "-db", dsn, "-listen", "127.0.0.1:0", "-log-level", "info",
		"-console-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0", // two hubs on one machine
		"-tls-cert", filepath.Join(caDir, "fleethub.crt"), "-tls-key", filepath.Join(caDir, "fleethub.key"),
		"-client-ca", filepath.Join(caDir, "fleet-ca.crt"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	h := &hubProc{cmd: cmd}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	var log []string
	for sc.Scan() {
		var line struct {
			Message string `json:"message"`
			Listen  string `json:"listen"`
		}
		log = append(log, sc.Text())
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "listening" {
			h.addr = line.Listen
			break
		}
	}
	if h.addr == "" {
		tb.Fatalf("fleethub did not listen:\n%s", strings.Join(log, "\n"))
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }() // refusals are logged; the checks see them
	return h
}

// vmHWM is the process's peak resident set (MiB).
func (h *hubProc) vmHWM(tb testing.TB) float64 {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", h.cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				tb.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	tb.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

func dbSize(tb testing.TB, s *postgres.Store) int64 {
	tb.Helper()
	var n int64
	if _, err := s.Pool().Exec(context.Background(), `CHECKPOINT`); err != nil {
		tb.Fatal(err)
	}
	if err := s.Pool().QueryRow(context.Background(), `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// copyAnchor copies as many rows as the days' events, with the same
// columns and data, into a plain table with CopyFrom, and returns how long
// it took.
func copyAnchor(tb testing.TB, s *postgres.Store, kiosks []simKiosk, days int) (time.Duration, int64) {
	tb.Helper()
	ctx := context.Background()
	if _, err := s.Pool().Exec(ctx, `CREATE TABLE copy_anchor (kiosk text, stream text, seq bigint, at timestamptz,
		received_at timestamptz, kind text, data jsonb)`); err != nil {
		tb.Fatal(err)
	}
	var rows [][]any
	start := time.Now()
	var total int64
	for day := 0; day < days; day++ {
		for _, k := range kiosks {
			rows = rows[:0]
			now := time.Now()
			for s, evs := range splitDay(k.id, day) {
				for _, e := range evs {
					rows = append(rows, []any{k.id, string(s), int64(e.Seq), e.At, now, string(e.Kind), []byte(e.Data)})
				}
			}
			n, err := s.Pool().CopyFrom(ctx, pgx.Identifier{"copy_anchor"}, []string{"kiosk", "stream", "seq", "at", "received_at", "kind", "data"}, pgx.CopyFromRows(rows))
			if err != nil {
				tb.Fatal(err)
			}
			total += n
		}
	}
	d := time.Since(start)
	return d, total
}
