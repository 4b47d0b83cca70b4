// Package ipp drives printers that speak IPP over HTTP (IPP Everywhere
// printers, CUPS queues, printer applications) with OpenPrinting/goipp.
// It sends the job's PDF with Print-Job, follows the job with
// Get-Job-Attributes to its end, retries server-error-busy, and reads
// status from Get-Printer-Attributes.
//
// Configuration: URI ipp://host:port/path (or http://); options media
// (required: iso_a4_210x297mm or om_card_54x86mm), status-timeout
// (default 5s) and job-timeout (default 5m, how long a job may take
// once sent). The document goes as PDF when the printer's
// document-format-supported has application/pdf, else as PWG raster
// rendered at 300 dpi with pdftoppm (a card-sized printer).
//
// Before sending, Print reads the printer's status and refuses, certain
// that nothing printed, while a reason stops it (an empty tray holds the
// job, a jam stops the printer). IPP has no card serial: on a card
// printer the driver reports printerd.CardSerialFor(URI, job), since the
// printer's job-id starts again at 1 when it restarts.
//
// Every reply is decoded behind a recover (DecodeReply): a reply goipp
// cannot decode, or panics on, is printerd.ErrMalformedReply with reason
// malformed-reply, never a crash of printerd.
package ipp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/OpenPrinting/goipp"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver"
	"github.com/anjungan/anjungan/printerd/internal/pwgraster"
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
	uri           string // as the printer knows itself (ipp://)
	url           string // what HTTP posts to
	media         printerd.Media
	client        *http.Client
	poll          time.Duration
	statusTimeout time.Duration
	jobTimeout    time.Duration
	closed        atomic.Bool

	mu     sync.Mutex // guards format: one Print at a time sets it
	format string     // the document format the printer takes, once known
}

// Open checks cfg. It does not contact the printer: one that is off at
// start-up is reported by Status, not refused.
func Open(cfg printerd.DeviceConfig) (*Device, error) {
	d := &Device{uri: cfg.URI, client: &http.Client{}, poll: 50 * time.Millisecond,
		statusTimeout: 5 * time.Second, jobTimeout: 5 * time.Minute}
	switch {
	case strings.HasPrefix(cfg.URI, "ipp://"):
		d.url = "http://" + strings.TrimPrefix(cfg.URI, "ipp://")
	case strings.HasPrefix(cfg.URI, "http://"):
		d.url = cfg.URI
	default:
		return nil, fmt.Errorf("ipp: uri %q is not ipp:// or http://", cfg.URI)
	}
	for k, v := range cfg.Options {
		var err error
		switch k {
		case "media":
			d.media = printerd.Media(v)
		case "status-timeout":
			d.statusTimeout, err = time.ParseDuration(v)
		case "job-timeout":
			d.jobTimeout, err = time.ParseDuration(v)
		default:
			return nil, fmt.Errorf("ipp: unknown option %q", k)
		}
		if err != nil {
			return nil, fmt.Errorf("ipp: option %s: %w", k, err)
		}
	}
	if d.media != printerd.MediaA4 && d.media != printerd.MediaCard {
		return nil, fmt.Errorf("ipp: option media %q: want %s or %s", d.media, printerd.MediaA4, printerd.MediaCard)
	}
	if d.statusTimeout <= 0 || d.jobTimeout <= 0 {
		return nil, errors.New("ipp: timeouts must be positive")
	}
	return d, nil
}

func (d *Device) card() bool { return d.media == printerd.MediaCard }

// Capabilities implements printerd.Device.
func (d *Device) Capabilities(context.Context) (printerd.Capabilities, error) {
	caps := printerd.Capabilities{Media: []printerd.Media{d.media}, Resolutions: []int{300}}
	if d.card() {
		// IPP describes no ribbon, reject box or encoder: only a feeder.
		caps.Card = &printerd.CardFeatures{Feeders: 1}
	}
	return caps, nil
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
	// Read whole first, so that a connection lost mid-reply (offline) is
	// told apart from bytes that do not decode (malformed).
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		return nil, &sentError{err}
	}
	m, err := DecodeReply(reply)
	if err != nil {
		return nil, &sentError{err}
	}
	switch st := goipp.Status(m.Code); {
	case st == goipp.StatusErrorBusy:
		return nil, errBusy
	case st >= 0x0100:
		return m, fmt.Errorf("IPP %s", st)
	}
	return m, nil
}

