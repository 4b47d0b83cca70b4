package http_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	_ "modernc.org/sqlite"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/fleet"
	fleethttp "github.com/anjungan/anjungan/fleet/http"
	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/pgtest"
)

// kioskLog is one of a kiosk's audit logs in its own SQLite file, signed
// with the kiosk's key for that log.
type kioskLog struct {
	db     *sql.DB
	signer *audit.Signer
}

func mustKioskLog(t *testing.T, skey string) *kioskLog {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "log.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := audit.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	s, err := audit.NewSigner(skey, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	return &kioskLog{db: db, signer: s}
}

// grow appends n entries; changed names an index whose entry differs
// from the genuine log's (a rewritten history), -1 for none.
func (l *kioskLog) grow(t *testing.T, n int, changed int64) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		size, err := audit.Size(ctx, l.db)
		if err != nil {
			t.Fatal(err)
		}
		code := "printed"
		if size == changed {
			code = "failed"
		}
		tx, err := l.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := audit.Append(ctx, tx, audit.Entry{Time: t0, Kind: "job.state", Fields: map[string]string{"job": strconv.FormatInt(size, 10), "state": code}}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// request is the witness request for the log's current checkpoint, with
// a proof from old.
func (l *kioskLog) request(t *testing.T, old int64) string {
	t.Helper()
	ctx := context.Background()
	cp, err := l.signer.Checkpoint(ctx, l.db)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := audit.Size(ctx, l.db)
	proof, err := audit.Prove(ctx, l.db, old, size)
	if err != nil {
		t.Fatal(err)
	}
	return string(fleet.WitnessRequest{Old: old, Proof: proof, Checkpoint: cp}.Encode())
}

func addCheckpoint(t *testing.T, c *http.Client, url, body string) (int, string) {
	t.Helper()
	resp, err := c.Post(url+fleethttp.WitnessPath, "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func mustNoteKey(t *testing.T, name string) (skey, vkey string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

type witnessRig struct {
	hubs     []*rig
	wvkey    string
	stationK string // the station log's signing key
	printerK string
	dsn      string
}

// mustWitnessHubs starts n hub processes serving the witness on one
// database, with kiosk k1 enrolled with its two audit keys.
func mustWitnessHubs(t *testing.T, n int) *witnessRig {
	t.Helper()
	dir := t.TempDir()
	if err := certs.InitFleetCA(dir, nil, rand.Reader, time.Now()); err != nil {
		t.Fatal(err)
	}
	wskey, wvkey, err := audit.GenerateWitnessKey("fleethub.example/witness", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cos, err := audit.NewCosigner(wskey)
	if err != nil {
		t.Fatal(err)
	}
	w := &witnessRig{wvkey: wvkey, dsn: pgtest.MustDB(t)}
	for i := 0; i < n; i++ {
		w.hubs = append(w.hubs, startHub(t, dir, w.dsn, cos))
	}
	sk, sv := mustNoteKey(t, "anjungan.k1/station/audit")
	pk, pv := mustNoteKey(t, "anjungan.k1/printerd/audit")
	w.stationK, w.printerK = sk, pk
	if err := w.hubs[0].store.Enrol(context.Background(), fleet.Kiosk{ID: "k1", Name: "MPP", Regency: "3273", Province: "32",
		AuditKeys: map[string]string{fleet.AuditLogStation: sv, fleet.AuditLogPrinterd: pv}}); err != nil {
		t.Fatal(err)
	}
	return w
}

// mustCosigned checks a 200 answer is the witness's cosignature of the
// log's latest checkpoint.
func mustCosigned(t *testing.T, status int, body string, l *kioskLog, wvkey string) {
	t.Helper()
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	latest, err := audit.Latest(context.Background(), l.db)
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := strings.Cut(string(latest), "\n\n")
	if _, err := audit.VerifyCosignature(text+"\n", body, wvkey); err != nil {
		t.Fatalf("cosignature %q: %v", body, err)
	}
}

func openAlerts(t *testing.T, r *rig) []string {
	t.Helper()
	rows, err := r.store.Pool().Query(context.Background(), `SELECT kind, kiosk, subject, detail FROM alerts WHERE closed_at IS NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k, ki, s, d string
		if err := rows.Scan(&k, &ki, &s, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, k+" "+ki+" "+s+": "+d)
	}
	return out
}

// A kiosk's log grows and is cosigned at each checkpoint; a forked log
// (history rewritten and re-signed with the kiosk's own key) is refused
// at its next checkpoint and raises audit_inconsistent naming the kiosk
// and both sizes; a stale old gets 409 with the hub's size; a checkpoint
// signed by another key is refused.
func TestWitnessOverMutualTLS(t *testing.T) {
	w := mustWitnessHubs(t, 1)
	r := w.hubs[0]
	k1 := r.client(t, "k1")
	ctx := context.Background()
	station := mustKioskLog(t, w.stationK)

	station.grow(t, 5, -1)
	st, body := addCheckpoint(t, k1, r.url, station.request(t, 0))
	mustCosigned(t, st, body, station, w.wvkey)
	station.grow(t, 3, -1)
	st, body = addCheckpoint(t, k1, r.url, station.request(t, 5))
	mustCosigned(t, st, body, station, w.wvkey)
	if got, _ := r.store.Witnessed(ctx, "k1", fleet.AuditLogStation); got.Size != 8 {
		t.Fatalf("hub stored size %d, want 8", got.Size)
	}

	// A stale old: the kiosk thinks the hub is at 5.
	station.grow(t, 2, -1)
	if st, body := addCheckpoint(t, k1, r.url, station.request(t, 5)); st != 409 || body != "8\n" {
		t.Fatalf("stale old: %d %q, want 409 \"8\\n\"", st, body)
	}
	// Proving from the hub's size works.
	st, body = addCheckpoint(t, k1, r.url, station.request(t, 8))
	mustCosigned(t, st, body, station, w.wvkey)
	// A resend of the cosigned checkpoint (its answer was lost) is
	// cosigned again, whatever its old.
	st, body = addCheckpoint(t, k1, r.url, station.request(t, 8))
	mustCosigned(t, st, body, station, w.wvkey)

	// A checkpoint signed by another key with the log's name is refused.
	otherK, _ := mustNoteKey(t, "anjungan.k1/station/audit")
	impostor := mustKioskLog(t, otherK)
	impostor.grow(t, 12, -1)
	if st, body := addCheckpoint(t, k1, r.url, impostor.request(t, 10)); st != 403 || !strings.Contains(body, `"checkpoint_signature_invalid"`) {
		t.Fatalf("other key: %d %s", st, body)
	}

	// The fork: the same kiosk key over a history with entry 3 changed.
	fork := mustKioskLog(t, w.stationK)
	fork.grow(t, 14, 3)
	st, body = addCheckpoint(t, k1, r.url, fork.request(t, 10))
	if st != 422 || !strings.Contains(body, `"audit_inconsistent"`) {
		t.Fatalf("forked log: %d %s, want 422 audit_inconsistent", st, body)
	}
	alerts := openAlerts(t, r)
	want := "audit_inconsistent k1 station: audit log station of kiosk k1: checkpoint of size 14 is not consistent with the cosigned size 10"
	if len(alerts) != 1 || alerts[0] != want {
		t.Fatalf("alerts %q, want [%q]", alerts, want)
	}
	t.Logf("the fork raised: %s", alerts[0])
	if got, _ := r.store.Witnessed(ctx, "k1", fleet.AuditLogStation); got.Size != 10 {
		t.Fatalf("after the fork the hub holds size %d, want 10", got.Size)
	}
	// A fork at the cosigned size itself: same size, another root.
	fork10 := mustKioskLog(t, w.stationK)
	fork10.grow(t, 10, 3)
	if st, body := addCheckpoint(t, k1, r.url, fork10.request(t, 10)); st != 422 || !strings.Contains(body, `"audit_inconsistent"`) {
		t.Fatalf("fork at the same size: %d %s", st, body)
	}

	// The other log of the kiosk is witnessed apart.
	printerd := mustKioskLog(t, w.printerK)
	printerd.grow(t, 2, -1)
	st, body = addCheckpoint(t, k1, r.url, printerd.request(t, 0))
	mustCosigned(t, st, body, printerd, w.wvkey)

	// Requests the witness cannot read.
	good := station.request(t, 10)
	for name, c := range map[string]struct {
		body   string
		status int
		code   string
	}{
		"old-above-size": {strings.Replace(good, "old 10", "old 11", 1), 400, "witness_request_invalid"},
		"no-blank-line":  {"old 10\n", 400, "witness_request_invalid"},
		"old-not-number": {strings.Replace(good, "old 10", "old +10", 1), 400, "witness_request_invalid"},
		"too-large":      {"old 0\n\n" + strings.Repeat("a", fleet.MaxWitnessBody), 400, "witness_request_invalid"},
		"unsigned-note":  {"old 0\n\nanjungan.k1/station/audit\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 403, "checkpoint_signature_invalid"},
	} {
		st, body := addCheckpoint(t, k1, r.url, c.body)
		if st != c.status || !strings.Contains(body, `"`+c.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", name, st, body, c.status, c.code)
		}
	}
	// An unknown kiosk is refused.
	if st, body := addCheckpoint(t, r.client(t, "k9"), r.url, good); st != 403 || !strings.Contains(body, `"kiosk_unknown"`) {
		t.Errorf("unknown kiosk: %d %s", st, body)
	}
}

// Two hubs on one database, each given a different next checkpoint of
// the same log at once: exactly one cosigns, the other answers 409 with
// the size the first cosigned; the stored state is the winner's.
func TestWitnessHubsRace(t *testing.T) {
	w := mustWitnessHubs(t, 2)
	a, b := w.hubs[0], w.hubs[1]
	ca := a.client(t, "k1")
	cb := ca // one kiosk, its one certificate, talking to both hubs
	station := mustKioskLog(t, w.stationK)
	var size int64
	for round := 0; round < 5; round++ {
		station.grow(t, 3, -1)
		first := station.request(t, size)
		station.grow(t, 2, -1)
		second := station.request(t, size)
		var wg sync.WaitGroup
		var st [2]int
		var body [2]string
		for i, c := range []struct {
			url    string
			client *http.Client
			body   string
		}{{a.url, ca, first}, {b.url, cb, second}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := c.client.Post(c.url+fleethttp.WitnessPath, "text/plain", strings.NewReader(c.body))
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				bb, _ := io.ReadAll(resp.Body)
				st[i], body[i] = resp.StatusCode, string(bb)
			}()
		}
		wg.Wait()
		got, err := a.store.Witnessed(context.Background(), "k1", fleet.AuditLogStation)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case st[0] == 200 && st[1] == 409:
			if got.Size != size+3 || body[1] != fmt.Sprintf("%d\n", size+3) {
				t.Fatalf("round %d: first won, hub holds %d, loser told %q", round, got.Size, body[1])
			}
			// The loser proves from the winner's size and is cosigned.
			if st, body := addCheckpoint(t, cb, b.url, station.request(t, size+3)); st != 200 {
				t.Fatalf("round %d: catching up: %d %s", round, st, body)
			}
		case st[0] == 409 && st[1] == 200:
			if got.Size != size+5 || body[0] != fmt.Sprintf("%d\n", size+5) {
				t.Fatalf("round %d: second won, hub holds %d, loser told %q", round, got.Size, body[0])
			}
		default:
			t.Fatalf("round %d: statuses %v (%q): want one 200 and one 409", round, st, body)
		}
		size += 5
		if got, _ := a.store.Witnessed(context.Background(), "k1", fleet.AuditLogStation); got.Size != size {
			t.Fatalf("round %d: hub holds %d, want %d", round, got.Size, size)
		}
	}
	if alerts := openAlerts(t, a); len(alerts) != 0 {
		t.Fatalf("a race raised %v", alerts)
	}
}
