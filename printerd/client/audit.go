package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/printerd"
)

// maxCheckpoint caps a signed checkpoint note (a few lines and signatures).
const maxCheckpoint = 16 << 10

// Checkpoint returns printerd's latest signed audit checkpoint (a signed
// note); printerd.ErrNoCheckpoint before the first.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var b []byte
	err := c.get(ctx, "/v1/audit/checkpoint", func(r io.Reader) error {
		var err error
		b, err = io.ReadAll(io.LimitReader(r, maxCheckpoint+1))
		if err == nil && len(b) > maxCheckpoint {
			return fault.Internal.Withf("printerd checkpoint exceeds %d bytes", maxCheckpoint)
		}
		return err
	})
	return b, err
}

// AuditEntries copies to w the entries of printerd's audit log from index
// from on, with inclusion proofs against the checkpoint on the first line
// (as JSON for "jsonl", in base64 after "# checkpoint: " for "csv"); see
// audit.Export and audit.CheckExport. A long log takes long: Client.Timeout does not
// apply, ctx does.
func (c *Client) AuditEntries(ctx context.Context, from int64, format string, w io.Writer) error {
	q := url.Values{"from": {strconv.FormatInt(from, 10)}, "format": {format}}
	return c.get(ctx, "/v1/audit/entries?"+q.Encode(), func(r io.Reader) error {
		_, err := io.Copy(w, r)
		return err
	})
}

// get streams the body of a successful GET to read; an error answer
// becomes its fault.
func (c *Client) get(ctx context.Context, path string, read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fault.Internal.With(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return printerd.ErrUnreachable.With(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		return decodeError(resp.StatusCode, b)
	}
	if err := read(resp.Body); err != nil {
		if fe := (*fault.Error)(nil); errors.As(err, &fe) {
			return fe
		}
		return printerd.ErrUnreachable.With(err)
	}
	return nil
}
