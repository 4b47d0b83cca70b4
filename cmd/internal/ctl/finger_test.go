package ctl

import (
	"bytes"
	"context"
	"flag"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/fingerprint"
)

// TestFingerPlace places fingers with the command and takes them with the
// station's simulated sensor and matcher.
func TestFingerPlace(t *testing.T) {
	nik := station.MustParseNIK("3171012503900001")
	for _, tt := range []struct {
		name     string
		args     []string
		parseErr bool
		match    bool
	}{
		{"holder's finger", []string{"--nik", nik.Reveal()}, false, true},
		{"wrong finger", []string{"--wrong"}, false, false},
		{"neither", nil, true, false},
		{"both", []string{"--nik", nik.Reveal(), "--wrong"}, true, false},
		{"bad NIK", []string{"--nik", "123"}, true, false},
		{"extra argument", []string{"--wrong", "now"}, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "fingerprint")
			var out bytes.Buffer
			m := &Main{Stdout: &out, Stderr: io.Discard, Now: time.Now}
			fs := flag.NewFlagSet("finger place", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			run, err := parseFingerPlace(m, fs, append(tt.args, "--dir", dir))
			if tt.parseErr {
				if err == nil {
					t.Fatal("parse accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(out.Bytes(), []byte(nik.Reveal())) {
				t.Errorf("output shows the NIK: %s", out.String())
			}
			sensor, err := fingerprint.NewDirSensor(fingerprint.DirSensorConfig{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			// The deadline only stops a hung test.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			sample, err := sensor.Capture(ctx)
			if err != nil {
				t.Fatal(err)
			}
			matcher, err := fingerprint.NewSimulated(fingerprint.SimulatedConfig{})
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := matcher.Match(ctx, nik, sample); ok != tt.match {
				t.Errorf("match = %v, want %v", ok, tt.match)
			}
		})
	}
}
