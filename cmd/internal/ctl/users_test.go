package ctl

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station/account"
	"github.com/anjungan/anjungan/station/sqlite"
)

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("sandi dari berkas\nbaris kedua\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		stdin    string
		parseErr bool
		runErr   bool
		password string
	}{
		{"stdin twice", []string{"-role", "supervisor", "siti"}, "kata sandi panjang\nkata sandi panjang\n", false, false, "kata sandi panjang"},
		{"file", []string{"tono", "-role", "technician", "-password-file", pwFile}, "", false, false, "sandi dari berkas"},
		{"differ", []string{"-name", "ani", "-role", "auditor"}, "kata sandi panjang\nkata sandi lain!!\n", false, true, ""},
		{"short", []string{"-name", "ani", "-role", "auditor"}, "pendek\npendek\n", false, true, ""},
		{"no input", []string{"-name", "ani", "-role", "auditor"}, "", false, true, ""},
		{"existing", []string{"-name", "siti", "-role", "auditor"}, "kata sandi panjang\nkata sandi panjang\n", false, true, ""},
		{"bad role", []string{"-name", "ani", "-role", "admin"}, "", true, false, ""},
		{"bad name", []string{"-name", "Ani Ani", "-role", "auditor"}, "", true, false, ""},
		{"no name", []string{"-role", "auditor"}, "", true, false, ""},
		{"two names", []string{"-name", "ani", "-role", "auditor", "tono"}, "", true, false, ""},
		{"older -name", []string{"-name", "budi", "-role", "auditor"}, "kata sandi panjang\nkata sandi panjang\n", false, false, "kata sandi panjang"},
	}
	db := filepath.Join(dir, "station", "station.db")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			m := &Main{Stdout: &out, Stderr: io.Discard, Now: func() time.Time { return time.Unix(1740000000, 0) }}
			fs := flag.NewFlagSet("user add", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			if _, err := parseUserAdd(m, fs, append([]string{"-db", db}, tt.args...)); (err != nil) != tt.parseErr {
				t.Fatalf("parse: %v", err)
			}
			if tt.parseErr {
				return
			}
			name := fs.Lookup("name").Value.String()
			if fs.NArg() == 1 {
				name = fs.Arg(0)
			}
			u := &userAdd{db: db, name: name, role: fs.Lookup("role").Value.String(), passwordFile: fs.Lookup("password-file").Value.String()}
			err := u.run(context.Background(), m, strings.NewReader(tt.stdin))
			if (err != nil) != tt.runErr {
				t.Fatalf("run: %v", err)
			}
			if tt.runErr {
				return
			}
			d, err := sqlite.Open(db)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			a, err := sqlite.NewAccounts(d).Account(context.Background(), u.name)
			if err != nil || string(a.Role) != u.role {
				t.Fatalf("stored %+v, %v", a, err)
			}
			if ok, err := account.Check(a.Hash, tt.password); !ok || err != nil {
				t.Errorf("the stored hash does not match the password: %v", err)
			}
			if !strings.Contains(a.Hash, "m=65536,t=1,p=2") {
				t.Errorf("hash %s does not use the default costs", a.Hash)
			}
		})
	}
}
