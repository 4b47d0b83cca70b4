package station

import (
	"context"
)

// Availability says whether a document type can be printed now, so the
// kiosk can tell citizens before they start ("Blanko KTP-el habis — KK
// masih bisa dicetak").
type Availability struct {
	Document DocumentType
	Ready    bool
	Reason   string // why not: no-printer, stopped, no-blanks, or an IPP reason keyword such as media-empty
}

// Availability asks printerd, which knows the printers' state and the
// blank-card ledger, and answers per document type.
func (k *Kiosk) Availability(ctx context.Context) ([]Availability, error) {
	as, err := k.cfg.Printers.Availability(ctx)
	if err != nil {
		return nil, ErrPrinterUnavailable.With(err)
	}
	out := make([]Availability, 0, len(DocumentTypes))
	for _, d := range DocumentTypes {
		a := Availability{Document: d, Reason: "no-printer"}
		for _, m := range as {
			if m.Media == d.Media() {
				a.Ready, a.Reason = m.Available, m.Reason
			}
		}
		out = append(out, a)
	}
	return out, nil
}
