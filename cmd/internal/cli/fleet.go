package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/fleetsend"
)

// Fleet is the flags of the fleet sender, the same in station and
// printerd (docs/fleet.md, "Kiosk side"). With no URL nothing is sent;
// the outbox still fills, up to its cap, for when the kiosk is enrolled.
type Fleet struct {
	URL, Cert, Key, CA string
	Cap, AlertAfter    int
	BacklogEvery       time.Duration
}

// Register adds the fleet flags to fs.
func (f *Fleet) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.URL, "fleet-url", f.URL, "the fleet hub, https://HOST:PORT (empty: nothing is sent)")
	fs.StringVar(&f.Cert, "fleet-cert", f.Cert, "this kiosk's client certificate for the fleet hub (PEM)")
	fs.StringVar(&f.Key, "fleet-key", f.Key, "this kiosk's client key for the fleet hub (PEM)")
	fs.StringVar(&f.CA, "fleet-ca", f.CA, "CA that issued the fleet hub's certificate (empty: the system's roots)")
	fs.IntVar(&f.Cap, "fleet-outbox-cap", fleetsend.DefaultCap, "outbox rows above which printer and kiosk state snapshots are compacted to the latest (counted events are never dropped)")
	fs.IntVar(&f.AlertAfter, "fleet-backlog-alert", fleetsend.DefaultAlertAfter, "events waiting in the outbox above which the console alerts")
	fs.DurationVar(&f.BacklogEvery, "fleet-backlog-every", fleetsend.DefaultBacklogEvery, "how often the outbox's backlog is reported to the hub while events wait")
}

// Sender is the sender of stream's outbox, or nil when no hub is set.
func (f *Fleet) Sender(stream fleet.Stream, out fleetsend.Outbox, log fleetsend.Logger) (*fleetsend.Sender, error) {
	if f.URL == "" {
		return nil, nil
	}
	cfg, err := fleetsend.ClientTLS(f.Cert, f.Key, f.CA)
	if err != nil {
		return nil, fmt.Errorf("-fleet-url %s: %w", f.URL, err)
	}
	return &fleetsend.Sender{Stream: stream, Outbox: out, URL: f.URL, Client: fleetsend.NewClient(cfg),
		Log: log, Cap: f.Cap, AlertAfter: f.AlertAfter, BacklogEvery: f.BacklogEvery}, nil
}
