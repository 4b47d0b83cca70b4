package station

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anjungan/anjungan/internal/outbox"
	"github.com/anjungan/anjungan/station"
)

type noSettlements struct{}

func (noSettlements) OpenSettlements(context.Context) ([]station.Settlement, error) { return nil, nil }

type noBacklog struct{}

func (noBacklog) Backlog(context.Context) (outbox.Backlog, error) { return outbox.Backlog{}, nil }

// TestPrintOutcomesCountTheSettlersEvents: a print counts once, when the
// settler delivers its outcome; the kiosk's own events of the same print
// (printed while the citizen watches, failed before printerd) do not.
func TestPrintOutcomesCountTheSettlersEvents(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newStationMetrics(reg, noSettlements{}, noBacklog{}, time.Now)
	ctx := context.Background()
	for _, e := range []station.Event{
		{Kind: station.EventPrinted, Document: station.KK},                       // the kiosk saw it printed
		{Kind: station.EventConfirmed, Document: station.KK, Settled: true},      // the upstream took it
		{Kind: station.EventPrintFailed, Document: station.KTPEl},                // the kiosk: refused before printerd
		{Kind: station.EventPrintFailed, Document: station.KTPEl, Settled: true}, // the settler: reported failed
		{Kind: station.EventPrintInDoubt, Document: station.KIA, Settled: true},
		{Kind: station.EventConfirmed, Document: station.KIA, Settled: true}, // a supervisor decided: printed
		{Kind: station.EventSubmitted, Document: station.KK},
	} {
		m.Record(ctx, e)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != "anjungan_station_print_outcomes_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range s.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			got[l["document_type"]+"/"+l["outcome"]] = s.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"kk/printed": 1, "ktp-el/failed": 1, "kia/in_doubt": 1, "kia/printed": 1}
	if !maps.Equal(got, want) {
		t.Errorf("print outcomes %v, want %v", got, want)
	}
}
