package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Entry formats. The leaf hash is over an entry's stored bytes, so an
// entry keeps the format it was written in for ever; see docs/audit.md,
// "Entries".
const (
	// Format1 is how entries were written before format 2: Go's
	// encoding/json, keys in the order time, kind, actor, subject,
	// fields, with <, >, & and U+2028/U+2029 escaped as \u003c …, and
	// empty field values kept when a writer passed them.
	Format1 = 1
	// Format2 is the RFC 8785 (JSON Canonicalization Scheme) form of the
	// entry, empty values left out. Every entry written now is format 2.
	Format2 = 2
)

// format1Prefix starts every format 1 entry (time came first) and no
// format 2 entry (keys sorted: time comes last, kind is always there).
const format1Prefix = `{"time":`

// FormatOf tells the format of a stored entry from its first key.
func FormatOf(data []byte) int {
	if len(data) >= len(format1Prefix) && string(data[:len(format1Prefix)]) == format1Prefix {
		return Format1
	}
	return Format2
}

// Encode returns the bytes of e that the tree hashes, in format 2: the
// RFC 8785 canonical JSON of the object {actor, fields, kind, subject,
// time}, members sorted by key, with actor, subject and fields left out
// when empty and every empty field value left out; time is RFC 3339 in
// UTC with the fraction's trailing zeros dropped. Invalid UTF-8 in a
// value becomes U+FFFD; a field name must be valid UTF-8.
func (e Entry) Encode() ([]byte, error) {
	t := e.Time.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("audit: time %v is outside the years 0000-9999", t)
	}
	var keys []string
	for k, v := range e.Fields {
		if v == "" {
			continue
		}
		if !utf8.ValidString(k) {
			// Replacing bytes in a name could make two names one.
			return nil, errors.New("audit: a field name is not valid UTF-8")
		}
		keys = append(keys, k)
	}
	sortUTF16(keys)

	b := make([]byte, 0, 128+64*len(keys))
	b = append(b, '{')
	if e.Actor != "" {
		b = appendString(append(b, `"actor":`...), e.Actor)
		b = append(b, ',')
	}
	if len(keys) > 0 {
		b = append(b, `"fields":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = appendString(append(b, ':'), e.Fields[k])
		}
		b = append(b, "},"...)
	}
	b = appendString(append(b, `"kind":`...), e.Kind)
	if e.Subject != "" {
		b = appendString(append(b, `,"subject":`...), e.Subject)
	}
	b = appendString(append(b, `,"time":`...), t.Format(time.RFC3339Nano))
	return append(b, '}'), nil
}

// encodeFormat1 is how entries were encoded before format 2, kept to
// check exports made then, which carry the entry but not its bytes.
func (e Entry) encodeFormat1() ([]byte, error) {
	e.Time = e.Time.UTC()
	return json.Marshal(e)
}

// appendString appends s as an RFC 8785 string: the two-character
// escapes \" \\ \b \f \n \r \t, \u00xx (lowercase hex) for the other
// controls below U+0020, every other character as its UTF-8 bytes.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				b = append(b, c)
			}
		}
		i++
	}
	return append(b, '"')
}

// compareUTF16 orders strings by their UTF-16 code units, as RFC 8785
// sorts member names (it differs from byte order only above U+FFFF).
func compareUTF16(a, b string) int {
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func sortUTF16(keys []string) { slices.SortFunc(keys, compareUTF16) }
