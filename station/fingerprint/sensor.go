package fingerprint

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/anjungan/anjungan/station"
)

// A sample file is what the simulated sensor reads: a header line, then
// the sample in lower-case hex, each line ending in "\n":
//
//	anjungan fingerprint sample v1
//	4f7aa4961e7b19eb9bfe585683508387179ab4988a56cd5b87ce0439131dcb0d
//
// `anjunganctl finger place` writes one (the Template of a NIK, or a
// finger that matches nobody) where a person or a test controls it.
const sampleHeader = "anjungan fingerprint sample v1\n"

// Limits of a sample file.
const (
	MaxSample     = 1024 // bytes of a decoded sample
	maxSampleFile = len(sampleHeader) + 2*MaxSample + 1
	sampleExt     = ".sample"
)

// EncodeSample returns the sample file holding sample.
func EncodeSample(sample []byte) []byte {
	return []byte(sampleHeader + hex.EncodeToString(sample) + "\n")
}

// ParseSample reads a sample file strictly: the header, 1 to MaxSample
// bytes of lower-case hex, a final newline, nothing else.
func ParseSample(b []byte) ([]byte, error) {
	if len(b) > maxSampleFile {
		return nil, fmt.Errorf("sample file of %d bytes", len(b))
	}
	rest, ok := bytes.CutPrefix(b, []byte(sampleHeader))
	if !ok {
		return nil, errors.New("not a sample file: wrong header")
	}
	line, ok := bytes.CutSuffix(rest, []byte("\n"))
	if !ok || len(line) == 0 || len(line)%2 != 0 || len(line) > 2*MaxSample {
		return nil, errors.New("sample line missing, odd or too long")
	}
	for _, c := range line {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return nil, errors.New("sample is not lower-case hex")
		}
	}
	out := make([]byte, len(line)/2)
	if _, err := hex.Decode(out, line); err != nil {
		return nil, err
	}
	return out, nil
}

// PlaceSample puts a finger on the simulated sensor watching dir: it
// writes the sample file whole (temporary file, fsync, rename), named so
// that samples are taken in the order placed.
func PlaceSample(dir string, sample []byte, now time.Time) (string, error) {
	if len(sample) == 0 || len(sample) > MaxSample {
		return "", fmt.Errorf("fingerprint: sample of %d bytes", len(sample))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, fmt.Sprintf("%020d-*.tmp", now.UnixNano()))
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(EncodeSample(sample))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	name := strings.TrimSuffix(tmp, ".tmp") + sampleExt
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return name, nil
}

// DirSensorConfig configures a DirSensor.
type DirSensorConfig struct {
	Dir    string           // where sample files are placed, e.g. var/fingerprint
	Poll   time.Duration    // how often Dir is looked at; default 100 ms
	MaxAge time.Duration    // older samples are thrown away unread; default 1 min
	Now    func() time.Time // default time.Now
}

// DirSensor is a simulated sensor: a finger is a sample file placed in a
// folder (PlaceSample, `anjunganctl finger place`). Capture takes the
// oldest and removes it, as a real sensor sees a finger once. A sample
// left lying longer than MaxAge is a finger nobody asked for: thrown away.
type DirSensor struct {
	cfg DirSensorConfig
}

var _ station.Sensor = (*DirSensor)(nil)

// NewDirSensor makes the folder if needed and returns the sensor.
func NewDirSensor(cfg DirSensorConfig) (*DirSensor, error) {
	if cfg.Dir == "" {
		return nil, errors.New("fingerprint: no sample folder")
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("fingerprint: %w", err)
	}
	return &DirSensor{cfg: cfg}, nil
}

// Capture waits for a sample file and returns its sample; ctx.Err() when
// ctx ends first. A file it cannot parse is used up and answers
// station.ErrFingerprintUnreadable, like a smudged finger.
func (s *DirSensor) Capture(ctx context.Context) ([]byte, error) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		b, ok, err := s.take()
		if err != nil {
			return nil, err
		}
		if ok {
			sample, err := ParseSample(b)
			if err != nil {
				return nil, station.ErrFingerprintUnreadable.With(err)
			}
			return sample, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// take reads and removes the oldest fresh sample file, dropping stale
// ones. Whoever removes a file owns it: two sensors on one folder never
// both see the same finger.
func (s *DirSensor) take() ([]byte, bool, error) {
	entries, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return nil, false, station.ErrFingerprintUnreadable.With(err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), sampleExt) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	now := s.cfg.Now()
	for _, n := range names {
		path := filepath.Join(s.cfg.Dir, n)
		b, mod, err := readCapped(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // taken by another reader
		}
		if err != nil {
			return nil, false, station.ErrFingerprintUnreadable.With(err)
		}
		if err := os.Remove(path); err != nil {
			continue // another reader took it first
		}
		if now.Sub(mod) > s.cfg.MaxAge {
			continue
		}
		return b, true, nil
	}
	return nil, false, nil
}

// readCapped reads at most one byte more than a sample file may hold, so
// that ParseSample refuses a larger one without it all in memory.
func readCapped(path string) ([]byte, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(maxSampleFile)+1))
	return b, info.ModTime(), err
}
