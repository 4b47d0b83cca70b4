package fleetsend_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/fleetsend"
	"github.com/anjungan/anjungan/internal/outbox"
)

// drain steps s until the outbox is empty.
func drain(t *testing.T, s *fleetsend.Sender) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		more, err := s.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !more && s.Status().Backlog == 0 {
			return
		}
	}
	t.Fatal("outbox never drained")
}

// TestDeliveryAcrossOutage: events written while the hub is down, and
// while it answers 503, reach it once each and in order when it is back;
// the outbox is then empty. Batches are at most MaxBatchEvents.
func TestDeliveryAcrossOutage(t *testing.T) {
	pki := MustPKI(t)
	h := MustHub(t, pki)
	ob := MustOutbox(t, filepath.Join(t.TempDir(), "kiosk.db"))
	s := MustSender(t, pki, h.url, ob)
	ctx := context.Background()

	appendLogins(t, ob, 0, 700)
	h.mu.Lock()
	h.down = true
	h.mu.Unlock()
	if _, err := s.Step(ctx); err == nil {
		t.Fatal("a hub answering 503 acknowledged a batch")
	}
	appendLogins(t, ob, 700, 300)
	if _, err := s.Step(ctx); err == nil {
		t.Fatal("a hub answering 503 acknowledged a batch")
	}
	if st := s.Status(); st.Backlog != 1000 || st.LastErr != "hub_unreachable" || !st.Oldest.Equal(time.Unix(0, 0).UTC()) {
		t.Fatalf("status while the hub is down: %+v", st)
	}
	h.mu.Lock()
	h.down = false
	h.mu.Unlock()
	drain(t, s)
	checkExactlyOnce(t, h.stored(fleet.StreamStation), 1000)
	if st := s.Status(); st.Backlog != 0 || st.Sent != 1000 {
		t.Fatalf("status after delivery: %+v", st)
	}

	// The hub gone altogether: the sender backs off and keeps the events.
	appendLogins(t, ob, 1000, 5)
	_ = h.srv.Close()
	if _, err := s.Step(ctx); err == nil {
		t.Fatal("no error from a hub that is gone")
	}
	if b, _ := ob.Backlog(ctx); b.Count != 5 {
		t.Fatalf("backlog %d after a failed send, want 5", b.Count)
	}
}

