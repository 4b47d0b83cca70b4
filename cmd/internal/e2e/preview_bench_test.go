package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// BenchmarkCetakToPreview measures what a citizen waits for after tapping
// *Cetak*: through the kiosk's HTTP API, with registry-sim on loopback,
// from POST /api/prepare (fetch, render) to the body of the first page's
// PNG (raster, encode, serve) received. Setting up each visit (approval,
// login) is not timed. The anchor, timed op by op in the same run, is
// `pdftoppm -r 150 -png` of page 1 of the same template's golden PDF:
// the raster and encode alone, the way the preview was made before.
func BenchmarkCetakToPreview(b *testing.B) {
	tool, err := exec.LookPath("pdftoppm")
	if err != nil {
		b.Skip("pdftoppm is not installed (apt-get install poppler-utils)")
	}
	sys := MustStart(b)
	for _, doc := range []string{"ktp-el", "kk"} {
		golden, err := os.ReadFile(filepath.Join("..", "..", "..", "station", "render", "testdata", doc+".pdf"))
		mustOK(b, err)
		b.Run(doc, func(b *testing.B) {
			var took, anchor []time.Duration
			for b.Loop() {
				b.StopTimer()
				a := sys.MustApprove(b, doc)
				c := sys.NewCitizen(b)
				var v sessionView
				if st := c.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &v); st != http.StatusCreated {
					b.Fatalf("login: %d %+v", st, v.Error)
				}
				rid := v.Documents[0].RequestID
				b.StartTimer()

				start := time.Now()
				var p struct {
					Pages int       `json:"pages"`
					Error *apiError `json:"error"`
				}
				if st := c.call("POST", "/api/prepare", map[string]string{"request_id": rid}, &p); st != http.StatusOK || p.Pages < 1 {
					b.Fatalf("prepare: %d %+v", st, p.Error)
				}
				res, err := c.hc.Get(c.base + fmt.Sprintf("/api/preview/%s/0", rid))
				mustOK(b, err)
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				mustOK(b, err)
				if res.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("\x89PNG")) {
					b.Fatalf("preview: %d %.80q", res.StatusCode, body)
				}
				took = append(took, time.Since(start))

				b.StopTimer()
				start = time.Now()
				cmd := exec.Command(tool, "-r", "150", "-f", "1", "-l", "1", "-png", "-")
				cmd.Stdin = bytes.NewReader(golden)
				if out, err := cmd.Output(); err != nil || len(out) == 0 {
					b.Fatalf("pdftoppm: %v", err)
				}
				anchor = append(anchor, time.Since(start))
				c.call("POST", "/api/session/logout", nil, nil)
				b.StartTimer()
			}
			b.StopTimer()
			p50, p90 := quantile(took, 0.5), quantile(took, 0.9)
			a50 := quantile(anchor, 0.5)
			b.ReportMetric(ms(p50), "p50-ms")
			b.ReportMetric(ms(p90), "p90-ms")
			b.ReportMetric(ms(a50), "anchor-p50-ms")
			b.ReportMetric(float64(p50)/float64(a50), "x-of-anchor")
		})
	}
}

// quantile sorts d and returns its q-quantile.
func quantile(d []time.Duration, q float64) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[int(float64(len(d)-1)*q)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