// maxReply bounds a reply: printerd asks for a few attributes, never a
// document.
const maxReply = 1 << 20

// DecodeReply decodes an IPP reply. It is the one place where bytes a
// printer sent reach goipp, and goipp (v1.1.0) panics on some malformed
// messages (an extension tag naming a delimiter tag, for one): any
// decoding error or panic is printerd.ErrMalformedReply, with what went
// wrong as its cause, for the log.
func DecodeReply(b []byte) (m *goipp.Message, err error) {
	if len(b) > maxReply {
		return nil, printerd.ErrMalformedReply.Withf("IPP reply of more than %d bytes", maxReply)
	}
	defer func() {
		if v := recover(); v != nil {
			m, err = nil, printerd.ErrMalformedReply.Withf("IPP reply of %d bytes: goipp panicked: %v\n%s", len(b), v, debug.Stack())
		}
	}()
	m = new(goipp.Message)
	if err := m.DecodeBytes(b); err != nil {
		return nil, printerd.ErrMalformedReply.Withf("IPP reply of %d bytes: %w", len(b), err)
	}
	return m, nil
}

// failReason is the printer-state-reasons keyword for a request that
// failed after it may have reached the printer.
func failReason(err error) string {
	if errors.Is(err, printerd.ErrMalformedReply) {
		return printerd.ReasonMalformedReply
	}
	return printerd.ReasonOffline
}

var statusAttrs = []string{"printer-state", "printer-state-reasons", "printer-supply", "printer-supply-description",
	"printer-input-tray", "printer-state-message", "document-format-supported"}

// attributes asks the printer for its status attributes.
func (d *Device) attributes(ctx context.Context) (goipp.Attributes, error) {
	ctx, cancel := context.WithTimeout(ctx, d.statusTimeout)
	defer cancel()
	req := d.request(goipp.OpGetPrinterAttributes)
	var values goipp.Values
	for _, a := range statusAttrs {
		values.Add(goipp.TagKeyword, goipp.String(a))
	}
	req.Operation.Add(goipp.Attribute{Name: "requested-attributes", Values: values})
	resp, err := d.do(ctx, req, nil)
	if err != nil {
		return nil, err
	}
	return resp.Printer, nil
}

func offline(err error) printerd.Status {
	return printerd.Status{State: printerd.PrinterStopped,
		Reasons: []printerd.Reason{{Keyword: printerd.ReasonOffline, Severity: printerd.SeverityError}}, VendorCode: clip(err.Error())}
}

// Status implements printerd.Device with Get-Printer-Attributes. A
// printer that does not answer is stopped and offline; one whose reply
// does not decode is stopped with reason malformed-reply.
func (d *Device) Status(ctx context.Context) (printerd.Status, error) {
	if d.closed.Load() {
		return offline(errClosed), nil
	}
	attrs, err := d.attributes(ctx)
	if err != nil {
		st := offline(err)
		st.Reasons[0].Keyword = failReason(err)
		return st, nil
	}
	return DecodeStatus(attrs), nil
}

var errClosed = errors.New("device closed")

// fail builds Print's error; on a card printer it says where the card
// went.
func (d *Device) fail(o printerd.Outcome, reason string, uncertain bool, disp printerd.Disposition, serial string, err error) error {
	if d.card() && disp != printerd.DispositionNone {
		if serial == "" {
			serial = "unknown"
		}
		err = &printerd.CardError{Disposition: disp, CardSerial: serial, Err: err}
	}
	return &printerd.DriverError{Outcome: o, Reason: reason, Uncertain: uncertain, Err: err}
}

// effect is what printerd's fault table says a reason means at a point
// of the print; ok is false for a reason the table does not name.
func effect(reason, at string) (printerd.FaultEffect, bool) {
	for _, k := range printerd.FaultKinds {
		if e, err := (printerd.Fault{Kind: k, At: at}).Effect(); err == nil && e.Reason == reason {
			return e, true
		}
	}
	return printerd.FaultEffect{}, false
}

// worst is the first error reason of st, else its first reason.
func worst(st printerd.Status) string {
	for _, r := range st.Reasons {
		if r.Severity == printerd.SeverityError {
			return r.Keyword
		}
	}
	if len(st.Reasons) > 0 {
		return st.Reasons[0].Keyword
	}
	return "other"
}

