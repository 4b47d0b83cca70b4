package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
)

// Limits of a batch; docs/fleet.md states them.
const (
	MaxBatchBytes  = 1 << 20 // the request body
	MaxBatchEvents = 1000
	MaxEventData   = 16 << 10 // one event's data
)

// nikLike is a run of 16 or more digits: the length of a NIK. No field of
// any kind has one, so an event that holds one is refused whole, before
// anything is stored.
var nikLike = regexp.MustCompile(`[0-9]{16}`)

// DecodeBatch reads a kiosk's batch strictly: no unknown field anywhere,
// a known stream, 1..MaxBatchEvents events with consecutive seqs from 1
// up, each of a known kind whose data decodes strictly into the kind's
// type, and nothing that looks like a NIK. Each event's Data comes back
// re-encoded from its type, so the hub stores only fields it knows.
func DecodeBatch(body []byte) (Batch, error) {
	var b Batch
	if len(body) > MaxBatchBytes {
		return b, ErrBatchTooLarge.Withf("%d bytes", len(body))
	}
	if err := strict(body, &b); err != nil {
		return Batch{}, ErrBatchInvalid.With(err)
	}
	switch b.Stream {
	case StreamStation, StreamPrinterd:
	default:
		return Batch{}, ErrBatchInvalid.Withf("unknown stream %q", b.Stream)
	}
	if len(b.Events) == 0 || len(b.Events) > MaxBatchEvents {
		return Batch{}, ErrBatchInvalid.Withf("%d events", len(b.Events))
	}
	for i := range b.Events {
		e := &b.Events[i]
		if e.Seq == 0 || e.Seq > 1<<62 {
			return Batch{}, ErrBatchInvalid.Withf("event %d: seq %d", i, e.Seq)
		}
		if i > 0 && e.Seq != b.Events[i-1].Seq+1 {
			return Batch{}, ErrBatchInvalid.Withf("event %d: seq %d after %d", i, e.Seq, b.Events[i-1].Seq)
		}
		if e.At.IsZero() || e.At.Year() < 2000 || e.At.Year() > 9999 {
			return Batch{}, ErrEventInvalid.Withf("seq %d: time %v", e.Seq, e.At)
		}
		e.At = e.At.UTC()
		v, data, err := decodeData(e.Kind, e.Data)
		if err != nil {
			return Batch{}, fmt.Errorf("seq %d: %w", e.Seq, err)
		}
		e.Data, e.value = data, v
	}
	return b, nil
}

// decodeData checks raw against kind's type and returns it decoded and
// re-encoded.
func decodeData(kind Kind, raw json.RawMessage) (any, json.RawMessage, error) {
	if len(raw) > MaxEventData {
		return nil, nil, ErrEventInvalid.Withf("%s: %d bytes of data", kind, len(raw))
	}
	if nikLike.Match(raw) {
		return nil, nil, ErrPersonalData.Withf("%s", kind)
	}
	v, err := dataOf(kind)
	if err != nil {
		return nil, nil, err
	}
	if err := strict(raw, v); err != nil {
		return nil, nil, ErrEventInvalid.Withf("%s: %w", kind, err)
	}
	if err := check(v); err != nil {
		return nil, nil, ErrEventInvalid.Withf("%s: %w", kind, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, nil, ErrEventInvalid.Withf("%s: %w", kind, err)
	}
	if nikLike.Match(out) { // a \u escape may hide digits from the first look
		return nil, nil, ErrPersonalData.Withf("%s", kind)
	}
	return v, out, nil
}

// dataOf returns a new value of kind's data type.
func dataOf(kind Kind) (any, error) {
	switch kind {
	case KindKioskState:
		return new(KioskState), nil
	case KindPrintOutcome:
		return new(PrintOutcome), nil
	case KindLoginOutcome:
		return new(LoginOutcome), nil
	case KindPrinterState:
		return new(PrinterState), nil
	case KindJobState:
		return new(JobState), nil
	case KindBlankMovement:
		return new(BlankMovement), nil
	case KindAuditCheckpoint:
		return new(AuditCheckpoint), nil
	case KindOutboxBacklog:
		return new(OutboxBacklog), nil
	}
	return nil, ErrEventInvalid.Withf("unknown kind %q", kind)
}

// check holds the rules a type alone cannot: the fields the hub's
// projections rely on are present.
func check(v any) error {
	switch d := v.(type) {
	case *KioskState:
		if d.State == "" {
			return errors.New("no state")
		}
	case *PrintOutcome:
		if d.DocumentType == "" || d.Outcome == "" {
			return errors.New("no document type or outcome")
		}
	case *PrinterState:
		if d.Printer == "" || d.State == "" {
			return errors.New("no printer or state")
		}
	case *JobState:
		if d.JobRef == "" || d.State == "" {
			return errors.New("no job or state")
		}
	case *BlankMovement:
		if d.Printer == "" || d.Kind == "" {
			return errors.New("no printer or kind")
		}
	case *OutboxBacklog:
		if d.Events < 0 || d.Bytes < 0 {
			return errors.New("negative backlog")
		}
	}
	return nil
}

// strict decodes one JSON value with no unknown fields and nothing after.
func strict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// Decode returns an event's data as its kind's type (for projections):
// the value DecodeBatch checked, or decoded from Data.
func (e Event) Decode() (any, error) {
	if e.value != nil {
		return e.value, nil
	}
	v, err := dataOf(e.Kind)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return nil, ErrEventInvalid.With(err)
	}
	return v, nil
}
