// Package sim registers "sim", the simulated printer printerd runs by
// default: it opens a simcard device for card media and a simpaper device
// for A4, so one driver name serves both printers of `make run`. Importing
// it registers simcard and simpaper too.
//
// Configuration: DeviceConfig.URI is the output directory; option "media"
// (om_card_54x86mm or iso_a4_210x297mm) is required; the other options are
// those of the chosen simulator.
package sim

import (
	"context"
	"errors"
	"fmt"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver"
	"github.com/anjungan/anjungan/printerd/driver/simcard"
	"github.com/anjungan/anjungan/printerd/driver/simpaper"
)

// Name is the name the driver registers under.
const Name = "sim"

func init() { driver.Register(Name, Driver{}) }

var _ printerd.Driver = Driver{}

// Driver opens the simulator that fits the media.
type Driver struct{}

// Open implements printerd.Driver.
func (Driver) Open(_ context.Context, cfg printerd.DeviceConfig) (printerd.Device, error) {
	return Open(cfg)
}

// Open opens a simcard or simpaper device by the option "media".
func Open(cfg printerd.DeviceConfig) (printerd.Device, error) {
	switch m := printerd.Media(cfg.Options["media"]); m {
	case printerd.MediaCard:
		return simcard.Open(cfg)
	case printerd.MediaA4:
		if _, ok := cfg.Options["blanks"]; ok {
			return nil, errors.New("sim: option blanks applies to card media only")
		}
		return simpaper.Open(cfg)
	default:
		return nil, fmt.Errorf("sim: option media %q is not %s or %s", m, printerd.MediaCard, printerd.MediaA4)
	}
}
