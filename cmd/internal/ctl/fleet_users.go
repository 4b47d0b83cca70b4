package ctl

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/fleet/postgres"
	"github.com/anjungan/anjungan/station/account"
)

// fleetUserAdd is `anjunganctl fleet user add`: a supervisor of the hub's
// console, scoped to the kiosks it sees. The password is read as for
// `user add` (file or stdin, never a flag).
type fleetUserAdd struct {
	db    string
	scope fleet.Scope
	pw    userAdd
}

func parseFleetUserAdd(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	u := &fleetUserAdd{}
	fs.StringVar(&u.db, "hub-db", "", "the hub's database (postgres://…)")
	scope := fs.String("scope", "", "the kiosks the user sees: all, province:NN, regency:NNNN or kiosks:ID,ID")
	fs.StringVar(&u.pw.passwordFile, "password-file", "", "read the password from this file's first line instead of standard input")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	name, err := object(fs, "NAME", "", "")
	if err != nil {
		return nil, err
	}
	if !fleet.UserNamePattern.MatchString(name) {
		return nil, fmt.Errorf("NAME %q: want a-z, 0-9, '.', '_', '-', up to 63", name)
	}
	u.pw.name = name
	if u.scope, err = fleet.ParseScope(*scope); err != nil {
		return nil, fmt.Errorf("-scope: %w", err)
	}
	if u.db == "" {
		return nil, errors.New("-hub-db is required")
	}
	return func(ctx context.Context) error { return u.run(ctx, m, os.Stdin) }, nil
}

func (u *fleetUserAdd) run(ctx context.Context, m *Main, stdin io.Reader) error {
	password, err := u.pw.password(m, stdin)
	if err != nil {
		return err
	}
	h, err := account.Hash(password, rand.Reader, account.DefaultParams())
	if err != nil {
		return err
	}
	s, err := postgres.Open(ctx, u.db, m.Now)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.AddUser(ctx, fleet.User{Name: u.pw.name, PasswordHash: h, Scope: u.scope, CreatedAt: m.Now()}); err != nil {
		return fmt.Errorf("fleet user add %s: %w", u.pw.name, err)
	}
	fmt.Fprintf(m.Stdout, "added console user %s (scope %s) to the hub's database\n", u.pw.name, u.scope)
	return nil
}
