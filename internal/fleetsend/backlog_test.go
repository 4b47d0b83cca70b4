package fleetsend_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/anjungan/anjungan/fleet"
)

// TestBacklogReported: while the hub is down the sender writes an
// outbox_backlog event every BacklogEvery (compacted to the latest when
// the outbox is over its cap); when the hub is back they arrive in the
// stream with the growing counts, and one more reports the empty outbox,
// so the hub's backlog_growing alert can open and clear.
func TestBacklogReported(t *testing.T) {
	pki := MustPKI(t)
	h := MustHub(t, pki)
	ob := MustOutbox(t, filepath.Join(t.TempDir(), "kiosk.db"))
	s := MustSender(t, pki, h.url, ob)
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	s.BacklogEvery = time.Minute
	ctx := context.Background()

	h.mu.Lock()
	h.down = true
	h.mu.Unlock()
	_, _ = s.Step(ctx) // starts the clock of the reports
	for i := 0; i < 3; i++ {
		appendLogins(t, ob, i*100, 100)
		now = now.Add(time.Minute)
		if _, err := s.Step(ctx); err == nil {
			t.Fatal("a hub answering 503 acknowledged a batch")
		}
	}
	h.mu.Lock()
	h.down = false
	h.mu.Unlock()
	drain(t, s)
	now = now.Add(time.Minute)
	drain(t, s)
	now = now.Add(time.Minute)
	drain(t, s) // nothing waits and zero was reported: no further report

	var got []fleet.OutboxBacklog
	logins := 0
	for _, e := range h.stored(fleet.StreamStation) {
		if e.Kind != fleet.KindOutboxBacklog {
			logins++
			continue
		}
		var b fleet.OutboxBacklog
		if err := json.Unmarshal(e.Data, &b); err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	if logins != 300 {
		t.Fatalf("hub holds %d login outcomes, want 300", logins)
	}
	// 100, then 200 + the first report, then 300 + two; then the empty outbox.
	want := []int{100, 201, 302, 0}
	if len(got) != len(want) {
		t.Fatalf("backlog reports %+v, want events %v", got, want)
	}
	for i, b := range got {
		if b.Events != want[i] || (b.Events > 0) != (b.Bytes > 0) || (b.Events > 0) == b.OldestAt.IsZero() {
			t.Errorf("report %d: %+v, want %d events with their size and oldest time", i, b, want[i])
		}
	}
}
