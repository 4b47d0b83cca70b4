package station

import (
	"fmt"
	"strings"
	"time"
)

// Hall says where a kiosk stands: the service hall's name, the kiosk's id
// and the hall's time zone. Reports, the console and the kiosk show times
// in the hall's zone, never in UTC.
type Hall struct {
	Name    string // e.g. "MPP Kota Bandung"
	KioskID string // e.g. "ADM-3273-01"
	Zone    Zone
}

// Zone is one of Indonesia's three time zones.
type Zone string

// The zones, with their fixed offsets (Indonesia keeps no daylight saving).
const (
	WIB  Zone = "WIB"  // UTC+7: Sumatra, Java, West and Central Kalimantan
	WITA Zone = "WITA" // UTC+8: Bali, Nusa Tenggara, Sulawesi, the rest of Kalimantan
	WIT  Zone = "WIT"  // UTC+9: Maluku, Papua
)

var zoneOffsets = map[Zone]int{WIB: 7, WITA: 8, WIT: 9}

// ParseZone reads "WIB", "WITA" or "WIT" (any case).
func ParseZone(s string) (Zone, error) {
	z := Zone(strings.ToUpper(strings.TrimSpace(s)))
	if _, ok := zoneOffsets[z]; !ok {
		return "", fmt.Errorf("time zone %q: want WIB, WITA or WIT", s)
	}
	return z, nil
}

// Location is the zone as a fixed offset, so no tzdata is needed on the kiosk.
// An unset or unknown zone is WIB.
func (z Zone) Location() *time.Location {
	h, ok := zoneOffsets[z]
	if !ok {
		z, h = WIB, 7
	}
	return time.FixedZone(string(z), h*3600)
}

// Date is t's calendar date in the hall, DD-MM-YYYY.
func (h Hall) Date(t time.Time) string { return t.In(h.Zone.Location()).Format("02-01-2006") }

// Time is t in the hall, "DD-MM-YYYY HH:MM WIB".
func (h Hall) Time(t time.Time) string {
	return t.In(h.Zone.Location()).Format("02-01-2006 15:04 MST")
}