// TestSequenceGap: a hub whose database went back (restored to a backup
// holding 1..4 of the 10 it acknowledged) answers the kiosk's next batch,
// 11.., with 409 sequence_gap and acked 4: the kiosk numbers what it
// still has from 5 and the stream goes on with no gap; the six events
// lost at the hub are counted in Status.Lost.
func TestSequenceGap(t *testing.T) {
	pki := MustPKI(t)
	h := MustHub(t, pki)
	ob := MustOutbox(t, filepath.Join(t.TempDir(), "kiosk.db"))
	s := MustSender(t, pki, h.url, ob)

	appendLogins(t, ob, 0, 10)
	drain(t, s)
	h.mu.Lock()
	h.gapAt[fleet.StreamStation] = 4
	h.mu.Unlock()
	appendLogins(t, ob, 10, 3)
	drain(t, s)
	got := h.stored(fleet.StreamStation)
	if len(got) != 7 {
		t.Fatalf("hub holds %d events, want 7", len(got))
	}
	for i, e := range got {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	checkExactlyOnce(t, got[:4], 4)
	for i, e := range got[4:] {
		if want := `{"method":"pin","code":"` + codeOf(10+i) + `"}`; string(e.Data) != want {
			t.Errorf("seq %d: %s, want %s", e.Seq, e.Data, want)
		}
	}
	if st := s.Status(); st.Lost != 6 {
		t.Errorf("Lost %d, want 6", st.Lost)
	}
}

// TestCompactionKeepsCountedEvents: over the cap, only snapshots not yet
// sent and superseded by a later one of the same subject go; every
// counted event stays, and the latest snapshot of each subject.
func TestCompactionKeepsCountedEvents(t *testing.T) {
	ob := MustOutbox(t, filepath.Join(t.TempDir(), "kiosk.db"))
	ctx := context.Background()
	tx, err := ob.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	counted := map[fleet.Kind]int{}
	for i := 0; i < 400; i++ {
		at := time.Unix(int64(i), 0)
		kinds := []struct {
			kind fleet.Kind
			key  string
			data any
		}{
			{fleet.KindPrinterState, "printer_state/card-" + strconv.Itoa(i%2), fleet.PrinterState{Printer: "card-" + strconv.Itoa(i%2), State: strconv.Itoa(i)}},
			{fleet.KindKioskState, "", fleet.KioskState{State: strconv.Itoa(i)}},
			{fleet.KindJobState, "", fleet.JobState{JobRef: "R", State: "queued"}},
			{fleet.KindBlankMovement, "", fleet.BlankMovement{Printer: "card-1", Kind: "print", Count: 1}},
			{fleet.KindPrintOutcome, "", fleet.PrintOutcome{Outcome: "printed"}},
			{fleet.KindLoginOutcome, "", fleet.LoginOutcome{Method: "pin", Code: "ok"}},
		}
		for _, k := range kinds {
			if err := outbox.Append(ctx, tx, at, k.kind, k.key, k.data); err != nil {
				t.Fatal(err)
			}
			if !outbox.Snapshot(k.kind) {
				counted[k.kind]++
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n, err := ob.Compact(ctx, 10_000); err != nil || n != 0 {
		t.Fatalf("compacted %d (%v) under the cap", n, err)
	}
	if _, err := ob.Compact(ctx, 100); err != nil {
		t.Fatal(err)
	}
	rows, err := ob.DB.Query(`SELECT kind, data FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[fleet.Kind]int{}
	var snaps []string
	for rows.Next() {
		var kind, data string
		if err := rows.Scan(&kind, &data); err != nil {
			t.Fatal(err)
		}
		got[fleet.Kind(kind)]++
		if outbox.Snapshot(fleet.Kind(kind)) {
			snaps = append(snaps, data)
		}
	}
	for k, n := range counted {
		if got[k] != n {
			t.Errorf("%s: %d after compaction, want all %d", k, got[k], n)
		}
	}
	want := []string{`{"printer":"card-0","media":"","state":"398"}`, `{"printer":"card-1","media":"","state":"399"}`, `{"state":"399"}`}
	if len(snaps) != 3 || snaps[0] != want[0] || snaps[1] != want[1] || snaps[2] != want[2] {
		t.Errorf("snapshots after compaction: %q, want %q", snaps, want)
	}
}

// TestSenderKilledMidSend runs the sender in a child process (this test
// binary), kills it with SIGKILL while the hub holds a batch (received,
// not yet answered), then once more after the hub stored a batch but
// before the child could delete it, and restarts it: the hub ends with
// every event exactly once, in order, and the outbox empty.
func TestSenderKilledMidSend(t *testing.T) {
	if os.Getenv("FLEETSEND_CHILD") != "" {
		t.Skip("child")
	}
	pki := MustPKI(t)
	h := MustHub(t, pki)
	path := filepath.Join(t.TempDir(), "kiosk.db")
	ob := MustOutbox(t, path)
	appendLogins(t, ob, 0, 1200)

	run := func(block bool) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildSender$", "-test.v")
		cmd.Env = append(os.Environ(), "FLEETSEND_CHILD="+path, "FLEETSEND_PKI="+pki, "FLEETSEND_HUB="+h.url)
		cmd.Stderr = os.Stderr
		if block {
			h.mu.Lock()
			h.block = make(chan struct{})
			h.mu.Unlock()
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	waitPosts := func(n int) {
		for i := 0; i < 2000; i++ {
			h.mu.Lock()
			p := h.posts
			h.mu.Unlock()
			if p >= n {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("the hub never got %d posts", n)
	}

	// 1: killed while its batch waits at the hub; the hub then stores it
	// (the answer goes to a dead process).
	cmd := run(true)
	waitPosts(1)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	h.mu.Lock()
	close(h.block)
	h.block = nil
	h.mu.Unlock()
	for i := 0; i < 400 && len(h.stored(fleet.StreamStation)) == 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(h.stored(fleet.StreamStation)); n != fleetsend.MaxBatchEvents {
		t.Fatalf("hub stored %d events of the killed child's batch, want %d", n, fleetsend.MaxBatchEvents)
	}
	// 2: restarted, it resends that batch (deduplicated) and the rest.
	cmd = run(false)
	for i := 0; ; i++ {
		if b, _ := ob.Backlog(context.Background()); b.Count == 0 {
			break
		}
		if i > 2000 {
			t.Fatal("the restarted sender never emptied the outbox")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	checkExactlyOnce(t, h.stored(fleet.StreamStation), 1200)
}

// TestChildSender is the child of TestSenderKilledMidSend.
func TestChildSender(t *testing.T) {
	path := os.Getenv("FLEETSEND_CHILD")
	if path == "" {
		t.Skip("run by TestSenderKilledMidSend")
	}
	s := MustSender(t, os.Getenv("FLEETSEND_PKI"), os.Getenv("FLEETSEND_HUB"), MustOutbox(t, path))
	s.Run(context.Background()) // until killed
}
