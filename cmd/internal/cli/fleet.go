package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/fleetsend"
	"github.com/anjungan/anjungan/internal/witnesssend"
)

// Fleet is the flags of the fleet sender, the same in station and
// printerd (docs/fleet.md, "Kiosk side"). With no URL nothing is sent;
// the outbox still fills, up to its cap, for when the kiosk is enrolled.
type Fleet struct {
	URL, Cert, Key, CA string
	Cap, AlertAfter    int
	// WitnessVKey is the hub witness's verifier key file; with it the
	// audit log's checkpoints are sent to be cosigned (WitnessSender).
	WitnessVKey  string
	WitnessEvery time.Duration
	BacklogEvery time.Duration
}

// Register adds the fleet flags to fs.
func (f *Fleet) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.URL, "fleet-url", f.URL, "the fleet hub, https://HOST:PORT (empty: nothing is sent)")
	fs.StringVar(&f.Cert, "fleet-cert", f.Cert, "this kiosk's client certificate for the fleet hub (PEM)")
	fs.StringVar(&f.Key, "fleet-key", f.Key, "this kiosk's client key for the fleet hub (PEM)")
	fs.StringVar(&f.CA, "fleet-ca", f.CA, "CA that issued the fleet hub's certificate (empty: the system's roots)")
	fs.IntVar(&f.Cap, "fleet-outbox-cap", fleetsend.DefaultCap, "outbox rows above which printer and kiosk state snapshots are compacted to the latest (counted events are never dropped)")
	fs.StringVar(&f.WitnessVKey, "fleet-witness-vkey", f.WitnessVKey, "the fleet hub witness's verifier key (witness.vkey): the audit log's checkpoints are sent to it and its cosignatures kept (empty: not witnessed)")
	fs.DurationVar(&f.WitnessEvery, "fleet-witness-every", witnesssend.DefaultEvery, "how often the audit log's latest checkpoint is sent to the witness if not yet cosigned")
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

// WitnessSender is the sender of the audit log's checkpoints to the hub's
// witness, or nil when no hub or no witness key is set.
func (f *Fleet) WitnessSender(log witnesssend.Log, logErr func(string, error)) (*witnesssend.Sender, error) {
	if f.URL == "" || f.WitnessVKey == "" {
		return nil, nil
	}
	b, err := os.ReadFile(f.WitnessVKey)
	if err != nil {
		return nil, fmt.Errorf("-fleet-witness-vkey: %w", err)
	}
	vkey := strings.TrimSpace(string(b))
	if _, err := audit.WitnessName(vkey); err != nil {
		return nil, fmt.Errorf("-fleet-witness-vkey %s: %w", f.WitnessVKey, err)
	}
	cfg, err := fleetsend.ClientTLS(f.Cert, f.Key, f.CA)
	if err != nil {
		return nil, fmt.Errorf("-fleet-url %s: %w", f.URL, err)
	}
	return &witnesssend.Sender{Log: log, URL: f.URL, Client: fleetsend.NewClient(cfg), WitnessKey: vkey,
		LogErr: logErr, Every: f.WitnessEvery}, nil
}

// Start runs, when a hub is set, the sender of stream's outbox and, with
// a witness key, the sender of the audit log's checkpoints, each in a
// goroutine of wg until ctx ends; it returns the outbox's sender, or nil
// when no hub is set. log gets what goes wrong, for a warning.
func (f *Fleet) Start(ctx context.Context, wg *sync.WaitGroup, stream fleet.Stream, out fleetsend.Outbox, cosign witnesssend.Log, log func(string, error)) (*fleetsend.Sender, error) {
	s, err := f.Sender(stream, out, log)
	if err != nil || s == nil {
		return nil, err
	}
	ws, err := f.WitnessSender(cosign, log)
	if err != nil {
		return nil, err
	}
	if ws != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws.Run(ctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Run(ctx)
	}()
	return s, nil
}
