package journal

import (
	"context"
	"time"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/outbox"
	"github.com/anjungan/anjungan/printerd"
)

// schemaV9 is the fleet outbox (internal/outbox, docs/fleet.md): what the
// fleet hub should know, written in the transaction of each change.
const schemaV9 = outbox.Schema

var _ printerd.PrinterStateRecorder = (*Journal)(nil)

// fleetMedia is a media's name in fleet events.
func fleetMedia(m printerd.Media) string {
	switch m {
	case printerd.MediaCard:
		return "card"
	case printerd.MediaA4:
		return "a4"
	}
	return string(m)
}

// outJob writes job's new state to the outbox in tx: its reference,
// never its id or key, and its document type id ("kk"; "" for a job
// with none, left out of the event).
func outJob(ctx context.Context, tx *txn, t time.Time, job *printerd.Job) error {
	return outbox.Append(ctx, tx, t, fleet.KindJobState, "", fleet.JobState{
		JobRef: printerd.JobRef(job.ID), DocumentType: job.DocumentType, Media: fleetMedia(job.Media),
		State: string(job.State), Reason: job.Reason,
	})
}

// outBlank writes a movement of printer's blank cards to the outbox in tx,
// with the balance after it.
func outBlank(ctx context.Context, tx *txn, t time.Time, printer, kind string, count int, cause string) error {
	left, err := remaining(ctx, tx, printer)
	if err != nil {
		return err
	}
	return outbox.Append(ctx, tx, t, fleet.KindBlankMovement, "", fleet.BlankMovement{
		Printer: printer, Kind: kind, Count: count, Balance: left, Cause: cause,
	})
}

// RecordPrinterState implements printerd.PrinterStateRecorder: a
// snapshot, compacted to the latest per printer when the outbox is full.
func (j *Journal) RecordPrinterState(ctx context.Context, printer string, media printerd.Media, st printerd.Status) error {
	s := fleet.PrinterState{Printer: printer, Media: fleetMedia(media), State: string(st.State)}
	for _, r := range st.Reasons {
		s.Reasons = append(s.Reasons, r.Keyword)
	}
	for _, sp := range st.Supplies {
		if s.Supplies == nil {
			s.Supplies = map[string]int{}
		}
		pct := -1
		switch {
		case sp.Unit == "percent":
			pct = sp.Level
		case sp.Max > 0 && sp.Level >= 0:
			pct = sp.Level * 100 / sp.Max
		}
		s.Supplies[sp.Name] = pct
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.writeTx(ctx, "printer-state", func(tx *txn) error {
		return outbox.Append(ctx, tx, j.now(), fleet.KindPrinterState, "printer_state/"+printer, s)
	})
	if err != nil {
		return printerd.ErrJournal.With(err)
	}
	return nil
}

// Outbox is the journal's fleet outbox for the sender; its writes queue
// behind the journal's.
func (j *Journal) Outbox() *outbox.Store { return &outbox.Store{DB: j.db, Lock: &j.mu} }
