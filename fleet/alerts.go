package fleet

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"
)

// AlertKind names a condition the hub raises.
type AlertKind string

// Alert kinds.
const (
	AlertKioskOffline      AlertKind = "kiosk_offline"      // no event for longer than Thresholds.Offline
	AlertPrinterStopped    AlertKind = "printer_stopped"    // a printer reports stopped or offline
	AlertBlankCardsLow     AlertKind = "blank_cards_low"    // days left at the window's rate below Thresholds.BlankDays
	AlertPaperLow          AlertKind = "paper_low"          // a printer's "paper" supply below Thresholds.PaperPercent
	AlertBacklogGrowing    AlertKind = "backlog_growing"    // the outbox grew between two reports and is above Thresholds.Backlog
	AlertAuditInconsistent AlertKind = "audit_inconsistent" // raised by the witness (Witness.AddCheckpoint): never computed here
)

// AlertKinds lists every kind, in the order docs/fleet.md lists them.
var AlertKinds = []AlertKind{AlertKioskOffline, AlertPrinterStopped, AlertBlankCardsLow,
	AlertPaperLow, AlertBacklogGrowing, AlertAuditInconsistent}

// Alert is one raised condition. Key identifies it while it lasts: the
// same condition seen again is the same alert, not a new one.
type Alert struct {
	ID       int64     `json:"id"` // the store's number, unique across the hub
	Key      string    `json:"key"`
	Kind     AlertKind `json:"kind"`
	Kiosk    string    `json:"kiosk"`
	Regency  string    `json:"regency"`
	Province string    `json:"province"`
	Subject  string    `json:"subject,omitempty"` // the printer, when it is about one
	Detail   string    `json:"detail"`            // English, for operators
	Since    time.Time `json:"since"`
}

// Thresholds set when alerts are raised.
type Thresholds struct {
	Offline      time.Duration // a kiosk silent this long is offline
	BlankDays    float64       // blank cards for fewer days than this at the current rate
	BlankWindow  time.Duration // the window the rate is measured over (the Snapshot's since)
	PaperPercent int
	Backlog      int // events
}

// DefaultThresholds are the hub's defaults (flags of cmd/fleethub).
var DefaultThresholds = Thresholds{Offline: 15 * time.Minute, BlankDays: 3, BlankWindow: 7 * 24 * time.Hour, PaperPercent: 10, Backlog: 100}

// Alerts computes the alerts of a snapshot at now. It is a pure function:
// the store records which are new.
func Alerts(s Snapshot, now time.Time, th Thresholds) []Alert {
	var out []Alert
	for _, k := range s.Kiosks {
		if k.RevokedAt != nil {
			continue
		}
		add := func(kind AlertKind, subject, detail string) {
			key := string(kind) + "/" + k.ID
			if subject != "" {
				key += "/" + subject
			}
			out = append(out, Alert{Key: key, Kind: kind, Kiosk: k.ID, Regency: k.Regency, Province: k.Province,
				Subject: subject, Detail: detail, Since: now})
		}
		seen := k.EnrolledAt
		if k.LastSeen != nil {
			seen = *k.LastSeen
		}
		if silent := now.Sub(seen); silent > th.Offline {
			add(AlertKioskOffline, "", fmt.Sprintf("no event for %s", silent.Truncate(time.Minute)))
		}
		for _, p := range k.Printers {
			if p.State == "stopped" || p.State == "offline" {
				add(AlertPrinterStopped, p.Printer, fmt.Sprintf("printer %s is %s %v", p.Printer, p.State, p.Reasons))
			}
			if v, ok := p.Supplies["paper"]; ok && v >= 0 && v < th.PaperPercent {
				add(AlertPaperLow, p.Printer, fmt.Sprintf("printer %s has %d%% paper", p.Printer, v))
			}
		}
		for _, b := range k.Blanks {
			if d := DaysLeft(b, th.BlankWindow); d < th.BlankDays {
				add(AlertBlankCardsLow, b.Printer, fmt.Sprintf("printer %s has %d blank cards, %.1f days at the current rate", b.Printer, b.Balance, d))
			}
		}
		if k.Backlog > th.Backlog && k.Backlog > k.BacklogPrev {
			add(AlertBacklogGrowing, "", fmt.Sprintf("outbox grew from %d to %d events", k.BacklogPrev, k.Backlog))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// DaysLeft is how many days a printer's blank cards last at the rate of
// the window; +Inf when none were used in it (and the balance is above
// zero), 0 when the balance is zero or less.
func DaysLeft(b BlankStock, window time.Duration) float64 {
	if b.Balance <= 0 {
		return 0
	}
	if b.Used <= 0 || window <= 0 {
		return math.Inf(1)
	}
	perDay := float64(b.Used) / (window.Hours() / 24)
	return float64(b.Balance) / perDay
}

// Notifier delivers an alert outside the hub (fleet/webhook).
type Notifier interface {
	Notify(ctx context.Context, a Alert) error
}

// Watcher computes the alerts from the store's projections and delivers
// the new ones. Every hub process runs one; the store makes each alert
// open once and its delivery claimed by one hub at a time.
type Watcher struct {
	Store      Store
	Now        func() time.Time
	Thresholds Thresholds
	Notifier   Notifier // nil: alerts are only recorded
	// Backoff is the wait before the next delivery attempt after n failed ones.
	Backoff func(attempts int) time.Duration
}

// DefaultBackoff doubles from 10 s up to 10 minutes.
func DefaultBackoff(attempts int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempts && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// Tick runs one round: compute, record, deliver what is due. It returns
// the alerts it opened.
func (w *Watcher) Tick(ctx context.Context) ([]Alert, error) {
	now := w.Now()
	snap, err := w.Store.Snapshot(ctx, now.Add(-w.Thresholds.BlankWindow))
	if err != nil {
		return nil, err
	}
	opened, err := w.Store.OpenAlerts(ctx, Alerts(snap, now, w.Thresholds), now)
	if err != nil || w.Notifier == nil {
		return opened, err
	}
	backoff := w.Backoff
	if backoff == nil {
		backoff = DefaultBackoff
	}
	due, err := w.Store.ClaimAlerts(ctx, now, backoff)
	if err != nil {
		return opened, err
	}
	for _, a := range due {
		if err := w.Notifier.Notify(ctx, a); err != nil {
			continue // claimed with a backoff: tried again later, by this hub or another
		}
		if err := w.Store.AlertDelivered(ctx, a.ID, w.Now()); err != nil {
			return opened, err
		}
	}
	return opened, nil
}
