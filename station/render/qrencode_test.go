package render

import (
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// TestEncodeQRMatchesGoQRCode checks the encoder module for module
// against go-qrcode, an independent implementation, in every version:
// for text that both encode as one alphanumeric segment at level M, one
// of our eight masked symbols must equal go-qrcode's (the two may score
// masks differently, which changes which is chosen but not the code).
func TestEncodeQRMatchesGoQRCode(t *testing.T) {
	// Letters and symbols only: digits would let go-qrcode switch to
	// numeric segments.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	for version := 1; version <= 40; version++ {
		// The longest alphanumeric text this version holds at level M.
		var text string
		for n := 1; ; n++ {
			s := strings.Repeat(alphabet, n/len(alphabet)+1)[:n]
			if _, ok := qrSegment(s, true, version, newQRGrid(version).dataCodewords()); !ok {
				break
			}
			text = s
		}
		theirs, err := qrcode.New(text, qrcode.Medium)
		if err != nil {
			t.Fatalf("version %d: go-qrcode: %v", version, err)
		}
		if theirs.VersionNumber != version {
			t.Fatalf("version %d: %d characters fill it here, go-qrcode chose version %d", version, len(text), theirs.VersionNumber)
		}
		theirs.DisableBorder = true
		bm := theirs.Bitmap()

		g := newQRGrid(version)
		data, _ := qrSegment(text, true, version, g.dataCodewords())
		g.place(g.withECC(data))
		try := make([]byte, len(g.modules))
		matched := -1
		for mask := 0; mask < 8 && matched < 0; mask++ {
			g.apply(mask, try)
			if sameModules(try, g.size, bm) {
				matched = mask
			}
		}
		if matched < 0 {
			t.Errorf("version %d: no mask gives go-qrcode's symbol", version)
		}
	}
}

func sameModules(m []byte, size int, bm [][]bool) bool {
	if len(bm) != size {
		return false
	}
	for y, row := range bm {
		for x, dark := range row {
			if (m[y*size+x] == 1) != dark {
				return false
			}
		}
	}
	return true
}

func TestEncodeQRModes(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		size       int
	}{
		{"alphanumeric", "DQ1:ABC", 21},
		{"byte", "dq1:abc", 21},
		{"empty", "", 21},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := encodeQR(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if s.size != tc.size {
				t.Errorf("size %d, want %d", s.size, tc.size)
			}
		})
	}
	if _, err := encodeQR(strings.Repeat("A", 4000)); err == nil {
		t.Error("4000 characters encoded; version 40-M holds 3391")
	}
}

func BenchmarkEncodeQR(b *testing.B) {
	text := "DQ1:" + strings.Repeat("6BFOXN*TS0BI$ZDFRH", 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeQR(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeQRGoQRCode is the general encoder on the same text, for
// comparison in the same run.
func BenchmarkEncodeQRGoQRCode(b *testing.B) {
	text := "DQ1:" + strings.Repeat("6BFOXN*TS0BI$ZDFRH", 20)
	b.ReportAllocs()
	for b.Loop() {
		q, err := qrcode.New(text, qrcode.Medium)
		if err != nil {
			b.Fatal(err)
		}
		q.Bitmap()
	}
}
