package ctl

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/anjungan/anjungan/certs"
	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/fleet/postgres"
)

// The fleet's enrolment (docs/fleet.md): the operator makes the fleet CA
// once (ca-init); a kiosk makes its key and a request (enrol); the
// operator signs the request, which also registers the kiosk in the
// hub's database (sign); revoke refuses a kiosk from then on.

func parseFleetCAInit(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	dir := fs.String("dir", "var/fleet", "folder for the fleet CA (fleet-ca.crt/.key) and the hub's certificate (fleethub.crt/.key)")
	var hosts []string
	fs.Func("host", "a DNS name or IP address of the hub for its certificate (repeatable; localhost is always in it)", func(s string) error {
		hosts = append(hosts, s)
		return nil
	})
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	return func(context.Context) error {
		if err := certs.InitFleetCA(*dir, hosts, rand.Reader, m.Now()); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "wrote %s: fleet-ca.crt, fleet-ca.key (keep it offline), fleethub.crt, fleethub.key\n", *dir)
		return nil
	}, nil
}

func parseFleetEnrol(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	id := fs.String("kiosk", "", "the kiosk's ID (lower case letters, digits and -, e.g. bdg-mpp-01): its certificate's common name")
	dir := fs.String("key-dir", "var/keys/fleet", "folder for the kiosk's key (ID.key, never leaves the kiosk) and request (ID.csr)")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	if !fleet.KioskIDPattern.MatchString(*id) {
		return nil, fmt.Errorf("-kiosk %q: want lower case letters, digits and -, up to 63", *id)
	}
	return func(context.Context) error {
		if _, err := certs.KioskRequest(*dir, *id, rand.Reader); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "wrote %s and %s: send the .csr to the fleet operator (anjunganctl fleet sign)\n",
			filepath.Join(*dir, *id+".key"), filepath.Join(*dir, *id+".csr"))
		return nil
	}, nil
}

func parseFleetSign(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	csr := fs.String("csr", "", "the kiosk's request (PEM), from anjunganctl fleet enrol")
	dir := fs.String("dir", "var/fleet", "folder of the fleet CA")
	out := fs.String("out", "", "where to write the certificate (default: next to the request, ID.crt)")
	db := fs.String("hub-db", "", "the hub's database (postgres://…): the kiosk is registered in it")
	name := fs.String("name", "", "the kiosk's name as supervisors see it (e.g. \"MPP Kota Bandung 1\")")
	regency := fs.String("regency", "", "the regency's code (4 digits, e.g. 3273)")
	province := fs.String("province", "", "the province's code (2 digits, e.g. 32)")
	stationVKey := fs.String("station-audit-vkey", "", "the kiosk's station audit log verifier key file (audit-station.vkey): the hub's witness accepts its checkpoints")
	printerdVKey := fs.String("printerd-audit-vkey", "", "the kiosk's printerd audit log verifier key file (audit-printerd.vkey)")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	switch {
	case *csr == "" || *db == "":
		return nil, errors.New("-csr and -hub-db are required")
	case !regionCode(*province, 2) || !regionCode(*regency, 4) || (*regency)[:2] != *province:
		return nil, fmt.Errorf("-province %q and -regency %q: want 2 and 4 digits, the regency within the province", *province, *regency)
	}
	return func(ctx context.Context) error {
		b, err := os.ReadFile(*csr)
		if err != nil {
			return err
		}
		crt, id, err := certs.SignKiosk(*dir, b, rand.Reader, m.Now())
		if err != nil {
			return fmt.Errorf("%s: %w", *csr, err)
		}
		if !fleet.KioskIDPattern.MatchString(id) {
			return fmt.Errorf("%s: the kiosk ID %q is not valid", *csr, id)
		}
		s, err := postgres.Open(ctx, *db, m.Now)
		if err != nil {
			return err
		}
		defer s.Close()
		kname := *name
		if kname == "" {
			kname = id
		}
		keys, err := auditKeys(map[string]string{fleet.AuditLogStation: *stationVKey, fleet.AuditLogPrinterd: *printerdVKey})
		if err != nil {
			return err
		}
		if err := s.Enrol(ctx, fleet.Kiosk{ID: id, Name: kname, Regency: *regency, Province: *province, EnrolledAt: m.Now(), AuditKeys: keys}); err != nil {
			return err
		}
		dst := *out
		if dst == "" {
			dst = filepath.Join(filepath.Dir(*csr), id+".crt")
		}
		if err := os.WriteFile(dst, crt, 0o644); err != nil {
			return fmt.Errorf("kiosk %s is registered but its certificate was not written: %w", id, err)
		}
		fmt.Fprintf(m.Stdout, "registered kiosk %s (%s, regency %s) and wrote %s: install it on the kiosk with %s.key\n", id, kname, *regency, dst, id)
		return nil
	}, nil
}

func regionCode(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func parseFleetRevoke(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	db := fs.String("hub-db", "", "the hub's database (postgres://…)")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	id, err := object(fs, "KIOSK", "", "")
	if err != nil {
		return nil, err
	}
	if *db == "" {
		return nil, errors.New("-hub-db is required")
	}
	return func(ctx context.Context) error {
		s, err := postgres.Open(ctx, *db, m.Now)
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.Revoke(ctx, id, m.Now()); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "revoked kiosk %s at %s: the hub refuses its events from now on\n", id, m.Now().UTC().Format(time.RFC3339))
		return nil
	}, nil
}