// Print implements printerd.Device.
func (d *Device) Print(ctx context.Context, job printerd.PrintJob) (printerd.Printed, error) {
	none := printerd.DispositionNone
	if d.closed.Load() {
		return printerd.Printed{}, d.fail(printerd.OutcomeStop, printerd.ReasonOffline, false, none, "", errClosed)
	}
	if job.Media != d.media {
		return printerd.Printed{}, d.fail(printerd.OutcomeFailed, "media-mismatch", false, none, "", fmt.Errorf("job media %s", job.Media))
	}
	if err := ctx.Err(); err != nil {
		return printerd.Printed{}, d.fail(printerd.OutcomeRetry, "canceled", false, none, "", err)
	}
	// Ask first: a stopped printer refuses the job before it costs a
	// sheet or a card, and printerd keeps it.
	attrs, err := d.attributes(ctx)
	switch {
	case errors.Is(err, printerd.ErrMalformedReply):
		// Nothing of the job was sent: it fails, certain, and printerd
		// stops the printer (ErrMalformedReply), which would answer the
		// next job the same way.
		return printerd.Printed{}, d.fail(printerd.OutcomeFailed, printerd.ReasonMalformedReply, false, none, "", err)
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return printerd.Printed{}, d.fail(printerd.OutcomeRetry, printerd.ReasonTimedOut, false, none, "", err)
	case err != nil:
		return printerd.Printed{}, d.fail(printerd.OutcomeRetry, printerd.ReasonOffline, false, none, "", err)
	}
	if st := DecodeStatus(attrs); st.State == printerd.PrinterStopped {
		reason := worst(st)
		o := printerd.OutcomeStop
		if e, ok := effect(reason, printerd.FaultBeforePrint); ok {
			o = e.Outcome
		}
		return printerd.Printed{}, d.fail(o, reason, false, none, "", fmt.Errorf("printer stopped: %v", st.Reasons))
	}
	format, doc, err := d.document(ctx, attrs, job)
	if err != nil {
		return printerd.Printed{}, d.fail(printerd.OutcomeFailed, "document-format-error", false, none, "", err)
	}

	req := d.request(goipp.OpPrintJob)
	req.Operation.Add(goipp.MakeAttribute("job-name", goipp.TagName, goipp.String(string(job.ID))))
	req.Operation.Add(goipp.MakeAttribute("document-format", goipp.TagMimeType, goipp.String(format)))
	req.Job.Add(goipp.MakeAttribute("media", goipp.TagKeyword, goipp.String(string(d.media))))
	var resp *goipp.Message
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		resp, err = d.do(ctx, req, doc)
		if !errors.Is(err, errBusy) {
			break
		}
		t := time.NewTimer(wait) // busy with another job: retry, as IPP asks
		select {
		case <-ctx.Done():
			t.Stop()
			return printerd.Printed{}, d.fail(printerd.OutcomeRetry, "canceled", false, none, "", ctx.Err())
		case <-t.C:
		}
	}
	// The card's serial, should one be used from here on: unique forever,
	// unlike the printer's job-id, which starts again at 1 when it
	// restarts.
	serial := ""
	if d.card() {
		serial = printerd.CardSerialFor(d.uri, job)
	}
	var sent *sentError
	switch {
	case errors.As(err, &sent):
		// The document went out (a malformed reply, a lost connection):
		// the printer may print it.
		return printerd.Printed{}, d.fail(printerd.OutcomeStop, failReason(err), true, printerd.DispositionUnknown, serial, err)
	case err != nil && resp == nil:
		return printerd.Printed{}, d.fail(printerd.OutcomeRetry, printerd.ReasonOffline, false, none, "", err)
	case err != nil:
		return printerd.Printed{}, d.fail(printerd.OutcomeFailed, "document-format-error", false, none, "", err)
	}
	id, ok := intAttr(resp.Job, "job-id")
	if !ok {
		return printerd.Printed{}, d.fail(printerd.OutcomeStop, "other", true, printerd.DispositionUnknown, serial, errors.New("no job-id in the response"))
	}
	return d.follow(ctx, id, serial)
}

