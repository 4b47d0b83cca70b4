package e2e

import (
	"context"
	"crypto/rand"
	"errors"
	"math"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/privtmp"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	stationhttp "github.com/anjungan/anjungan/station/http"
	"github.com/anjungan/anjungan/station/registry"
	"github.com/anjungan/anjungan/station/render"
	"github.com/anjungan/anjungan/station/ticket"
	"github.com/anjungan/anjungan/templates"
)

// TestBrowserProgressStreamed prints with the page following the prints
// over the station's event stream: the steps reach the page in order, and
// the page never polls the session meanwhile.
func TestBrowserProgressStreamed(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el", "kk")
	b := MustBrowser(t, 1920, 1080)
	b.openStart(sys.Station.KioskURL())
	b.scan(a.Ticket)
	b.screen("docs")
	b.tap("#print-all", "preview")
	confirmed, err := chromedp.Run(b.Ctx, chromedp.Evaluate[float64](`performance.now()`))
	mustOK(t, err)
	b.tap("#preview-ok", "done")

	// What the page fetched after the confirmation: the prints and the
	// stream, no session poll.
	fetched, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource").filter(e => e.startTime >= `+
		formatFloat(confirmed)+`).map(e => new URL(e.name).pathname)`))
	mustOK(t, err)
	for _, p := range fetched {
		if p == "/api/session" {
			t.Errorf("the page polled /api/session while printing: %v", fetched)
			break
		}
	}
	streams, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`performance.getEntriesByType("resource").filter(e => e.name.endsWith("/api/events")).length`))
	mustOK(t, err)
	// A stream shows in resource timing once it has ended: the page closes
	// it when the prints settle.
	if streams == 0 {
		t.Errorf("no event stream was opened; fetched after confirming: %v", fetched)
	}

	// Each document's steps, as the page showed them, in order.
	seen, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#progress > li")].map(li => li.dataset.seen)`))
	mustOK(t, err)
	t.Logf("steps shown: %q", seen)
	if len(seen) != 2 {
		t.Fatalf("progress shows %d documents, want 2: %q", len(seen), seen)
	}
	order := []string{"preparing", "queued", "printing", "printed"}
	for _, s := range seen {
		steps := strings.Fields(s)
		if len(steps) < 2 || steps[len(steps)-1] != "printed" {
			t.Errorf("steps %q: want at least two, ending with printed", s)
			continue
		}
		at := -1
		for _, st := range steps {
			i := indexOf(order, st)
			if i <= at {
				t.Errorf("steps %q are not in the order %v", s, order)
				break
			}
			at = i
		}
	}
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// maskingRenderer is the real renderer with the name regions a template
// declares; until the templates declare them, the test gives its own.
type maskingRenderer struct {
	station.Renderer
	masks []station.Mask
}

func (r maskingRenderer) Render(ctx context.Context, d station.Document) (station.Rendered, error) {
	out, err := r.Renderer.Render(ctx, d)
	out.Masks = r.masks
	return out, err
}

// mustKiosk serves a second kiosk on sys's registry-sim and printerd,
// built from the real parts as cmd/internal/station wires them, with
// renderer wrapped by wrap. It returns the kiosk's URL.
func (s *System) mustKiosk(tb testing.TB, wrap func(station.Renderer) station.Renderer) string {
	tb.Helper()
	v := func(p ...string) string { return filepath.Join(append([]string{s.Var}, p...)...) }
	pub, err := ticket.LoadPublicKey(v("keys", "ticket.pub"))
	mustOK(tb, err)
	docKeys, err := ticket.LoadKeySet(v("keys", "upstream-document.pub"))
	mustOK(tb, err)
	docs := &docqr.Verifier{Keys: docKeys}
	renderer, err := render.New(templates.FS)
	mustOK(tb, err)
	tlsCfg, err := registry.ClientTLS(v("certs", "ca.crt"), v("certs", "station-client.crt"), v("certs", "station-client.key"))
	mustOK(tb, err)
	reg := registry.New(s.Registry.URL(), registry.HTTPClient(tlsCfg), zerolog.Nop())
	reg.BindingKey, err = ticket.LoadBindingKey(v("keys", "binding.key"))
	mustOK(tb, err)
	printers := client.New(s.Printerd.SocketPath())
	tmp := filepath.Join(tb.TempDir(), privtmp.Name)
	mustOK(tb, privtmp.Prepare(tmp))
	previewer, err := render.NewPreviewer(tmp)
	mustOK(tb, err)
	k := station.NewKiosk(station.KioskConfig{
		Registry:   reg,
		Tickets:    &ticket.Verifier{Keys: ticket.KeySet{ticket.KeyID(pub): pub}, Skew: 2 * time.Minute},
		Renderer:   wrap(renderer),
		Signatures: docs,
		Printers:   printers,
		Notices:    printers,
		Previewer:  previewer,
		Now:        time.Now,
		Rand:       rand.Reader,
	})
	srv := stationhttp.NewKiosk(k, docs, zerolog.Nop())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustOK(tb, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("kiosk shutdown: %v", err)
		}
		<-done
		k.Close()
		printers.CloseIdleConnections()
	})
	return "http://" + ln.Addr().String()
}

