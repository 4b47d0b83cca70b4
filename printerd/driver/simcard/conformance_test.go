package simcard_test

import (
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/simcard"
	"github.com/anjungan/anjungan/printerd/drivertest"
)

func TestConformance(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) printerd.Device {
		return MustOpen(t, t.TempDir(), nil)
	})
}

func MustOpen(tb testing.TB, dir string, opts map[string]string) *simcard.Device {
	tb.Helper()
	dev, err := simcard.Open(printerd.DeviceConfig{Name: "card", URI: dir, Options: opts, TempDir: drivertest.TempDir(tb)})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = dev.Close() })
	return dev
}
