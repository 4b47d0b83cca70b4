package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/fleet/postgres"
	"github.com/anjungan/anjungan/fleet/webhook"
	"github.com/anjungan/anjungan/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// A kiosk that goes silent raises kiosk_offline once; the webhook that
// fails twice receives it on the third try, after the backoff, and only
// once although two hubs watch the same database.
func TestOfflineAlertReachesWebhookOnce(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	var (
		rmu      sync.Mutex
		tries    int
		received []fleet.Alert
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rmu.Lock()
		defer rmu.Unlock()
		tries++
		if tries <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var a fleet.Alert
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			t.Error(err)
		}
		received = append(received, a)
	}))
	defer srv.Close()

	dsn := pgtest.MustDB(t)
	var hubs []*fleet.Watcher
	for range 2 {
		s, err := postgres.Open(ctx, dsn, clock)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		hubs = append(hubs, &fleet.Watcher{Store: s, Now: clock, Thresholds: fleet.DefaultThresholds,
			Notifier: &webhook.Notifier{URL: srv.URL}, Backoff: func(int) time.Duration { return time.Minute }})
	}
	st := hubs[0].Store
	if err := st.Enrol(ctx, fleet.Kiosk{ID: "k1", Name: "MPP", Regency: "3273", Province: "32", EnrolledAt: now}); err != nil {
		t.Fatal(err)
	}
	d, _ := json.Marshal(fleet.KioskState{State: "in_service"})
	if _, err := st.Ingest(ctx, "k1", fleet.Batch{Stream: fleet.StreamStation, Events: []fleet.Event{{Seq: 1, At: now, Kind: fleet.KindKioskState, Data: d}}}); err != nil {
		t.Fatal(err)
	}
	tick := func() int {
		t.Helper()
		n := 0
		for _, h := range hubs {
			opened, err := h.Tick(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n += len(opened)
		}
		return n
	}
	if n := tick(); n != 0 {
		t.Fatalf("%d alerts for a kiosk just seen", n)
	}
	advance(fleet.DefaultThresholds.Offline + time.Minute)
	if n := tick(); n != 1 { // first delivery fails
		t.Fatalf("%d alerts opened, want 1", n)
	}
	tick() // within the backoff: no try
	advance(2 * time.Minute)
	tick() // second try fails
	advance(2 * time.Minute)
	tick() // third succeeds
	advance(2 * time.Minute)
	tick()
	rmu.Lock()
	defer rmu.Unlock()
	if tries != 3 || len(received) != 1 {
		t.Fatalf("%d tries, %d received; want 3 and 1", tries, len(received))
	}
	a := received[0]
	if a.Kind != fleet.AlertKioskOffline || a.Kiosk != "k1" || a.Regency != "3273" || a.Province != "32" || a.ID == 0 {
		t.Fatalf("received %+v", a)
	}
}
