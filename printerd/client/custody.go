package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/api"
)

// Loads lists a card printer's loads.
func (c *Client) Loads(ctx context.Context, printer string) ([]printerd.LoadRecord, error) {
	var out []printerd.LoadRecord
	err := c.call(ctx, http.MethodGet, "/v1/printers/"+url.PathEscape(printer)+"/loads", nil, &out)
	return out, err
}

// ReverseLoad corrects a wrong load with a reversing entry.
func (c *Client) ReverseLoad(ctx context.Context, r printerd.LoadReversal) (printerd.LoadReversal, error) {
	var out printerd.LoadReversal
	err := c.call(ctx, http.MethodPost, "/v1/ledger/loads/"+strconv.FormatInt(r.Load, 10)+"/reverse", r, &out)
	return out, err
}

// SpoilCard takes a card out of a printer's stock as spoiled.
func (c *Client) SpoilCard(ctx context.Context, s printerd.Spoil) (printerd.SpoiledCard, error) {
	var out printerd.SpoiledCard
	err := c.call(ctx, http.MethodPost, "/v1/ledger/spoils", s, &out)
	return out, err
}

// SpoiledCards lists a printer's spoiled cards; awaiting only those not
// destroyed.
func (c *Client) SpoiledCards(ctx context.Context, printer string, awaiting bool) ([]printerd.SpoiledCard, error) {
	var out []printerd.SpoiledCard
	err := c.call(ctx, http.MethodGet, "/v1/printers/"+url.PathEscape(printer)+"/spoiled?awaiting="+strconv.FormatBool(awaiting), nil, &out)
	return out, err
}

// ProposeDestruction is the first supervisor's signature.
func (c *Client) ProposeDestruction(ctx context.Context, r printerd.DestructionRequest) (printerd.Destruction, error) {
	var out printerd.Destruction
	err := c.call(ctx, http.MethodPost, "/v1/ledger/destructions", r, &out)
	return out, err
}

// ConfirmDestruction is the second, different supervisor's signature.
func (c *Client) ConfirmDestruction(ctx context.Context, id, actor string) (printerd.Destruction, error) {
	var out printerd.Destruction
	err := c.call(ctx, http.MethodPost, "/v1/ledger/destructions/"+url.PathEscape(id)+"/confirm", api.Actor{Actor: actor}, &out)
	return out, err
}

// Destruction reads one destruction record.
func (c *Client) Destruction(ctx context.Context, id string) (printerd.Destruction, error) {
	var out printerd.Destruction
	err := c.call(ctx, http.MethodGet, "/v1/ledger/destructions/"+url.PathEscape(id), nil, &out)
	return out, err
}

// Reconcile compares a printer's ledger with its counter.
func (c *Client) Reconcile(ctx context.Context, printer, actor string) (printerd.Reconciliation, error) {
	var out printerd.Reconciliation
	err := c.call(ctx, http.MethodPost, "/v1/printers/"+url.PathEscape(printer)+"/reconcile", api.Actor{Actor: actor}, &out)
	return out, err
}

// Month reports a printer's blank cards in [from, until).
func (c *Client) Month(ctx context.Context, printer string, from, until time.Time) (printerd.MonthReport, error) {
	var out printerd.MonthReport
	q := url.Values{"from": {from.Format(time.RFC3339)}, "until": {until.Format(time.RFC3339)}}
	err := c.call(ctx, http.MethodGet, "/v1/printers/"+url.PathEscape(printer)+"/month?"+q.Encode(), nil, &out)
	return out, err
}

// Destructions lists a printer's destruction records, newest first.
func (c *Client) Destructions(ctx context.Context, printer string) ([]printerd.Destruction, error) {
	var out []printerd.Destruction
	err := c.call(ctx, http.MethodGet, "/v1/printers/"+url.PathEscape(printer)+"/destructions", nil, &out)
	return out, err
}
