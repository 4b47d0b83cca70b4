// Package metricstest scrapes a program's /metrics in tests and reads the
// series with the Prometheus text parser.
package metricstest

import (
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one read of /metrics: the body and its parsed families.
type Scrape struct {
	Body     string
	Families map[string]*dto.MetricFamily
}

// MustScrape reads http://addr/metrics and parses it.
func MustScrape(tb testing.TB, addr string) Scrape {
	tb.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /metrics: %d %v\n%s", resp.StatusCode, err, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		tb.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return Scrape{Body: string(body), Families: fams}
}

// Value is the sum of name's samples whose labels include labels (a
// histogram's: its count), and whether any matched.
func (s Scrape) Value(name string, labels map[string]string) (float64, bool) {
	f, ok := s.Families[name]
	if !ok {
		return 0, false
	}
	var sum float64
	found := false
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum, found
}

// Labels lists the values of label across name's samples.
func (s Scrape) Labels(name, label string) []string {
	var out []string
	for _, m := range s.Families[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}

// Anjungan lists the names of the anjungan_ families.
func (s Scrape) Anjungan() []string {
	var out []string
	for n := range s.Families {
		if strings.HasPrefix(n, "anjungan_") {
			out = append(out, n)
		}
	}
	return out
}

// MustDocSeries lists the series docs/operations.md's Metrics table names
// with prefix (e.g. "anjungan_printerd_"), sorted.
func MustDocSeries(tb testing.TB, doc, prefix string) []string {
	tb.Helper()
	b, err := os.ReadFile(doc)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"+prefix); ok {
			name, _, _ := strings.Cut(rest, "`")
			out = append(out, prefix+name)
		}
	}
	sort.Strings(out)
	return out
}

// MustMatchDoc fails unless the scrape's series with prefix are exactly
// those doc lists.
func (s Scrape) MustMatchDoc(tb testing.TB, doc, prefix string) {
	tb.Helper()
	var have []string
	for _, n := range s.Anjungan() {
		if strings.HasPrefix(n, prefix) {
			have = append(have, n)
		}
	}
	sort.Strings(have)
	want := MustDocSeries(tb, doc, prefix)
	if strings.Join(have, " ") != strings.Join(want, " ") {
		tb.Errorf("%s series:\nregistered %v\ndocumented %v (%s, Metrics)", prefix, have, want, doc)
	}
}
