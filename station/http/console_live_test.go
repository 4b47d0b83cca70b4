package http

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/account"
)

// calls is the kiosk's waiting citizens as a test sets them.
type calls struct {
	calls   []station.OfficerCall
	waiting []station.HeldWaiting
}

func (c *calls) OfficerCalls() []station.OfficerCall { return c.calls }
func (c *calls) HeldWaiting() []station.HeldWaiting  { return c.waiting }

var _ ConsoleCalls = (*calls)(nil)

// TestEvents reads the overview's event stream: the alerts as the page
// shows them, each with its next step and link, the audible ones marked.
func TestEvents(t *testing.T) {
	r := MustConsole(t)
	k := &calls{calls: []station.OfficerCall{{At: r.clock.Now(), Job: "J3", Ref: "ABC-123", Document: station.KTPEl, State: station.PrintHeld}},
		waiting: []station.HeldWaiting{{Job: "J3", Ref: "ABC-123", Document: station.KTPEl, Reason: "media-empty"}}}
	deps := r.deps(r.audit)
	deps.Calls = k
	deps.Hall = station.Hall{Name: "MPP Kota Bandung", KioskID: "ADM-3273-01", Zone: station.WITA}
	r.s = NewConsole(deps, r.s.log)
	r.s.liveFor = 0
	ss := r.MustLogin("siti")
	res := r.do(request{method: "GET", path: "/events", cookies: ss.cookies()})
	got := body(t, res)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(got, "retry: 1000\n\nevent: overview\ndata: <div id=\"overview\"") || !strings.HasSuffix(got, "\n\n") {
		t.Fatalf("not one alerts event:\n%s", got)
	}
	for _, line := range strings.Split(strings.TrimSpace(got), "\n")[3:] {
		if !strings.HasPrefix(line, "data: ") {
			t.Errorf("line outside the event's data: %q", line)
		}
	}
	for _, want := range []string{
		"Warga di anjungan memanggil petugas", `<span class="ref">ABC-123</span>`, "(KTP-el)", "ditahan", "01-03-2025 17:00 WITA",
		`data-audible="1"`, `<a class="next" href="/jobs/J3">Datangi warga di anjungan`,
		"Cetakan ditahan, warga menunggu di anjungan", "blanko habis", "Atasi penyebabnya, lalu lepaskan pekerjaan ke antrean",
		"Printer berhenti", `href="/printers/card-1">Perbaiki printer`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the alerts lack %q:\n%s", want, got)
		}
	}
	// Without a session the stream is refused, and no session is renewed
	// by it (watching does not touch).
	if res := r.do(request{method: "GET", path: "/events"}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("events without a session: %d", res.StatusCode)
	}
	r.clock.Add(account.IdleTimeout / 2)
	if res := r.do(request{method: "GET", path: "/events", cookies: ss.cookies()}); res.StatusCode != http.StatusOK {
		t.Errorf("events within the idle timeout: %d", res.StatusCode)
	}
	r.clock.Add(account.IdleTimeout/2 + time.Second)
	if res := r.do(request{method: "GET", path: "/events", cookies: ss.cookies()}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("events renewed the session: %d after the idle timeout", res.StatusCode)
	}
}

// BenchmarkOverviewEvent is what each open overview costs the station
// every 2 s: the overview made again and rendered for the event stream.
// BenchmarkOverviewPage, the same overview as a page over HTTP, is its
// anchor.
func BenchmarkOverviewEvent(b *testing.B) {
	r := MustConsole(b)
	v := baseView("id", account.Session{Account: "siti", Role: account.Supervisor})
	b.ReportAllocs()
	for b.Loop() {
		v.Data = r.s.glance(context.Background())
		var out bytes.Buffer
		if err := r.s.pages["overview"].ExecuteTemplate(&out, "content", v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOverviewPage(b *testing.B) {
	r := MustConsole(b)
	ss := r.MustLogin("siti")
	b.ReportAllocs()
	for b.Loop() {
		res := r.do(request{method: "GET", path: "/", cookies: ss.cookies()})
		if res.StatusCode != http.StatusOK {
			b.Fatal(res.Status)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}
