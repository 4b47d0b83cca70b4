// Package webhook delivers the hub's alerts to a URL as JSON (a Dinas
// wires it to SMS or WhatsApp). One POST per alert; any 2xx is delivery,
// anything else is retried later by fleet.Watcher with its backoff. The
// receiver deduplicates by the alert's id if it must: a hub that dies
// between the POST and recording it sends the alert again.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/anjungan/anjungan/fleet"
)

// Notifier posts alerts to URL.
type Notifier struct {
	URL    string
	Client *http.Client
}

var _ fleet.Notifier = (*Notifier)(nil)

// Notify posts a.
func (n *Notifier) Notify(ctx context.Context, a fleet.Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	c := n.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
