package docqr

import (
	"errors"
	"strings"
)

// TODO(lead): station/ticket has this codec unexported; once it exports
// EncodeBase45/DecodeBase45, this file goes and the calls use those.

const b45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// encodeBase45 is RFC 9285: two bytes → three characters, a last single
// byte → two.
func encodeBase45(src []byte) string {
	var b strings.Builder
	for len(src) >= 2 {
		n := int(src[0])<<8 | int(src[1])
		b.WriteByte(b45[n%45])
		b.WriteByte(b45[n/45%45])
		b.WriteByte(b45[n/2025])
		src = src[2:]
	}
	if len(src) == 1 {
		b.WriteByte(b45[int(src[0])%45])
		b.WriteByte(b45[int(src[0])/45])
	}
	return b.String()
}

// decodeBase45 is RFC 9285, strict: no character outside the alphabet,
// no group worth more than its bytes hold.
func decodeBase45(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, errors.New("base45: length")
	}
	out := make([]byte, 0, len(s)*2/3+1)
	for len(s) > 0 {
		k := min(3, len(s))
		n, mul := 0, 1
		for i := 0; i < k; i++ {
			v := strings.IndexByte(b45, s[i])
			if v < 0 {
				return nil, errors.New("base45: invalid character")
			}
			n += v * mul
			mul *= 45
		}
		if k == 3 {
			if n > 0xffff {
				return nil, errors.New("base45: group out of range")
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xff {
				return nil, errors.New("base45: group out of range")
			}
			out = append(out, byte(n))
		}
		s = s[k:]
	}
	return out, nil
}
