package station_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// twoPages renders every document as two pages.
type twoPages struct{}

func (twoPages) Render(_ context.Context, d station.Document) (station.Rendered, error) {
	return station.Rendered{PDF: []byte("%PDF-" + string(d.Request)), SHA256: "sha", Pages: 2}, nil
}

// gatedPreviewer records the pages asked for and answers each only when
// the test lets it (release) or its context ends.
type gatedPreviewer struct {
	mu      sync.Mutex
	asked   []int
	fails   map[int]int   // page → failures still to give
	release chan struct{} // one token per answer
	calls   chan int      // each page as it is asked
	ended   chan error    // the context's error of a call cut short
}

func newGatedPreviewer() *gatedPreviewer {
	return &gatedPreviewer{fails: map[int]int{}, release: make(chan struct{}, 10), calls: make(chan int, 10), ended: make(chan error, 10)}
}

func (g *gatedPreviewer) Preview(ctx context.Context, pdf []byte, page, dpi int) ([]byte, error) {
	g.mu.Lock()
	g.asked = append(g.asked, page)
	g.mu.Unlock()
	g.calls <- page
	select {
	case <-g.release:
	case <-ctx.Done():
		g.ended <- ctx.Err()
		return nil, ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fails[page] > 0 {
		g.fails[page]--
		return nil, station.ErrRenderFailed.Withf("page %d failed", page)
	}
	return fmt.Appendf(nil, "png %d of %s at %d", page, pdf, dpi), nil
}

func (g *gatedPreviewer) pages() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.asked)
}

func newPreviewKiosk(t *testing.T, pv station.Previewer) (*station.Kiosk, string) {
	t.Helper()
	reg := &fakeRegistry{
		authz: station.Authorization{ID: "A1", Subject: subject, Requests: []station.PrintRequest{{ID: "R1", Document: station.KTPEl, Status: station.RequestApproved}}},
		documentOf: func(id station.RequestID) station.Document {
			return station.Document{Request: id, Type: station.KTPEl, Subject: subject}
		},
	}
	k := station.NewKiosk(station.KioskConfig{Signatures: upstreamSigned{}, Settlements: mustSettlements(t), Registry: reg, Tickets: fakeTickets{}, Renderer: twoPages{},
		Printers: &fakePrinters{jobs: map[string]printerd.Job{}}, Previewer: pv, Now: time.Now, Rand: rand.Reader})
	t.Cleanup(k.Close)
	s, err := k.LoginTicket(context.Background(), "TK1:GOOD")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Prepare(context.Background(), s.ID, "R1"); err != nil {
		t.Fatal(err)
	}
	return k, s.ID
}

// TestPreviewStartsAtPrepare: page 1 is being made before the screen
// asks for it, then page 2; each page is made once however many ask.
func TestPreviewStartsAtPrepare(t *testing.T) {
	g := newGatedPreviewer()
	k, sid := newPreviewKiosk(t, g)
	if page := <-g.calls; page != 0 {
		t.Fatalf("first page made: %d, want 0", page)
	}
	got := make(chan string, 2)
	for range 2 {
		go func() {
			b, err := k.Preview(context.Background(), sid, "R1", 0)
			got <- fmt.Sprint(string(b), err)
		}()
	}
	g.release <- struct{}{}
	for range 2 {
		if s := <-got; s != "png 0 of %PDF-R1 at 150<nil>" {
			t.Errorf("page 1: %q", s)
		}
	}
	g.release <- struct{}{}
	b, err := k.Preview(context.Background(), sid, "R1", 1)
	if err != nil || string(b) != "png 1 of %PDF-R1 at 150" {
		t.Fatalf("page 2: %q %v", b, err)
	}
	if asked := g.pages(); !slices.Equal(asked, []int{0, 1}) {
		t.Errorf("pages made %v, want [0 1]", asked)
	}
	if _, err := k.Preview(context.Background(), sid, "R1", 2); !errors.Is(err, station.ErrRequestNotFound) {
		t.Errorf("page 3 of 2: %v, want ErrRequestNotFound", err)
	}
}

// TestPreviewRetriesFailedPage: a page whose background raster failed is
// made again for the request that asks for it.
func TestPreviewRetriesFailedPage(t *testing.T) {
	g := newGatedPreviewer()
	g.fails[0] = 1
	for range 3 {
		g.release <- struct{}{}
	}
	k, sid := newPreviewKiosk(t, g)
	b, err := k.Preview(context.Background(), sid, "R1", 0)
	if err != nil || string(b) != "png 0 of %PDF-R1 at 150" {
		t.Fatalf("page 1: %q %v", b, err)
	}
	if asked := g.pages(); len(asked) < 2 || asked[0] != 0 || slices.Index(asked[1:], 0) < 0 {
		t.Errorf("pages made %v: page 1 not made again", asked)
	}
}

// TestPreviewStopsWithSession: a session that ends stops the rasters
// made for it; a request whose context ends stops waiting.
func TestPreviewStopsWithSession(t *testing.T) {
	g := newGatedPreviewer()
	k, sid := newPreviewKiosk(t, g)
	<-g.calls
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := k.Preview(ctx, sid, "R1", 0); !errors.Is(err, station.ErrRenderFailed) {
		t.Errorf("request cut short: %v, want ErrRenderFailed", err)
	}
	k.Logout(sid)
	if err := <-g.ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("raster ended with %v", err)
	}
}
