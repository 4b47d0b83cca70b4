package printerd

import (
	"context"
	"errors"
	"time"
)

// The supervisor's custody actions. Each refusal of a well-formed request
// (wrong serial count, a second reversal, one supervisor signing twice, a
// late or repeated confirmation, a spoil past the stock) is written to
// the audit log before it is returned, so an attempt leaves a trace.

// refused audits err as a refusal of action when it is one of printerd's
// own errors (not a journal failure) and returns err.
func (d *Dispatcher) refused(ctx context.Context, action, printer, actor string, err error) error {
	var fe *Error
	if errors.As(err, &fe) && !errors.Is(err, ErrJournal) && actor != "" {
		if aerr := d.journal.RecordRefusal(ctx, action, printer, actor, err); aerr != nil {
			return errors.Join(err, aerr)
		}
	}
	return err
}

// countedPrinter returns the worker of a printer of counted media.
func (d *Dispatcher) countedPrinter(name string) (*worker, error) {
	w, err := d.worker(name)
	if err != nil {
		return nil, err
	}
	if !w.printer.Media.Counted() {
		return nil, ErrInvalidRequest.Withf("printer %s holds %s, which is not counted", name, w.printer.Media)
	}
	return w, nil
}

// ReverseLoad corrects a wrong load with a reversing entry.
func (d *Dispatcher) ReverseLoad(ctx context.Context, r LoadReversal) (LoadReversal, error) {
	if err := r.Validate(); err != nil {
		return LoadReversal{}, d.refused(ctx, "reverse-load", "", r.Actor, err)
	}
	out, err := d.journal.ReverseLoad(ctx, r)
	if err != nil {
		return LoadReversal{}, d.refused(ctx, "reverse-load", "", r.Actor, err)
	}
	return out, nil
}

// EditLoad is what printerd answers any request to change a recorded
// load: refused and audited. A wrong load is corrected by ReverseLoad.
func (d *Dispatcher) EditLoad(ctx context.Context, seq int64, actor string) error {
	return d.refused(ctx, "edit-load", "", actor, ErrLoadImmutable.Withf("load %d", seq))
}

// Loads lists a counted printer's loads.
func (d *Dispatcher) Loads(ctx context.Context, printer string) ([]LoadRecord, error) {
	if _, err := d.countedPrinter(printer); err != nil {
		return nil, err
	}
	return d.journal.Loads(ctx, printer)
}

// SpoilCard takes a card out of a printer's stock as spoiled.
func (d *Dispatcher) SpoilCard(ctx context.Context, s Spoil) (SpoiledCard, error) {
	if _, err := d.countedPrinter(s.Printer); err != nil {
		return SpoiledCard{}, err
	}
	if err := s.Validate(); err != nil {
		return SpoiledCard{}, d.refused(ctx, "spoil", s.Printer, s.Actor, err)
	}
	c, err := d.journal.RecordSpoil(ctx, s)
	if err != nil {
		return SpoiledCard{}, d.refused(ctx, "spoil", s.Printer, s.Actor, err)
	}
	return c, nil
}

// SpoiledCards lists a counted printer's spoiled cards.
func (d *Dispatcher) SpoiledCards(ctx context.Context, printer string, awaiting bool) ([]SpoiledCard, error) {
	if _, err := d.countedPrinter(printer); err != nil {
		return nil, err
	}
	return d.journal.SpoiledCards(ctx, printer, awaiting)
}

// ProposeDestruction is the first supervisor's signature on destroying
// spoiled cards.
func (d *Dispatcher) ProposeDestruction(ctx context.Context, r DestructionRequest) (Destruction, error) {
	if _, err := d.countedPrinter(r.Printer); err != nil {
		return Destruction{}, err
	}
	if err := validActor(r.Actor); err != nil {
		return Destruction{}, err
	}
	out, err := d.journal.ProposeDestruction(ctx, r, d.destroyIn)
	if err != nil {
		return Destruction{}, d.refused(ctx, "propose-destruction", r.Printer, r.Actor, err)
	}
	return out, nil
}

// ConfirmDestruction is the second supervisor's signature: it must be a
// different supervisor, within the destruction window.
func (d *Dispatcher) ConfirmDestruction(ctx context.Context, id, actor string) (Destruction, error) {
	if err := validActor(actor); err != nil {
		return Destruction{}, err
	}
	out, err := d.journal.ConfirmDestruction(ctx, id, actor)
	if err != nil {
		return Destruction{}, d.refused(ctx, "confirm-destruction", "", actor, err)
	}
	return out, nil
}

// Destruction reads one destruction record.
func (d *Dispatcher) Destruction(ctx context.Context, id string) (Destruction, error) {
	return d.journal.Destruction(ctx, id)
}

// Destructions lists a counted printer's destruction records, newest
// first.
func (d *Dispatcher) Destructions(ctx context.Context, printer string) ([]Destruction, error) {
	if _, err := d.countedPrinter(printer); err != nil {
		return nil, err
	}
	return d.journal.Destructions(ctx, printer)
}

// Reconcile compares a printer's ledger with its own counter, when its
// driver reports one (CardCounter); without one, the reconciliation
// records the ledger alone and is flagged by ErrNotSupported.
func (d *Dispatcher) Reconcile(ctx context.Context, printer, actor string) (Reconciliation, error) {
	w, err := d.countedPrinter(printer)
	if err != nil {
		return Reconciliation{}, err
	}
	if err := validActor(actor); err != nil {
		return Reconciliation{}, err
	}
	cc, ok := w.printer.Device.(CardCounter)
	if !ok {
		return Reconciliation{}, d.refused(ctx, "reconcile", printer, actor,
			ErrNotSupported.Withf("printer %s reports no card counter", printer))
	}
	c, err := cc.CardCounts(ctx)
	if err != nil {
		return Reconciliation{}, ErrUnreachable.With(err)
	}
	return d.journal.RecordReconciliation(ctx, printer, actor, c, true)
}

// Month reports a counted printer's blank cards in [from, until).
func (d *Dispatcher) Month(ctx context.Context, printer string, from, until time.Time) (MonthReport, error) {
	if _, err := d.countedPrinter(printer); err != nil {
		return MonthReport{}, err
	}
	if !from.Before(until) {
		return MonthReport{}, ErrInvalidRequest.Withf("empty period")
	}
	return d.journal.Month(ctx, printer, from, until)
}
