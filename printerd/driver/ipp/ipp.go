// Package ipp drives printers that speak IPP over HTTP (IPP Everywhere
// printers, CUPS queues, printer applications) with OpenPrinting/goipp.
// It sends the job's PDF with Print-Job, follows the job with
// Get-Job-Attributes to its end, retries server-error-busy, and reads
// status from Get-Printer-Attributes.
//
// Configuration: URI ipp://host:port/path (or http://); option media
// (required). Only PDF is sent so far: a card-sized printer that takes
// only PWG raster is not supported yet.
package ipp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/OpenPrinting/goipp"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver"
)

// Name is the name the driver registers under.
const Name = "ipp"

func init() { driver.Register(Name, Driver{}) }

var (
	_ printerd.Driver = Driver{}
	_ printerd.Device = (*Device)(nil)
)

// Driver opens IPP printers.
type Driver struct{}

// Open implements printerd.Driver.
func (Driver) Open(_ context.Context, cfg printerd.DeviceConfig) (printerd.Device, error) {
	return Open(cfg)
}

// Device is one IPP printer.
type Device struct {
	uri    string // as the printer knows itself (ipp://)
	url    string // what HTTP posts to
	media  printerd.Media
	client *http.Client
	poll   time.Duration
}

// Open checks cfg. It does not contact the printer: one that is off at
// start-up is reported by Status, not refused.
func Open(cfg printerd.DeviceConfig) (*Device, error) {
	d := &Device{uri: cfg.URI, client: &http.Client{}, poll: 50 * time.Millisecond}
	switch {
	case strings.HasPrefix(cfg.URI, "ipp://"):
		d.url = "http://" + strings.TrimPrefix(cfg.URI, "ipp://")
	case strings.HasPrefix(cfg.URI, "http://"):
		d.url = cfg.URI
	default:
		return nil, fmt.Errorf("ipp: uri %q is not ipp:// or http://", cfg.URI)
	}
	for k, v := range cfg.Options {
		if k != "media" {
			return nil, fmt.Errorf("ipp: unknown option %q", k)
		}
		d.media = printerd.Media(v)
	}
	if d.media != printerd.MediaA4 {
		return nil, fmt.Errorf("ipp: option media %q: only %s so far", d.media, printerd.MediaA4)
	}
	return d, nil
}

// Capabilities implements printerd.Device.
func (d *Device) Capabilities(context.Context) (printerd.Capabilities, error) {
	return printerd.Capabilities{Media: []printerd.Media{d.media}, Resolutions: []int{300}}, nil
}

func (d *Device) request(op goipp.Op) *goipp.Message {
	m := goipp.NewRequest(goipp.DefaultVersion, op, 1)
	m.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	m.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	m.Operation.Add(goipp.MakeAttribute("printer-uri", goipp.TagURI, goipp.String(d.uri)))
	m.Operation.Add(goipp.MakeAttribute("requesting-user-name", goipp.TagName, goipp.String("printerd")))
	return m
}

// errBusy is server-error-busy: the printer takes one job at a time.
var errBusy = errors.New("server-error-busy")

// sentError is a failure after the request may have reached the printer.
type sentError struct{ err error }

func (e *sentError) Error() string { return e.err.Error() }
func (e *sentError) Unwrap() error { return e.err }

// do sends req (and doc after it) and decodes the response.
func (d *Device) do(ctx context.Context, req *goipp.Message, doc []byte) (*goipp.Message, error) {
	b, err := req.EncodeBytes()
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, io.MultiReader(bytes.NewReader(b), bytes.NewReader(doc)))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", goipp.ContentType)
	resp, err := d.client.Do(hreq)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, err // nothing left this machine
		}
		return nil, &sentError{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &sentError{fmt.Errorf("HTTP %s", resp.Status)}
	}
	var m goipp.Message
	if err := m.Decode(io.LimitReader(resp.Body, 1<<20)); err != nil {
		return nil, &sentError{err}
	}
	switch st := goipp.Status(m.Code); {
	case st == goipp.StatusErrorBusy:
		return nil, errBusy
	case st >= 0x0100:
		return &m, fmt.Errorf("IPP %s", st)
	}
	return &m, nil
}

var statusAttrs = []string{"printer-state", "printer-state-reasons", "printer-supply", "printer-supply-description", "printer-input-tray", "printer-state-message"}

