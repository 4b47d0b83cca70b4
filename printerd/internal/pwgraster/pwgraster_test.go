package pwgraster

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	solid := Page{Width: 5, Height: 3, DPI: 300, MediaName: "om_card_54x86mm", Pix: bytes.Repeat([]byte{10, 20, 30}, 15)}
	mixed := Page{Width: 300, Height: 4, DPI: 600}
	for i := range 300 * 4 {
		// Runs, literals and single pixels, with lines that repeat.
		v := byte(i % 300 / 7)
		if i/300 == 2 {
			v = byte(i)
		}
		mixed.Pix = append(mixed.Pix, v, v^0x55, 3)
	}
	long := Page{Width: 1000, Height: 300, DPI: 300, Pix: bytes.Repeat([]byte{0xff}, 3*1000*300)}
	for _, tc := range []struct {
		name  string
		pages []Page
	}{
		{"solid", []Page{solid}},
		{"mixed", []Page{mixed}},
		{"long runs and repeated lines", []Page{long}},
		{"two pages", []Page{solid, mixed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, tc.pages); err != nil {
				t.Fatal(err)
			}
			got, err := Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.pages) {
				t.Fatalf("%d pages, want %d", len(got), len(tc.pages))
			}
			for i, p := range got {
				w := tc.pages[i]
				if p.Width != w.Width || p.Height != w.Height || p.DPI != w.DPI || p.MediaName != w.MediaName || !bytes.Equal(p.Pix, w.Pix) {
					t.Errorf("page %d: %dx%d %d dpi %q differs from what was encoded", i, p.Width, p.Height, p.DPI, p.MediaName)
				}
			}
		})
	}
}

func TestEncodeRefusesBadPage(t *testing.T) {
	if err := Encode(&bytes.Buffer{}, []Page{{Width: 2, Height: 2, DPI: 300, Pix: []byte{1}}}); err == nil {
		t.Error("a page whose pixels do not fill it was encoded")
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, name := range []string{"bad-sync.pwg", "truncated-header.pwg", "run-past-line.pwg", "lines-past-page.pwg"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Decode(bytes.NewReader(b)); !errors.Is(err, ErrFormat) {
				t.Errorf("Decode = %v, want ErrFormat", err)
			}
		})
	}
}

func TestRasterize(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			t.Fatalf("pdftoppm is required (poppler-utils): %v", err)
		}
		t.Skipf("pdftoppm not installed (poppler-utils): %v", err)
	}
	pdf, err := os.ReadFile("../../testdata/card.pdf")
	if err != nil {
		t.Fatal(err)
	}
	pages, err := Rasterize(context.Background(), pdf, 300, "om_card_54x86mm")
	if err != nil {
		t.Fatal(err)
	}
	// ID-1 is 85.6 × 53.98 mm: 1011 × 638 pixels at 300 dpi, either way round.
	if len(pages) != 1 || pages[0].Width+pages[0].Height < 1640 || pages[0].Width+pages[0].Height > 1660 {
		t.Errorf("card rendered as %d pages, first %dx%d", len(pages), pages[0].Width, pages[0].Height)
	}
	if _, err := Rasterize(context.Background(), []byte("not a pdf"), 300, ""); err == nil {
		t.Error("Rasterize of a non-PDF succeeded")
	}
}

func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	_ = Encode(&buf, []Page{{Width: 3, Height: 2, DPI: 300, Pix: []byte{1, 2, 3, 1, 2, 3, 9, 9, 9, 4, 5, 6, 4, 5, 6, 4, 5, 6}}})
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		pages, err := DecodeLimit(bytes.NewReader(b), 1<<20)
		if err != nil {
			return
		}
		// What decodes encodes and decodes to the same pixels.
		var out bytes.Buffer
		if err := Encode(&out, pages); err != nil {
			if len(pages) == 0 {
				return
			}
			t.Fatalf("re-encoding a decoded stream: %v", err)
		}
		again, err := Decode(&out)
		if err != nil || len(again) != len(pages) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range pages {
			if !bytes.Equal(again[i].Pix, pages[i].Pix) {
				t.Fatalf("page %d changed in a round trip", i)
			}
		}
	})
}

func FuzzDecodePPM(f *testing.F) {
	f.Add([]byte("P6\n2 1\n255\n\x01\x02\x03\x04\x05\x06"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pages, err := DecodePPM(bytes.NewReader(b), 300, "")
		for _, p := range pages {
			if err == nil && len(p.Pix) != 3*p.Width*p.Height {
				t.Fatalf("page %dx%d with %d bytes", p.Width, p.Height, len(p.Pix))
			}
		}
	})
}
