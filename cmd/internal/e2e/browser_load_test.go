package e2e

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// netLog is what the browser received over the network, as Chromium counts
// it: each response's encoded bytes (headers and body as sent), by path.
type netLog struct {
	mu    sync.Mutex
	paths map[network.RequestID]string
	bytes map[string]float64 // path → bytes, every request for it summed
	order []string           // paths in the order they finished
}

// recordNetwork starts counting what the page loads from now on.
func (b *Browser) recordNetwork() *netLog {
	b.TB.Helper()
	n := &netLog{paths: map[network.RequestID]string{}, bytes: map[string]float64{}}
	err := chromedp.Listen(b.Ctx, func(ev any) {
		n.mu.Lock()
		defer n.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if u, err := url.Parse(e.Request.URL); err == nil && u.Scheme != "data" {
				n.paths[e.RequestID] = u.Path
			}
		case *network.EventLoadingFinished:
			if p, ok := n.paths[e.RequestID]; ok {
				if _, seen := n.bytes[p]; !seen {
					n.order = append(n.order, p)
				}
				n.bytes[p] += e.EncodedDataLength
			}
		}
	})
	mustOK(b.TB, err)
	return n
}

// total is the bytes received so far, and a line for each path.
func (n *netLog) total() (float64, []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var sum float64
	lines := make([]string, 0, len(n.order))
	for _, p := range n.order {
		sum += n.bytes[p]
		lines = append(lines, fmt.Sprintf("%s %.0f", p, n.bytes[p]))
	}
	return sum, lines
}

// voices is the bytes of each spoken phrase received, by "lang/key".
func (n *netLog) voices() map[string]float64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	v := map[string]float64{}
	for p, b := range n.bytes {
		if rest, ok := strings.CutPrefix(p, "/voice/"); ok {
			v[strings.TrimSuffix(rest, path.Ext(rest))] = b
		}
	}
	return v
}

// kinds sums bytes by the kind of file, for the report.
func (n *netLog) kinds() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	by := map[string]float64{}
	for p, b := range n.bytes {
		k := strings.TrimPrefix(path.Ext(p), ".")
		switch {
		case strings.HasPrefix(p, "/api/"):
			k = "api"
		case strings.HasPrefix(p, "/voice/"):
			k = "voice"
		case k == "":
			k = "html"
		}
		by[k] += b
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var s []string
	for _, k := range keys {
		s = append(s, fmt.Sprintf("%s %.0f", k, by[k]))
	}
	return strings.Join(s, ", ")
}
