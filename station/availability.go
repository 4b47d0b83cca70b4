package station

import (
	"context"

	"github.com/anjungan/anjungan/printerd"
)

// Availability says whether a document type can be printed now, so the
// kiosk can tell citizens before they start ("Blanko KTP-el habis — KK
// masih bisa dicetak").
type Availability struct {
	Document DocumentType
	Ready    bool
	Reason   string // the IPP reason keyword that stops it, e.g. media-empty
}

// Availability asks printerd about every document type's printers. A
// document can be printed when at least one printer of its media is not
// stopped, reports no error, and has blanks left when it counts them.
func (k *Kiosk) Availability(ctx context.Context) ([]Availability, error) {
	ps, err := k.cfg.Printers.Printers(ctx)
	if err != nil {
		return nil, ErrPrinterUnavailable.With(err)
	}
	out := make([]Availability, 0, len(DocumentTypes))
	for _, d := range DocumentTypes {
		a := Availability{Document: d, Reason: "no-printer"}
		for _, p := range ps {
			if p.Media != d.Media() {
				continue
			}
			if reason := blocking(p.Status); reason != "" {
				a.Reason = reason
				continue
			}
			a.Ready, a.Reason = true, ""
			break
		}
		out = append(out, a)
	}
	return out, nil
}

// blocking returns why a printer cannot take a job now, or "".
func blocking(s printerd.Status) string {
	for _, r := range s.Reasons {
		if r.Severity == printerd.SeverityError {
			return r.Keyword
		}
	}
	if s.State == printerd.PrinterStopped {
		return "stopped"
	}
	for _, sup := range s.Supplies {
		if sup.Unit == "cards" && sup.Max > 0 && sup.Level <= 0 {
			return "media-empty"
		}
	}
	return ""
}
