package base45

import (
	"bytes"
	"testing"
)

// Examples from RFC 9285 section 4.
func TestBase45(t *testing.T) {
	tests := []struct {
		raw, enc string
	}{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
		{"\x00", "00"},
		{"\xff\xff", "FGW"},
	}
	for _, tt := range tests {
		if got := Encode([]byte(tt.raw)); got != tt.enc {
			t.Errorf("encode(%q) = %q, want %q", tt.raw, got, tt.enc)
		}
		got, err := Decode(tt.enc)
		if err != nil || string(got) != tt.raw {
			t.Errorf("decode(%q) = %q, %v; want %q", tt.enc, got, err, tt.raw)
		}
	}
}

func TestBase45Invalid(t *testing.T) {
	for _, s := range []string{
		"GGW",  // 65536: out of range
		"ZZZ",  // far out of range
		"0",    // dangling character
		"0000", // dangling character after a group
		"aB8",  // lower case is not in the alphabet
		"BB#",  // not in the alphabet
		"U6",   // 6*45+30 = 300 does not fit a final byte
	} {
		if got, err := Decode(s); err == nil {
			t.Errorf("decode(%q) = %x, want an error", s, got)
		}
	}
}

func FuzzBase45(f *testing.F) {
	f.Add("BB8")
	f.Add("%69 VD92EX0")
	f.Fuzz(func(t *testing.T, s string) {
		raw, err := Decode(s)
		if err != nil {
			return
		}
		// Every accepted text has exactly one decoding.
		if enc := Encode(raw); enc != s {
			t.Fatalf("decode(%q) re-encodes as %q", s, enc)
		}
		back, err := Decode(Encode(raw))
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("round trip of %x failed: %x, %v", raw, back, err)
		}
	})
}
