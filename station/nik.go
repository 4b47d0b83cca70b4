package station

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// NIK is a Nomor Induk Kependudukan, the 16-digit national identity number.
//
// A NIK encodes region, birth date and sex, so it is personal data: every
// way of printing or logging a NIK shows only the masked form
// (3171********0001). Reveal is the one explicit way to the digits, for
// talking to the upstream registry and for printing the document itself.
type NIK struct{ digits string }

// provinces are the two-digit province codes in use (Kemendagri).
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true, "16": true, "17": true, "18": true, "19": true,
	"21": true, "31": true, "32": true, "33": true, "34": true, "35": true, "36": true,
	"51": true, "52": true, "53": true, "61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "72": true, "73": true, "74": true, "75": true, "76": true, "81": true, "82": true,
	"91": true, "92": true, "93": true, "94": true, "95": true, "96": true,
}

// ParseNIK validates s as a NIK: 16 digits, a province code in use, a
// regency/city and district code that are not zero, a real birth date
// (day of month + 40 for women) and a serial number that is not zero.
func ParseNIK(s string) (NIK, error) {
	if len(s) != 16 {
		return NIK{}, ErrNIKInvalid.Withf("length %d", len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return NIK{}, ErrNIKInvalid.Withf("non-digit at %d", i)
		}
	}
	if !provinces[s[0:2]] {
		return NIK{}, ErrNIKInvalid.Withf("unknown province code %s", s[0:2])
	}
	if s[2:4] == "00" || s[4:6] == "00" {
		return NIK{}, ErrNIKInvalid.Withf("zero regency or district code")
	}
	day := atoi2(s[6:8])
	if day > 40 {
		day -= 40
	}
	month, yy := atoi2(s[8:10]), atoi2(s[10:12])
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, 2000+yy) {
		return NIK{}, ErrNIKInvalid.Withf("impossible birth date")
	}
	if s[12:16] == "0000" {
		return NIK{}, ErrNIKInvalid.Withf("zero serial")
	}
	return NIK{digits: s}, nil
}

// MustParseNIK is ParseNIK for constants in tests and the simulator.
func MustParseNIK(s string) NIK {
	n, err := ParseNIK(s)
	if err != nil {
		panic(err)
	}
	return n
}

func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

func daysIn(month, year int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Reveal returns the 16 digits. Call it only where the full number is the
// point: the upstream request, the printed document, the keyed hash.
func (n NIK) Reveal() string { return n.digits }

// IsZero reports whether n holds no NIK.
func (n NIK) IsZero() bool { return n.digits == "" }

// Masked returns the first four and last four digits: 3171********0001.
func (n NIK) Masked() string {
	if n.digits == "" {
		return ""
	}
	return n.digits[:4] + "********" + n.digits[12:]
}

// String returns the masked form.
func (n NIK) String() string { return n.Masked() }

// GoString returns the masked form, so %#v reveals nothing.
func (n NIK) GoString() string { return "station.NIK(" + n.Masked() + ")" }

// Format writes the masked form for every verb (%v, %+v, %s, %d, %x, %q…).
func (n NIK) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", n.Masked())
		return
	}
	_, _ = f.Write([]byte(n.Masked()))
}

// MarshalJSON writes the masked form: JSON of a domain value is for logs
// and displays. Wire formats that need the digits call Reveal explicitly.
func (n NIK) MarshalJSON() ([]byte, error) { return json.Marshal(n.Masked()) }

// MarshalText writes the masked form (used by encoders and map keys).
func (n NIK) MarshalText() ([]byte, error) { return []byte(n.Masked()), nil }

// LogValue makes log/slog print the masked form.
func (n NIK) LogValue() slog.Value { return slog.StringValue(n.Masked()) }

// Female reports whether the birth-day field carries the +40 for women.
func (n NIK) Female() bool { return n.digits != "" && atoi2(n.digits[6:8]) > 40 }

// BirthDate returns the birth date encoded in the NIK; the century is the
// latest one that does not put the date after now.
func (n NIK) BirthDate(now time.Time) time.Time {
	if n.digits == "" {
		return time.Time{}
	}
	day := atoi2(n.digits[6:8])
	if day > 40 {
		day -= 40
	}
	month, yy := atoi2(n.digits[8:10]), atoi2(n.digits[10:12])
	d := time.Date(2000+yy, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if d.After(now) {
		d = d.AddDate(-100, 0, 0)
	}
	return d
}