// document returns the job's document in a format the printer takes:
// its PDF, else PWG raster rendered from that same PDF.
func (d *Device) document(ctx context.Context, attrs goipp.Attributes, job printerd.PrintJob) (string, []byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.format == "" {
		for _, a := range attrs {
			if a.Name != "document-format-supported" {
				continue
			}
			for _, v := range a.Values {
				switch v.V.String() {
				case "application/pdf":
					d.format = "application/pdf"
				case "image/pwg-raster":
					if d.format == "" {
						d.format = "image/pwg-raster"
					}
				}
			}
		}
	}
	switch d.format {
	case "application/pdf":
		return d.format, job.Document, nil
	case "image/pwg-raster":
		pages, err := pwgraster.Rasterize(ctx, job.Document, 300, string(d.media))
		if err != nil {
			return "", nil, err
		}
		var buf bytes.Buffer
		if err := pwgraster.Encode(&buf, pages); err != nil {
			return "", nil, err
		}
		return d.format, buf.Bytes(), nil
	}
	return "", nil, errors.New("the printer takes neither application/pdf nor image/pwg-raster")
}

// Job states (RFC 8011, 5.3.7).
const (
	jobCanceled  = 7
	jobAborted   = 8
	jobCompleted = 9
)

// firstPoll is the wait before follow's second Get-Job-Attributes.
const firstPoll = time.Millisecond

// follow polls Get-Job-Attributes until the job ends; serial is the
// card's, "" on a paper printer.
func (d *Device) follow(ctx context.Context, id int, serial string) (printerd.Printed, error) {
	ctx, cancel := context.WithTimeout(ctx, d.jobTimeout)
	defer cancel()
	// Poll soon at first (a small job ends in milliseconds), then a
	// quarter later each time, up to every d.poll: the end is seen at
	// most a quarter of the job's time late (doubling overshot by up to
	// its whole time), in about 17 polls before the first d.poll.
	wait := firstPoll
	for {
		req := d.request(goipp.OpGetJobAttributes)
		req.Operation.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(id)))
		resp, err := d.do(ctx, req, nil)
		if err != nil && !errors.Is(err, errBusy) && ctx.Err() == nil {
			return printerd.Printed{}, d.fail(printerd.OutcomeStop, failReason(err), true, printerd.DispositionUnknown, serial, err)
		}
		if err == nil {
			state, _ := intAttr(resp.Job, "job-state")
			done, _ := intAttr(resp.Job, "job-impressions-completed")
			switch state {
			case jobCompleted:
				p := printerd.Printed{Pages: max(done, 1)}
				if d.card() {
					p.CardSerial = serial
				}
				return p, nil
			case jobAborted, jobCanceled:
				return printerd.Printed{}, d.aborted(ctx, id, state, done, serial)
			}
		}
		t := time.NewTimer(wait)
		wait = min(wait+wait/4, d.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			// Ask the printer to drop the job; whether a page or a
			// card went through is unknown.
			stop, cancelStop := context.WithTimeout(context.WithoutCancel(ctx), d.statusTimeout)
			req := d.request(goipp.OpCancelJob)
			req.Operation.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(id)))
			_, _ = d.do(stop, req, nil)
			cancelStop()
			reason := "canceled"
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				reason = printerd.ReasonTimedOut
			}
			return printerd.Printed{}, d.fail(printerd.OutcomeRetry, reason, true, printerd.DispositionUnknown, serial, ctx.Err())
		case <-t.C:
		}
	}
}

// aborted explains a job the printer aborted or canceled from the
// printer's worst reason, read with printerd's fault table: a page that
// was printed makes the result uncertain.
func (d *Device) aborted(ctx context.Context, id, state, done int, serial string) error {
	st, _ := d.Status(context.WithoutCancel(ctx))
	reason := worst(st)
	err := fmt.Errorf("job %d ended in state %d after %d impressions", id, state, done)
	at := printerd.FaultDuringPrint
	if done > 0 {
		at = printerd.FaultAfterPrint
	}
	if e, ok := effect(reason, at); ok {
		return d.fail(e.Outcome, reason, e.Uncertain || done > 0, e.Disposition, serial, err)
	}
	// A reason the table does not name: a sheet not printed is certain,
	// a card may have been picked.
	return d.fail(printerd.OutcomeStop, reason, done > 0 || d.card(), printerd.DispositionUnknown, serial, err)
}

// Close implements printerd.Device. Later prints fail, certain.
func (d *Device) Close() error {
	d.closed.Store(true)
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