type rect struct{ X, Y, W, H float64 }

func (b *Browser) rect(sel string) rect {
	b.TB.Helper()
	r, err := chromedp.Run(b.Ctx, chromedp.Evaluate[rect](`(() => { const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height}; })()`))
	if err != nil {
		b.TB.Fatalf("rect of %s: %v", sel, err)
	}
	return r
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// TestBrowserPreviewMasks covers the regions the renderer names on the
// preview, and uncovers them only while "Lihat" is held.
func TestBrowserPreviewMasks(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "ktp-el")
	mask := station.Mask{Page: 0, X: 0.30, Y: 0.20, W: 0.45, H: 0.12}
	url := sys.mustKiosk(t, func(r station.Renderer) station.Renderer {
		return maskingRenderer{Renderer: r, masks: []station.Mask{mask, {Page: 7, X: 0, Y: 0, W: 1, H: 1}}}
	})
	b := MustBrowser(t, 1920, 1080)
	b.openStart(url)
	b.scan(a.Ticket)
	b.screen("docs")
	b.tap("#doc-list button.print", "preview")
	b.waitImagesLoaded()

	n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("#preview-pages .mask").length`))
	mustOK(t, err)
	if n != 1 {
		t.Fatalf("%d masks on the preview, want 1 (a mask of a page the document lacks is dropped)", n)
	}
	img, cover := b.rect("#preview-pages img"), b.rect("#preview-pages .mask")
	want := rect{img.X + mask.X*img.W, img.Y + mask.Y*img.H, mask.W * img.W, mask.H * img.H}
	if !near(cover, want, 1) {
		t.Errorf("mask at %+v, want %+v over the image at %+v", cover, want, img)
	}
	visible := func() bool {
		v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("#preview-pages .mask")).visibility === "visible"`))
		mustOK(t, err)
		return v
	}
	if !visible() {
		t.Fatal("the mask is not shown")
	}

	// Press and hold: the name shows; let go: it is covered again.
	b.Do(chromedp.ScrollIntoView(chromedp.CSS("#reveal")))
	btn := b.rect("#reveal")
	x, y := btn.X+btn.W/2, btn.Y+btn.H/2
	b.Do(chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	if visible() {
		t.Error("the mask still covers the name while Lihat is held")
	}
	b.Do(chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	if !visible() {
		t.Error("the mask does not cover the name again after Lihat is let go")
	}
	// The same in the card's full view.
	b.openFull()
	fullMask := func() bool {
		return eval[bool](b, `getComputedStyle(document.querySelector("#fullview .mask")).visibility === "visible"`)
	}
	if !fullMask() {
		t.Fatal("the full view does not cover the name")
	}
	btn = b.rect("#fullview-reveal")
	x, y = btn.X+btn.W/2, btn.Y+btn.H/2
	b.Do(chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	if fullMask() {
		t.Error("the full view's mask still covers the name while Lihat is held")
	}
	b.Do(chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	if !fullMask() {
		t.Error("the full view's mask does not cover the name again after Lihat is let go")
	}
	b.Do(chromedp.Click(chromedp.CSS("#fullview-close")), chromedp.WaitNotVisible(chromedp.CSS("#fullview")))
	b.tap("#preview-back", "docs")
}

func near(a, b rect, tol float64) bool {
	return math.Abs(a.X-b.X) <= tol && math.Abs(a.Y-b.Y) <= tol && math.Abs(a.W-b.W) <= tol && math.Abs(a.H-b.H) <= tol
}