// Status implements printerd.Device with Get-Printer-Attributes.
func (d *Device) Status(ctx context.Context) (printerd.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req := d.request(goipp.OpGetPrinterAttributes)
	var values goipp.Values
	for _, a := range statusAttrs {
		values.Add(goipp.TagKeyword, goipp.String(a))
	}
	req.Operation.Add(goipp.Attribute{Name: "requested-attributes", Values: values})
	resp, err := d.do(ctx, req, nil)
	if err != nil {
		return printerd.Status{State: printerd.PrinterStopped,
			Reasons: []printerd.Reason{{Keyword: printerd.ReasonOffline, Severity: printerd.SeverityError}}, VendorCode: clip(err.Error())}, nil
	}
	return DecodeStatus(resp.Printer), nil
}

// Print implements printerd.Device.
func (d *Device) Print(ctx context.Context, job printerd.PrintJob) (printerd.Printed, error) {
	if job.Media != d.media {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "media-mismatch"}
	}
	req := d.request(goipp.OpPrintJob)
	req.Operation.Add(goipp.MakeAttribute("job-name", goipp.TagName, goipp.String(string(job.ID))))
	req.Operation.Add(goipp.MakeAttribute("document-format", goipp.TagMimeType, goipp.String("application/pdf")))
	req.Job.Add(goipp.MakeAttribute("media", goipp.TagKeyword, goipp.String(string(d.media))))
	var resp *goipp.Message
	var err error
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		if err := ctx.Err(); err != nil {
			return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "canceled", Err: err}
		}
		resp, err = d.do(ctx, req, job.Document)
		if !errors.Is(err, errBusy) {
			break
		}
		t := time.NewTimer(wait) // busy with another job: retry, as IPP asks
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	var sent *sentError
	switch {
	case errors.As(err, &sent):
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: printerd.ReasonOffline, Uncertain: true, Err: err}
	case err != nil && resp == nil:
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: printerd.ReasonOffline, Err: err}
	case err != nil:
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeFailed, Reason: "document-format-error", Err: err}
	}
	id, ok := intAttr(resp.Job, "job-id")
	if !ok {
		return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: "other", Uncertain: true, Err: errors.New("no job-id in the response")}
	}
	return d.follow(ctx, id)
}

// Job states (RFC 8011, 5.3.7).
const (
	jobCanceled  = 7
	jobAborted   = 8
	jobCompleted = 9
)

// follow polls Get-Job-Attributes until the job ends.
func (d *Device) follow(ctx context.Context, id int) (printerd.Printed, error) {
	for {
		req := d.request(goipp.OpGetJobAttributes)
		req.Operation.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(id)))
		resp, err := d.do(ctx, req, nil)
		if err != nil && !errors.Is(err, errBusy) {
			return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: printerd.ReasonOffline, Uncertain: true, Err: err}
		}
		if err == nil {
			state, _ := intAttr(resp.Job, "job-state")
			switch state {
			case jobCompleted:
				return printerd.Printed{Pages: 1}, nil
			case jobAborted, jobCanceled:
				st, _ := d.Status(context.WithoutCancel(ctx))
				// The printer's worst reason says why (ippeveprinter
				// leaves a script's reason as a report).
				reason := "other"
				for _, r := range st.Reasons {
					if reason == "other" || r.Severity == printerd.SeverityError {
						reason = r.Keyword
					}
					if r.Severity == printerd.SeverityError {
						break
					}
				}
				return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: reason,
					Err: fmt.Errorf("job %d ended in state %d", id, state)}
			}
		}
		t := time.NewTimer(d.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return printerd.Printed{}, &printerd.DriverError{Outcome: printerd.OutcomeRetry, Reason: "canceled", Uncertain: true, Err: ctx.Err()}
		case <-t.C:
		}
	}
}

// Close implements printerd.Device.
func (d *Device) Close() error {
	d.client.CloseIdleConnections()
	return nil
}

func intAttr(attrs goipp.Attributes, name string) (int, bool) {
	for _, a := range attrs {
		if a.Name == name && len(a.Values) > 0 {
			if v, ok := a.Values[0].V.(goipp.Integer); ok {
				return int(v), true
			}
		}
	}
	return 0, false
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}
