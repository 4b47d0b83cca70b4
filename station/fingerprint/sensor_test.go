package fingerprint_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/fingerprint"
)

func TestParseSample(t *testing.T) {
	good := fingerprint.EncodeSample([]byte{0x4f, 0x7a})
	for _, tt := range []struct {
		name string
		file string
		want []byte // nil: refused
	}{
		{"good", string(good), []byte{0x4f, 0x7a}},
		{"wrong header", strings.Replace(string(good), "v1", "v2", 1), nil},
		{"no final newline", strings.TrimSuffix(string(good), "\n"), nil},
		{"upper-case hex", strings.Replace(string(good), "4f7a", "4F7A", 1), nil},
		{"odd hex", strings.Replace(string(good), "4f7a", "4f7", 1), nil},
		{"empty sample", "anjungan fingerprint sample v1\n\n", nil},
		{"two lines", string(good) + "00\n", nil},
		{"CRLF", strings.ReplaceAll(string(good), "\n", "\r\n"), nil},
		{"too long", "anjungan fingerprint sample v1\n" + strings.Repeat("00", fingerprint.MaxSample+1) + "\n", nil},
		{"longest", "anjungan fingerprint sample v1\n" + strings.Repeat("ab", fingerprint.MaxSample) + "\n", bytes.Repeat([]byte{0xab}, fingerprint.MaxSample)},
	} {
		got, err := fingerprint.ParseSample([]byte(tt.file))
		if tt.want == nil && err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
		if tt.want != nil && (err != nil || !bytes.Equal(got, tt.want)) {
			t.Errorf("%s: %x, %v", tt.name, got, err)
		}
	}
}

func FuzzParseSample(f *testing.F) {
	f.Add(fingerprint.EncodeSample([]byte("x")))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := fingerprint.ParseSample(b)
		if err != nil {
			return
		}
		if len(s) == 0 || len(s) > fingerprint.MaxSample {
			t.Fatalf("accepted a sample of %d bytes", len(s))
		}
		if !bytes.Equal(fingerprint.EncodeSample(s), b) {
			t.Fatalf("accepted a file that is not the encoding of its sample: %q", b)
		}
	})
}

// sensorAt is a DirSensor on a fresh folder with its clock at now.
func sensorAt(tb testing.TB, now *time.Time) (*fingerprint.DirSensor, string) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "fingerprint")
	s, err := fingerprint.NewDirSensor(fingerprint.DirSensorConfig{Dir: dir, Poll: time.Millisecond, MaxAge: time.Minute,
		Now: func() time.Time { return *now }})
	if err != nil {
		tb.Fatal(err)
	}
	return s, dir
}

func TestDirSensor(t *testing.T) {
	now := time.Now()
	s, dir := sensorAt(t, &now)
	// The deadline only stops a hung test.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Samples come out in the order placed, each once.
	for _, sample := range []string{"first", "second"} {
		if _, err := fingerprint.PlaceSample(dir, []byte(sample), now); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Nanosecond)
	}
	for _, want := range []string{"first", "second"} {
		got, err := s.Capture(ctx)
		if err != nil || string(got) != want {
			t.Fatalf("Capture = %q, %v; want %q", got, err, want)
		}
	}

	// No finger: the wait ends with ctx.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, err := s.Capture(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Capture with no finger = %v", err)
	}

	// A stale sample is thrown away unread; a fresh one behind it is taken.
	if _, err := fingerprint.PlaceSample(dir, []byte("fresh"), now); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "00000000000000000001-old.sample")
	if err := os.WriteFile(stale, fingerprint.EncodeSample([]byte("stale")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(stale, now.Add(-time.Hour), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Capture(ctx); err != nil || string(got) != "fresh" {
		t.Fatalf("Capture = %q, %v; want the fresh sample", got, err)
	}

	// A file it cannot read is used up as an unreadable finger.
	if err := os.WriteFile(filepath.Join(dir, "x.sample"), bytes.Repeat([]byte("A"), 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Capture(ctx); !errors.Is(err, station.ErrFingerprintUnreadable) {
		t.Fatalf("Capture of junk = %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("files left behind: %v", left)
	}
}

// TestPlaceSampleRefuses: an empty or oversized sample is not written.
func TestPlaceSampleRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, fingerprint.MaxSample + 1} {
		if _, err := fingerprint.PlaceSample(dir, make([]byte, n), time.Now()); err == nil {
			t.Errorf("PlaceSample of %d bytes accepted", n)
		}
	}
}
