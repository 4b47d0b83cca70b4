package witnesssend_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/mod/sumdb/note"
	_ "modernc.org/sqlite"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/fleet"
	fleethttp "github.com/anjungan/anjungan/fleet/http"
	"github.com/anjungan/anjungan/fleet/postgres"
	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/fleetsend"
	"github.com/anjungan/anjungan/internal/pgtest"
	"github.com/anjungan/anjungan/internal/witnesssend"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// hub is the real fleet hub's handler with its witness, on PostgreSQL,
// behind mutual TLS on a loopback address it can leave and come back to.
type hub struct {
	store   *postgres.Store
	handler http.Handler
	tls     *tls.Config
	addr    string
	srv     *http.Server
}

func (h *hub) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	h.srv = &http.Server{Handler: h.handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = h.srv.Serve(tls.NewListener(ln, h.tls)) }()
	t.Cleanup(func() { _ = h.srv.Close() })
}

type kiosk struct {
	db     *sql.DB
	signer *audit.Signer
	vkey   string
}

func mustKiosk(t *testing.T, skey, vkey string) *kiosk {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "station.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(audit.Schema + audit.CosignSchema); err != nil {
		t.Fatal(err)
	}
	s, err := audit.NewSigner(skey, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	return &kiosk{db: db, signer: s, vkey: vkey}
}

// grow appends n entries (the one at index changed differs: a rewritten
// history) and signs a checkpoint.
func (k *kiosk) grow(t *testing.T, n int, changed int64) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		size, _ := audit.Size(ctx, k.db)
		state := "printed"
		if size == changed {
			state = "failed"
		}
		tx, err := k.db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := audit.Append(ctx, tx, audit.Entry{Time: t0, Kind: "job.state", Fields: map[string]string{"job": strconv.FormatInt(size, 10), "state": state}}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := k.signer.Checkpoint(ctx, k.db); err != nil {
		t.Fatal(err)
	}
}

func (k *kiosk) log() audit.CosignLog { return audit.CosignLog{Read: k.db, Write: k.db} }

// The kiosk's log is cosigned checkpoint by checkpoint and the
// cosignatures are stored on both sides; it catches up after the hub was
// away and after losing its own cosignatures; anjunganctl's check of the
// stored cosignatures finds a changed one; a forked log is refused.
func TestSenderAgainstTheHub(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := certs.InitFleetCA(dir, nil, rand.Reader, time.Now()); err != nil {
		t.Fatal(err)
	}
	store, err := postgres.Open(ctx, pgtest.MustDB(t), func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	wskey, wvkey, _ := audit.GenerateWitnessKey("hub.test/witness", rand.Reader)
	cos, err := audit.NewCosigner(wskey)
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, _ := note.GenerateKey(rand.Reader, "anjungan.k1/station/audit")
	if err := store.Enrol(ctx, fleet.Kiosk{ID: "k1", Name: "MPP", Regency: "3273", Province: "32",
		AuditKeys: map[string]string{fleet.AuditLogStation: vkey}}); err != nil {
		t.Fatal(err)
	}
	srvTLS, err := certs.ServerMTLS(filepath.Join(dir, "fleethub.crt"), filepath.Join(dir, "fleethub.key"), filepath.Join(dir, "fleet-ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	h := &hub{store: store, tls: srvTLS, addr: "127.0.0.1:0",
		handler: fleethttp.NewHandler(store, zerolog.Nop(), fleethttp.WithWitness(&fleet.Witness{Store: store, Cosigner: cos, Now: func() time.Time { return t0 }}))}
	h.start(t)

	kdir := filepath.Join(dir, "k1")
	csr, err := certs.KioskRequest(kdir, "k1", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	crt, _, err := certs.SignKiosk(dir, csr, rand.Reader, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(kdir, "k1.crt"), crt, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := fleetsend.ClientTLS(filepath.Join(kdir, "k1.crt"), filepath.Join(kdir, "k1.key"), filepath.Join(dir, "fleet-ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	k := mustKiosk(t, skey, vkey)
	s := &witnesssend.Sender{Log: k.log(), URL: "https://" + h.addr, Client: fleetsend.NewClient(cfg), WitnessKey: wvkey,
		Now: func() time.Time { return t0 }}
	step := func(wantSize int64) {
		t.Helper()
		line, err := s.Step(ctx)
		if err != nil || line == "" {
			t.Fatalf("step to %d: %q %v", wantSize, line, err)
		}
		if n, _ := k.log().CosignedSize(ctx, "hub.test/witness"); n != wantSize {
			t.Fatalf("kiosk holds a cosignature of size %d, want %d", n, wantSize)
		}
		if w, _ := store.Witnessed(ctx, "k1", fleet.AuditLogStation); w.Size != wantSize {
			t.Fatalf("hub holds size %d, want %d", w.Size, wantSize)
		}
	}

	k.grow(t, 5, -1)
	step(5)
	if line, err := s.Step(ctx); line != "" || err != nil {
		t.Fatalf("nothing new: %q %v", line, err)
	}
	k.grow(t, 3, -1)
	step(8)

	// The hub is away: the checkpoint waits, and goes when it is back.
	_ = h.srv.Close()
	k.grow(t, 2, -1)
	if _, err := s.Step(ctx); err == nil {
		t.Fatal("a step with the hub away succeeded")
	}
	h.start(t)
	step(10)

	// The kiosk lost its cosignatures (a restored backup): the hub's 409
	// tells it the size to prove from.
	if _, err := k.db.Exec(`DELETE FROM audit_cosignatures`); err != nil {
		t.Fatal(err)
	}
	k.grow(t, 4, -1)
	step(14)

	// What anjunganctl audit verify -cosigned-by checks.
	rep, err := audit.VerifyCosignatures(ctx, k.db, vkey, wvkey)
	if err != nil || len(rep.Problems) != 0 || rep.Count != 1 || rep.MaxSize != 14 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	_, otherW, _ := audit.GenerateWitnessKey("hub.test/witness", rand.Reader)
	if rep, _ := audit.VerifyCosignatures(ctx, k.db, vkey, otherW); len(rep.Problems) == 0 {
		t.Fatal("cosignatures verified with another witness key")
	}
	if _, err := k.db.Exec(`UPDATE audit_cosignatures SET cosignature = replace(cosignature, substr(cosignature, -6, 4), 'AAAA')`); err != nil {
		t.Fatal(err)
	}
	if rep, _ := audit.VerifyCosignatures(ctx, k.db, vkey, wvkey); len(rep.Problems) != 1 || rep.Problems[0].Kind != "cosignature-invalid" {
		t.Fatalf("a changed cosignature: %+v", rep)
	}

	// A forked log re-signed with the kiosk's key is refused.
	fork := mustKiosk(t, skey, vkey)
	fork.grow(t, 16, 2)
	if _, err := fork.db.Exec(`INSERT INTO audit_cosignatures (size, checkpoint, witness, cosignature, received) SELECT 14, x'00', 'hub.test/witness', '', ''`); err != nil {
		t.Fatal(err)
	}
	s.Log = fork.log()
	if _, err := s.Step(ctx); !errors.Is(err, witnesssend.ErrInconsistent) {
		t.Fatalf("fork: %v, want ErrInconsistent", err)
	}
	if w, _ := store.Witnessed(ctx, "k1", fleet.AuditLogStation); w.Size != 14 {
		t.Fatalf("after the fork the hub holds %d", w.Size)
	}
}
