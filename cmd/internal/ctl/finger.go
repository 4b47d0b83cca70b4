package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/fingerprint"
)

// wrongFinger is the sample of `finger place --wrong`: it is no NIK's
// Template, so it never matches.
var wrongFinger = []byte("anjunganctl: a finger nobody enrolled")

// parseFingerPlace is `finger place`: a finger on the simulated sensor of
// a station started with -fingerprint sim. With --nik it is the card
// holder's finger (the simulated matcher's template of that NIK); with
// --wrong it matches nobody. The station takes it once, within a minute.
func parseFingerPlace(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	nikFlag := fs.String("nik", "", "NIK whose enrolled finger is placed (16 digits)")
	wrong := fs.Bool("wrong", false, "place a finger that matches nobody")
	dir := fs.String("dir", "var/fingerprint", "folder the station's simulated sensor watches")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if (*nikFlag == "") == !*wrong {
		return nil, errors.New("give either --nik or --wrong")
	}
	sample, what := wrongFinger, "a finger that matches nobody"
	if !*wrong {
		nik, err := station.ParseNIK(*nikFlag)
		if err != nil {
			return nil, fmt.Errorf("--nik: %w", err)
		}
		sample, what = fingerprint.Template(nik), "the finger of "+nik.Masked()
	}
	return func(context.Context) error {
		name, err := fingerprint.PlaceSample(*dir, sample, m.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s is on the sensor (%s); the station takes it once\n", what, name)
		return nil
	}, nil
}
