package station

import (
	"fmt"
	"strings"
)

// Side is where a part sits on the kiosk's front, seen by the citizen
// facing it.
type Side string

// The sides a part can be on.
const (
	SideLeft  Side = "left"
	SideRight Side = "right"
)

// KioskLayout is where the parts a citizen touches sit on this kiosk
// model: the e-KTP reader and the QR scanner beside the screen, the card
// printer's and the paper printer's output slots below it. The kiosk
// page draws its pictures of the physical actions (tap the card here,
// take the paper there) after it.
type KioskLayout struct {
	Reader    Side `json:"reader"`
	Scanner   Side `json:"scanner"`
	CardSlot  Side `json:"card_slot"`
	PaperSlot Side `json:"paper_slot"`
}

// DefaultKioskLayout is the layout of a kiosk that sets none.
var DefaultKioskLayout = KioskLayout{Reader: SideRight, Scanner: SideRight, CardSlot: SideLeft, PaperSlot: SideRight}

// maxLayoutText bounds the setting's text: four short pairs.
const maxLayoutText = 256

// ParseKioskLayout reads a layout as the station's -kiosk-layout flag
// gives it: comma-separated key=side pairs, keys reader, scanner,
// card-slot and paper-slot, sides left or right, e.g.
// "reader=left,card-slot=right". A key not given keeps its default; a key
// twice, an unknown key or side, or an empty pair is an error.
func ParseKioskLayout(s string) (KioskLayout, error) {
	l := DefaultKioskLayout
	if len(s) > maxLayoutText {
		return l, fmt.Errorf("station: kiosk layout: %d bytes, at most %d", len(s), maxLayoutText)
	}
	if strings.TrimSpace(s) == "" {
		return l, nil
	}
	seen := map[string]bool{}
	for _, pair := range strings.Split(s, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			return l, fmt.Errorf("station: kiosk layout: %q is not key=side", pair)
		}
		side := Side(val)
		if side != SideLeft && side != SideRight {
			return l, fmt.Errorf("station: kiosk layout: %s=%q: want left or right", key, val)
		}
		if seen[key] {
			return l, fmt.Errorf("station: kiosk layout: %s given twice", key)
		}
		seen[key] = true
		switch key {
		case "reader":
			l.Reader = side
		case "scanner":
			l.Scanner = side
		case "card-slot":
			l.CardSlot = side
		case "paper-slot":
			l.PaperSlot = side
		default:
			return l, fmt.Errorf("station: kiosk layout: unknown part %q (reader, scanner, card-slot, paper-slot)", key)
		}
	}
	return l, nil
}

// String is the layout as ParseKioskLayout reads it.
func (l KioskLayout) String() string {
	return "reader=" + string(l.Reader) + ",scanner=" + string(l.Scanner) + ",card-slot=" + string(l.CardSlot) + ",paper-slot=" + string(l.PaperSlot)
}
