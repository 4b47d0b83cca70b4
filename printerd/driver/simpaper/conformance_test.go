package simpaper_test

import (
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/simpaper"
	"github.com/anjungan/anjungan/printerd/drivertest"
)

func TestConformance(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) printerd.Device {
		dev, err := simpaper.Open(printerd.DeviceConfig{Name: "paper", URI: t.TempDir()})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = dev.Close() })
		return dev
	})
}
