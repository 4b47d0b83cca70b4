// Package base45 is the RFC 9285 codec used by the QR texts of tickets and
// printed documents: its alphabet is QR's alphanumeric set.
package base45

import (
	"errors"
	"fmt"
	"strings"
)

// base45Alphabet is the RFC 9285 alphabet. It is the QR code alphanumeric
// character set, so a base45 text fits the densest QR mode.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// base45Values maps a character to its value, or -1.
var base45Values = func() [256]int8 {
	var v [256]int8
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		v[base45Alphabet[i]] = int8(i)
	}
	return v
}()

// Encode encodes src as RFC 9285 base45: every two bytes become three
// characters, a trailing single byte becomes two.
func Encode(src []byte) string {
	var b strings.Builder
	b.Grow((len(src)/2)*3 + 2)
	for i := 0; i+1 < len(src); i += 2 {
		n := int(src[i])<<8 | int(src[i+1])
		b.WriteByte(base45Alphabet[n%45])
		b.WriteByte(base45Alphabet[(n/45)%45])
		b.WriteByte(base45Alphabet[n/2025])
	}
	if len(src)%2 == 1 {
		n := int(src[len(src)-1])
		b.WriteByte(base45Alphabet[n%45])
		b.WriteByte(base45Alphabet[n/45])
	}
	return b.String()
}

// Decode decodes RFC 9285 base45. It rejects characters outside the
// alphabet, a dangling single character, and groups whose value does not
// fit the bytes they stand for (so every input has one decoding).
func Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, errors.New("base45: dangling character")
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		group := s[i:min(i+3, len(s))]
		n := 0
		for j := len(group) - 1; j >= 0; j-- {
			v := base45Values[group[j]]
			if v < 0 {
				return nil, fmt.Errorf("base45: invalid character at %d", i+j)
			}
			n = n*45 + int(v)
		}
		if len(group) == 3 {
			if n > 0xFFFF {
				return nil, fmt.Errorf("base45: group at %d out of range", i)
			}
			out = append(out, byte(n>>8), byte(n))
			continue
		}
		if n > 0xFF {
			return nil, fmt.Errorf("base45: final group at %d out of range", i)
		}
		out = append(out, byte(n))
	}
	return out, nil
}
