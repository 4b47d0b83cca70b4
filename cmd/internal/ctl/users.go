package ctl

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/anjungan/anjungan/station/account"
	"github.com/anjungan/anjungan/station/sqlite"
)

// userAdd is `anjunganctl user add`: a console account in the station's
// database. The password comes from a file or from standard input, typed
// twice; it is never a flag, which other users could see in ps.
type userAdd struct {
	db, name, role, passwordFile string
}

func parseUserAdd(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	u := &userAdd{}
	fs.StringVar(&u.db, "db", "var/station/station.db", "the station's SQLite database")
	alias := fs.String("name", "", "the account name: the older form of the NAME argument")
	fs.StringVar(&u.role, "role", "", "supervisor, technician or auditor")
	fs.StringVar(&u.passwordFile, "password-file", "", "read the password from this file's first line instead of standard input")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	name, err := object(fs, "NAME", *alias, "")
	if err != nil {
		return nil, err
	}
	u.name = name
	if err := account.ValidName(u.name); err != nil {
		return nil, fmt.Errorf("NAME (a-z, 0-9, '.', '_', '-'): %w", err)
	}
	if !account.Role(u.role).Valid() {
		return nil, fmt.Errorf("-role must be supervisor, technician or auditor, not %q", u.role)
	}
	return func(ctx context.Context) error { return u.run(ctx, m, os.Stdin) }, nil
}

func (u *userAdd) run(ctx context.Context, m *Main, stdin io.Reader) error {
	password, err := u.password(m, stdin)
	if err != nil {
		return err
	}
	h, err := account.Hash(password, rand.Reader, account.DefaultParams())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(u.db), 0o700); err != nil {
		return err
	}
	db, err := sqlite.Open(u.db)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := sqlite.NewAccounts(db).AddAccount(ctx, account.Account{Name: u.name, Role: account.Role(u.role), Hash: h, Created: m.Now()}); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "added %s (%s) to %s\n", u.name, u.role, u.db)
	return nil
}

// password reads the password: the first line of -password-file, or two
// equal lines from stdin.
func (u *userAdd) password(m *Main, stdin io.Reader) (string, error) {
	var pw string
	if u.passwordFile != "" {
		b, err := os.ReadFile(u.passwordFile)
		if err != nil {
			return "", err
		}
		pw, _, _ = strings.Cut(string(b), "\n")
		pw = strings.TrimSuffix(pw, "\r")
	} else {
		in := bufio.NewReader(stdin)
		fmt.Fprint(m.Stderr, "password: ")
		first, err := readLine(in)
		if err != nil {
			return "", err
		}
		fmt.Fprint(m.Stderr, "again: ")
		second, err := readLine(in)
		if err != nil {
			return "", err
		}
		if first != second {
			return "", errors.New("user add: the passwords differ")
		}
		pw = first
	}
	if len(pw) < account.MinPassword {
		return "", fmt.Errorf("user add: the password needs at least %d characters", account.MinPassword)
	}
	return pw, nil
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("user add: reading the password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
