package ctl

import (
	"context"
	"flag"
	"fmt"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// parsePrinterFault is `anjunganctl printer fault -kind media-jam -at
// during-print [-count 2] card-1`: arm a fault on a simulated printer
// through printerd.
func parsePrinterFault(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	alias := fs.String("printer", "", "the printer: the older form of the PRINTER argument")
	kind := fs.String("kind", "", "fault kind: feeder-empty, media-jam, ribbon-empty, cover-open, reject-full, offline, timeout, encode-failure")
	at := fs.String("at", printerd.FaultBeforePrint, "when it fires: before-print, during-print, after-print")
	count := fs.Int("count", 1, "how many prints it fails")
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	name, err := object(fs, "PRINTER", *alias, "")
	if err != nil {
		return nil, err
	}
	f := printerd.Fault{Kind: *kind, At: *at, Count: *count}
	if _, err := f.Effect(); err != nil {
		return nil, err
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		if err := c.InjectFault(ctx, name, f); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s: %s armed for %d print(s)\n", name, f, f.Count)
		return nil
	}), nil
}

// parsePrinterClear is `anjunganctl printer clear card-1`: disarm a
// printer's faults and clear the conditions they left.
func parsePrinterClear(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	alias := fs.String("printer", "", "the printer: the older form of the PRINTER argument")
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	name, err := object(fs, "PRINTER", *alias, "")
	if err != nil {
		return nil, err
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		if err := c.ClearFaults(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s: faults cleared\n", name)
		return nil
	}), nil
}
