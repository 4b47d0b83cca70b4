package ppm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// limit is the pixel budget of the tests: over-limit.ppm asks for more.
const limit = 3 * 100 * 99

func TestDecode(t *testing.T) {
	two := "P6\n2 1\n255\n\x01\x02\x03\x04\x05\x06P6 1 1 255\t\x07\x08\x09"
	images, err := Decode(strings.NewReader(two), limit)
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 2 || images[0].Width != 2 || images[0].Height != 1 || images[1].Width != 1 ||
		!bytes.Equal(images[0].Pix, []byte{1, 2, 3, 4, 5, 6}) || !bytes.Equal(images[1].Pix, []byte{7, 8, 9}) {
		t.Fatalf("got %+v", images)
	}
	if images, err := Decode(strings.NewReader(""), limit); err != nil || len(images) != 0 {
		t.Fatalf("empty stream: %v %v", images, err)
	}
}

// TestDecodeRefuses reads each corrupt stream in testdata, named by what
// is wrong with it: each is ErrFormat, none panics.
func TestDecodeRefuses(t *testing.T) {
	names, err := filepath.Glob("testdata/*.ppm")
	if err != nil || len(names) < 8 {
		t.Fatalf("fixtures: %v %v", names, err)
	}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			images, err := Decode(bytes.NewReader(b), limit)
			if !errors.Is(err, ErrFormat) || images != nil {
				t.Fatalf("got %d images, %v; want ErrFormat", len(images), err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("P6\n2 1\n255\n\x01\x02\x03\x04\x05\x06"))
	f.Fuzz(func(t *testing.T, b []byte) {
		images, err := Decode(bytes.NewReader(b), limit)
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("untyped error %v", err)
		}
		total := 0
		for _, im := range images {
			if len(im.Pix) != 3*im.Width*im.Height {
				t.Fatalf("image %dx%d with %d bytes", im.Width, im.Height, len(im.Pix))
			}
			total += len(im.Pix)
		}
		if total > limit {
			t.Fatalf("%d bytes of pixels, limit %d", total, limit)
		}
	})
}
