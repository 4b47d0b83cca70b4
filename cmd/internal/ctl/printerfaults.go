package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// parsePrinterFault is `anjunganctl printer fault -printer card-1 -kind
// media-jam -at during-print [-count 2]`: arm a fault on a simulated
// printer through printerd.
func parsePrinterFault(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	name := fs.String("printer", "", "printer name (required)")
	kind := fs.String("kind", "", "fault kind: feeder-empty, media-jam, ribbon-empty, cover-open, reject-full, offline, timeout, encode-failure")
	at := fs.String("at", printerd.FaultBeforePrint, "when it fires: before-print, during-print, after-print")
	count := fs.Int("count", 1, "how many prints it fails")
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	f := printerd.Fault{Kind: *kind, At: *at, Count: *count}
	if *name == "" {
		return nil, errors.New("-printer is required")
	}
	if _, err := f.Effect(); err != nil {
		return nil, err
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		if err := c.InjectFault(ctx, *name, f); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s: %s armed for %d print(s)\n", *name, f, f.Count)
		return nil
	}), nil
}

// parsePrinterClear is `anjunganctl printer clear -printer card-1`: disarm
// a printer's faults and clear the conditions they left.
func parsePrinterClear(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	name := fs.String("printer", "", "printer name (required)")
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *name == "" {
		return nil, errors.New("-printer is required")
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		if err := c.ClearFaults(ctx, *name); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s: faults cleared\n", *name)
		return nil
	}), nil
}
