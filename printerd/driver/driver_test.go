package driver_test

import (
	"context"
	"crypto/rand"
	"slices"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver"
)

type fakeDriver struct{}

// unique returns a name no other run of the tests used: the registry is
// process-wide and outlives a test (go test -count=N).
func unique(name string) string { return "test-" + name + "-" + rand.Text()[:8] }

func (fakeDriver) Open(context.Context, printerd.DeviceConfig) (printerd.Device, error) {
	return nil, nil
}

func TestRegister(t *testing.T) {
	a, b := unique("a"), unique("b")
	driver.Register(b, fakeDriver{})
	driver.Register(a, fakeDriver{})
	if _, ok := driver.Lookup(a); !ok {
		t.Errorf("Lookup(%s) found nothing", a)
	}
	if _, ok := driver.Lookup(unique("missing")); ok {
		t.Error("Lookup of an unregistered name found a driver")
	}
	names := driver.Names()
	if !slices.IsSorted(names) || !slices.Contains(names, a) || !slices.Contains(names, b) {
		t.Errorf("Names = %v, want sorted with %s and %s", names, a, b)
	}
}

func TestRegisterPanics(t *testing.T) {
	dup := unique("dup")
	driver.Register(dup, fakeDriver{})
	tests := []struct {
		name   string
		driver string
		d      printerd.Driver
	}{
		{"empty name", "", fakeDriver{}},
		{"nil driver", unique("nil"), nil},
		{"duplicate", dup, fakeDriver{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Register did not panic")
				}
			}()
			driver.Register(tt.driver, tt.d)
		})
	}
}
