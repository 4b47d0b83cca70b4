// Package driver is the registry of printer drivers. A driver registers
// itself from its package's init function, like database/sql drivers;
// printerd imports the driver packages it ships for their side effect.
package driver

import (
	"sort"
	"sync"

	"github.com/anjungan/anjungan/printerd"
)

// The registry is the one piece of global state in Anjungan: init
// functions have nowhere else to put what they register.
var (
	mu      sync.RWMutex
	drivers = map[string]printerd.Driver{}
)

// Register makes a driver available under name. It panics when name is
// empty, d is nil or name is already registered: each is a programming
// error found at start-up.
func Register(name string, d printerd.Driver) {
	mu.Lock()
	defer mu.Unlock()
	if name == "" {
		panic("driver: Register with an empty name")
	}
	if d == nil {
		panic("driver: Register driver " + name + " is nil")
	}
	if _, dup := drivers[name]; dup {
		panic("driver: Register called twice for driver " + name)
	}
	drivers[name] = d
}

// Lookup returns the driver registered under name.
func Lookup(name string) (printerd.Driver, bool) {
	mu.RLock()
	defer mu.RUnlock()
	d, ok := drivers[name]
	return d, ok
}

// Names returns the registered driver names, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(drivers))
	for n := range drivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
