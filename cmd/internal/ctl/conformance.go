package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/anjungan/anjungan/internal/privtmp"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver"
	"github.com/anjungan/anjungan/printerd/drivertest"

	// The drivers a conformance run can name.
	_ "github.com/anjungan/anjungan/printerd/driver/exec"
	_ "github.com/anjungan/anjungan/printerd/driver/ipp"
	_ "github.com/anjungan/anjungan/printerd/driver/simcard"
	_ "github.com/anjungan/anjungan/printerd/driver/simpaper"
)

// errConformance is returned when a check failed; the table says which.
var errConformance = errors.New("conformance: checks failed")

// parsePrinterConformance runs drivertest's checks against a connected
// device: it prints documents (and, with -faults, spoils media).
func parsePrinterConformance(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	name := fs.String("driver", "", "driver name ("+strings.Join(driver.Names(), ", ")+")")
	uri := fs.String("uri", "", "the device's address for the driver, e.g. ipp://printer.local/ipp/print")
	var opts optionList
	fs.Var(&opts, "option", "driver option key=value (repeatable), e.g. -option media=om_card_54x86mm")
	faults := fs.Bool("faults", false, "also run the fault checks: only for devices that inject faults (simulators); they spoil media and stop the printer")
	tmp := fs.String("temp-dir", "var/conformance/tmp", "private folder for the driver's temporary files (made 0700 and emptied first)")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	if *name == "" || *uri == "" {
		return nil, errors.New("-driver and -uri are required")
	}
	drv, ok := driver.Lookup(*name)
	if !ok {
		return nil, fmt.Errorf("no driver %q (have %s)", *name, strings.Join(driver.Names(), ", "))
	}
	cfg := printerd.DeviceConfig{Name: "conformance", URI: *uri, Options: map[string]string(opts), TempDir: *tmp}
	return func(ctx context.Context) error {
		// As printerd does for its drivers: a private folder, never TMPDIR.
		if err := privtmp.Prepare(*tmp); err != nil {
			return err
		}
		rep := drivertest.Check(ctx, drivertest.Config{
			Open:   func(ctx context.Context) (printerd.Device, error) { return drv.Open(ctx, cfg) },
			Faults: *faults,
		})
		if err := rep.WriteTable(m.Stdout); err != nil {
			return err
		}
		if !rep.Passed() {
			return errConformance
		}
		return nil
	}, nil
}

// optionList collects repeated -option key=value flags.
type optionList map[string]string

func (o *optionList) String() string { return fmt.Sprint(map[string]string(*o)) }

func (o *optionList) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("option %q: want key=value", s)
	}
	if *o == nil {
		*o = optionList{}
	}
	(*o)[k] = v
	return nil
}
