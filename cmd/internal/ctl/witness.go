package ctl

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/fleet/postgres"
	"github.com/anjungan/anjungan/internal/audit"
)

// The fleet hub's witness key (docs/fleet.md, "Witness"): the hub cosigns
// kiosks' audit checkpoints with it; kiosks and auditors check the
// cosignatures with its .vkey.

func parseFleetWitnessKey(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	dir := fs.String("dir", "var/fleet", "folder for witness.key (the hub's, mode 0600) and witness.vkey (give it to kiosks and auditors)")
	name := fs.String("name", "anjungan-fleethub/witness", "the witness's key name, as it appears in its cosignatures (no spaces or +)")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	return func(context.Context) error {
		skey, vkey, err := audit.GenerateWitnessKey(*name, rand.Reader)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(*dir, 0o700); err != nil {
			return err
		}
		kp := filepath.Join(*dir, "witness.key")
		f, err := os.OpenFile(kp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists: the hub already has a witness key (kiosks hold cosignatures by it)", kp)
		}
		if err != nil {
			return err
		}
		if _, err := f.WriteString(skey + "\n"); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		vp := filepath.Join(*dir, "witness.vkey")
		if err := os.WriteFile(vp, []byte(vkey+"\n"), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "wrote %s (start fleethub with -witness-key %s) and %s\n", kp, kp, vp)
		return nil
	}, nil
}

// auditKeys reads the kiosk's audit vkey files (log → path; empty paths
// are skipped: that log is not witnessed until registered).
func auditKeys(paths map[string]string) (map[string]string, error) {
	keys := map[string]string{}
	for log, p := range paths {
		if p == "" {
			continue
		}
		k, err := readKey(p)
		if err != nil {
			return nil, err
		}
		if _, err := note.NewVerifier(k); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		keys[log] = k
	}
	return keys, nil
}

// verifyCosigned checks the log's stored cosignatures by the witness of
// the vkey file wpath (audit verify -cosigned-by); problems go into rep.
func verifyCosigned(ctx context.Context, m *Main, dbPath, vkey, wpath string, rep *audit.Report) error {
	wvkey, err := readKey(wpath)
	if err != nil {
		return err
	}
	db, err := openReadOnly(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	cr, err := audit.VerifyCosignatures(ctx, db, vkey, wvkey)
	if err != nil {
		return err
	}
	name, _ := audit.WitnessName(wvkey)
	fmt.Fprintf(m.Stdout, "cosignatures by %s: %d, largest cosigned size %d\n", name, cr.Count, cr.MaxSize)
	if len(cr.Problems) > 0 {
		rep.Problems = append(rep.Problems, cr.Problems...)
		return *rep
	}
	return nil
}

// parseFleetAuditKeys registers the audit keys of a kiosk enrolled
// without them (or replaces them after the kiosk's keys changed).
func parseFleetAuditKeys(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	db := fs.String("hub-db", "", "the hub's database (postgres://…)")
	stationVKey := fs.String("station-audit-vkey", "", "the kiosk's station audit log verifier key file (audit-station.vkey): the hub's witness accepts its checkpoints")
	printerdVKey := fs.String("printerd-audit-vkey", "", "the kiosk's printerd audit log verifier key file (audit-printerd.vkey)")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	id, err := object(fs, "KIOSK", "", "")
	if err != nil {
		return nil, err
	}
	if *db == "" || (*stationVKey == "" && *printerdVKey == "") {
		return nil, errors.New("-hub-db and at least one of -station-audit-vkey, -printerd-audit-vkey are required")
	}
	return func(ctx context.Context) error {
		keys, err := auditKeys(map[string]string{fleet.AuditLogStation: *stationVKey, fleet.AuditLogPrinterd: *printerdVKey})
		if err != nil {
			return err
		}
		s, err := postgres.Open(ctx, *db, m.Now)
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.SetAuditKeys(ctx, id, keys); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "registered the audit keys of kiosk %s (%d log(s)): the witness accepts their checkpoints\n", id, len(keys))
		return nil
	}, nil
}
