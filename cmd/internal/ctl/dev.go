package ctl

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/station/smartcard"
)

func parseDev(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	varDir := fs.String("var", "var", "the station's var/ folder (keys, data, output)")
	bin := fs.String("bin", "var/bin", "folder holding the built registry-sim, printerd and station (and fleethub)")
	fleetMode := fs.Bool("fleet", false, "run a fleet instead (make run-fleet): PostgreSQL under VAR/fleet/pg, the hub and three kiosks that print and suffer faults")
	every := fs.Duration("fleet-every", 5*time.Second, "with -fleet: the pause between the simulated citizens' visits")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	if *fleetMode {
		if *every <= 0 {
			return nil, errors.New("-fleet-every must be positive")
		}
		return func(ctx context.Context) error { return m.devFleet(ctx, *varDir, *bin, *every) }, nil
	}
	return func(ctx context.Context) error { return m.dev(ctx, *varDir, *bin) }, nil
}

// dev runs the three services on their embedded defaults, shows where
// they are and a few demo tickets, and stops them all when ctx ends or
// one of them exits.
func (m *Main) dev(ctx context.Context, varDir, bin string) error {
	cardLogin := false
	if err := m.keysInit(varDir); err != nil {
		return err
	}
	v := func(p ...string) string { return filepath.Join(append([]string{varDir}, p...)...) }
	specs := []service{
		{"registry-sim", "tcp", "127.0.0.1:8090", []string{"-data", v("registry-sim"), "-ticket-key", v("keys", "ticket.key"), "-binding-key", v("keys", "binding.key"),
			"-document-key", v("keys", "upstream-document.key"), "-tls-cert", v("certs", "registry.crt"), "-tls-key", v("certs", "registry.key"), "-client-ca", v("certs", "ca.crt")}},
		{"printerd", "unix", v("run", "printerd.sock"), []string{"-socket", v("run", "printerd.sock"), "-data", v("printerd"), "-audit-key", v("keys", "audit-printerd.key"),
			"-printer", "name=card-1,driver=sim,uri=" + v("out", "card") + ",media=om_card_54x86mm,blanks=100",
			"-printer", "name=paper-1,driver=sim,uri=" + v("out", "paper") + ",media=iso_a4_210x297mm"}},
		{"station", "tcp", "127.0.0.1:8080", []string{"-printerd-socket", v("run", "printerd.sock"), "-ticket-pubkey", v("keys", "ticket.pub"),
			"-console-cert", v("certs", "console.crt"), "-console-key", v("certs", "console.key"),
			"-document-pubkey", v("keys", "upstream-document.pub"), "-binding-key", v("keys", "binding.key"), "-db", v("station", "station.db"),
			"-audit-key", v("keys", "audit-station.key"), "-audit-vkey", v("keys", "audit-station.vkey"), "-subject-key", v("keys", "subject.key"),
			"-registry-url", "https://127.0.0.1:8090", "-registry-ca", v("certs", "ca.crt"),
			"-registry-cert", v("certs", "station-client.crt"), "-registry-key", v("certs", "station-client.key")}},
	}
	// With pcscd and vsmartcard's virtual readers present, card login is
	// on: `anjunganctl card insert --nik …` puts a virtual e-KTP on it.
	if rs, err := smartcard.Readers(); err == nil && slices.Contains(rs, "Virtual PCD 00 00") && slices.Contains(rs, "Virtual PCD 00 01") {
		for i := range specs {
			if specs[i].name == "station" {
				specs[i].args = append(specs[i].args, "-card-reader", "Virtual PCD 00 00", "-sam-reader", "Virtual PCD 00 01",
					"-fingerprint", "sim", "-fingerprint-dir", v("fingerprint"))
			}
		}
		cardLogin = true
	}
	sup := newSupervisor(bin, m.Stderr)
	defer sup.stop()
	for _, s := range specs {
		if err := sup.start(ctx, s); err != nil {
			return err
		}
	}
	if err := m.ensureBlanks(ctx, v("run", "printerd.sock")); err != nil {
		return sup.stopped(err)
	}
	up := &upstream{url: "https://127.0.0.1:8090", ca: v("certs", "ca.crt"), cert: v("certs", "station-client.crt"), key: v("certs", "station-client.key")}
	hc, err := up.client()
	if err != nil {
		return err
	}
	as, err := CreateApprovals(ctx, hc, up.url, demoSets())
	if err != nil {
		return sup.stopped(err)
	}
	if err := m.printApprovals(as, v("demo")); err != nil {
		return err
	}
	supervisor, err := m.devSupervisor(ctx, varDir)
	if err != nil {
		return sup.stopped(err)
	}
	fmt.Fprintf(m.Stdout, "Kiosk:    http://127.0.0.1:8080/\nConsole:  http://127.0.0.1:8081/ (%s)\nRegistry: https://127.0.0.1:8090/ (simulated upstream, mTLS)\n", supervisor)
	fmt.Fprintf(m.Stdout, "Printed documents land in %s and %s.\n", v("out", "card"), v("out", "paper"))
	if cardLogin {
		fmt.Fprintf(m.Stdout, "e-KTP login is on (vpcd): anjunganctl card insert --nik %s --key %s\n", as[0].NIK, v("keys", "ticket.key"))
		fmt.Fprintf(m.Stdout, "then the PIN, or a finger: anjunganctl finger place --nik %s --dir %s\n", as[0].NIK, v("fingerprint"))
	}
	fmt.Fprintln(m.Stdout, "Press Ctrl-C to stop.")
	if err := sup.wait(ctx); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "\nstopping…")
	return nil
}

// ensureBlanks records a load of 100 blank cards when the simulated card
// printer has none left in the ledger, as a supervisor would at opening.
func (m *Main) ensureBlanks(ctx context.Context, socket string) error {
	c := client.New(socket)
	es, err := c.Ledger(ctx)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	for _, e := range es {
		if e.Media != printerd.MediaCard || e.Remaining > 0 {
			continue
		}
		if _, err := c.LoadCards(ctx, printerd.Load{Printer: e.Printer, Count: 100, Actor: "anjunganctl dev"}); err != nil {
			return fmt.Errorf("record blank cards: %w", err)
		}
		fmt.Fprintf(m.Stdout, "Recorded 100 blank cards loaded into %s (anjunganctl ledger shows them).\n", e.Printer)
	}
	return nil
}

// devSupervisor makes a development supervisor account for the console
// once, keeping its password in var/ (which git ignores), and says how to
// log in.
func (m *Main) devSupervisor(ctx context.Context, varDir string) (string, error) {
	pwFile := filepath.Join(varDir, "console-supervisor.pw")
	if _, err := os.Stat(pwFile); errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		pw := strings.ToLower(base32.StdEncoding.EncodeToString(b))
		if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
			return "", err
		}
		u := &userAdd{db: filepath.Join(varDir, "station", "station.db"), name: "supervisor", role: "supervisor", passwordFile: pwFile}
		if err := u.run(ctx, m, strings.NewReader("")); err != nil {
			os.Remove(pwFile)
			return "", fmt.Errorf("development supervisor: %w", err)
		}
	}
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		return "", err
	}
	return "log in as supervisor / " + strings.TrimSpace(string(pw)), nil
}
