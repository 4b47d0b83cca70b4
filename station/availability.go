package station

import (
	"context"
	"strings"
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
	out := make([]Availability, 0, len(DocumentTypes()))
	for _, d := range DocumentTypes() {
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

// admit refuses a login none of whose approved documents can print now,
// so that no citizen logs in only to wait for a printer nobody can fix
// in time. One that can print some of them is let in: the page marks the
// others. A kiosk without a print service (tests of the login) admits.
func (k *Kiosk) admit(ctx context.Context, rs []PrintRequest) error {
	if k.cfg.Printers == nil {
		return nil
	}
	as, err := k.Availability(ctx)
	if err != nil {
		return ErrKioskOutOfService.With(err) // printerd away: nothing prints
	}
	var not []Availability
	for _, r := range rs {
		if r.Status != RequestApproved {
			continue
		}
		for _, a := range as {
			if a.Document != r.Document {
				continue
			}
			if a.Ready {
				return nil
			}
			not = append(not, a)
		}
	}
	return outOfService(ErrKioskOutOfService, not).Withf("no approved document can print now")
}

// usable refuses d when its printer cannot take it now; an unknown
// answer lets it through (printerd decides at submission).
func (k *Kiosk) usable(ctx context.Context, d DocumentType) error {
	if k.cfg.Printers == nil {
		return nil
	}
	as, err := k.Availability(ctx)
	if err != nil {
		return nil
	}
	for _, a := range as {
		if a.Document == d && !a.Ready {
			return outOfService(ErrDocumentUnavailable, []Availability{a}).Withf("%s: %s", d, a.Reason)
		}
	}
	return nil
}

// outOfService is e with the documents and why named after its message,
// in words a citizen reads (the reason keywords are printerd's).
func outOfService(e *Error, as []Availability) *Error {
	c := *e
	var id, en []string
	for _, a := range as {
		rid, ren := reasonText(a.Reason)
		id = append(id, a.Document.Title()+": "+rid)
		en = append(en, a.Document.Title()+": "+ren)
	}
	if len(as) > 0 {
		c.ID += " (" + strings.Join(id, "; ") + ")"
		c.EN += " (" + strings.Join(en, "; ") + ")"
	}
	return &c
}

// reasonText is why a document cannot print, in Bahasa Indonesia and
// English; the kiosk page has the same words (assets/i18n avail_*).
func reasonText(reason string) (id, en string) {
	switch reason {
	case "no-blanks", "media-empty":
		return "blanko habis", "out of blank cards"
	case "marker-supply-empty":
		return "pita printer habis", "printer ribbon used up"
	case "stopped":
		return "printer berhenti", "printer stopped"
	case "offline":
		return "printer tidak terhubung", "printer not connected"
	case "no-printer":
		return "tidak tersedia di anjungan ini", "not available at this kiosk"
	}
	return "printer bermasalah", "printer has a problem"
}
