package smartcard

import (
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/station/smartcard/ektp"
	"github.com/anjungan/anjungan/station/smartcard/vendorexec"
	"github.com/anjungan/anjungan/station/ticket"
)

// Options are the station's card flags, parsed. The identity source is
// the emulation profile unless VendorExec names a vendor program.
type Options struct {
	CardReader string // -card-reader: the contactless slot
	SAMReader  string // -sam-reader: the SAM slot ("" when the source needs none)
	// -card-apdu-timeout: how long one APDU (or connect) of the emulation
	// profile may take; 0 for DefaultAPDUTimeout.
	APDUTimeout time.Duration

	VendorExec    string        // -card-vendor-exec: vendor program; "" for the emulation profile
	VendorArgs    []string      // -card-vendor-arg (repeatable): its arguments, before the reader names
	VendorTimeout time.Duration // -card-vendor-timeout: one read, start to exit; 0 for the default (10 s)
	VendorGrace   time.Duration // -card-vendor-grace: from SIGTERM to SIGKILL; 0 for the default (1 s)
}

// NewConfig turns the station's card flags into a reader loop
// configuration. The emulation profile verifies identity records offline
// with keys (the registry's pinned keys, as for tickets); a vendor
// program does its own PC/SC and SAM work and keys are not used.
func NewConfig(o Options, keys ticket.KeySet, log zerolog.Logger, now func() time.Time) (Config, error) {
	cfg := Config{CardReader: o.CardReader, SAMReader: o.SAMReader, Logger: log, Now: now, APDUTimeout: o.APDUTimeout}
	if o.CardReader == "" {
		return Config{}, errors.New("smartcard: no card reader configured")
	}
	if o.APDUTimeout < 0 {
		return Config{}, errors.New("smartcard: negative APDU time limit")
	}
	if o.VendorExec == "" {
		if len(o.VendorArgs) > 0 || o.VendorTimeout != 0 || o.VendorGrace != 0 {
			return Config{}, errors.New("smartcard: vendor program options without -card-vendor-exec")
		}
		if len(keys) == 0 {
			return Config{}, errors.New("smartcard: the emulation profile needs the registry's public key")
		}
		cfg.Profile = &ektp.Emulation{Verifier: &ektp.Verifier{Keys: keys}}
		return cfg, nil
	}
	if o.APDUTimeout != 0 {
		// The program talks to the card itself; -card-vendor-timeout bounds it.
		return Config{}, errors.New("smartcard: an APDU time limit with -card-vendor-exec (use -card-vendor-timeout)")
	}
	if o.VendorTimeout < 0 || o.VendorGrace < 0 {
		return Config{}, errors.New("smartcard: negative vendor program timeout or grace")
	}
	r, err := vendorexec.New(vendorexec.Config{
		Program: o.VendorExec,
		Args:    o.VendorArgs,
		Timeout: o.VendorTimeout,
		Grace:   o.VendorGrace,
		Logger:  log.With().Str("vendor_program", o.VendorExec).Logger(),
	})
	if err != nil {
		return Config{}, fmt.Errorf("smartcard: %w", err)
	}
	cfg.Vendor = r
	return cfg, nil
}
