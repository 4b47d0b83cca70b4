package deb_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/internal/deb"
)

// need skips without the program, naming its Debian package; under
// ANJUNGAN_REQUIRE_PEERS=1 (CI) a missing program fails the test.
func need(t *testing.T, program, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(program); err == nil {
		return
	}
	if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
		t.Fatalf("%s not found: install the Debian package %s", program, pkg)
	}
	t.Skipf("%s not found: install the Debian package %s", program, pkg)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\n%s%s", name, args, err, out.String(), errb.String())
	}
	return out.String() + errb.String()
}

func TestVersion(t *testing.T) {
	for _, c := range []struct{ describe, want string }{
		{"v1.2.0", "1.2.0"},
		{"1.2.0\n", "1.2.0"},
		{"v1.2.0-5-gabc1234", "1.2.0+git5.abc1234"},
		{"v1.2.0-5-gabc1234-dirty", "1.2.0+git5.abc1234+dirty"},
		{"abc1234", "0~git.abc1234"},
		{"abc1234-dirty", "0~git.abc1234+dirty"},
		{"", ""},
		{"release one", ""},
		{"v1.2_0", ""},
		{"vx", ""},
	} {
		got, err := deb.Version(c.describe)
		if got != c.want || (c.want == "") != errors.Is(err, deb.ErrVersion) {
			t.Errorf("Version(%q) = %q, %v; want %q", c.describe, got, err, c.want)
		}
	}
	// Debian orders them as the history: a tagged release, commits after
	// it, the next release; an untagged tree before any release.
	if _, err := exec.LookPath("dpkg"); err == nil {
		order := []string{"0~git.abc1234", "1.2.0", "1.2.0+git5.abc1234", "1.2.0+git12.0123abc", "1.2.1"}
		for i := 1; i < len(order); i++ {
			if err := exec.Command("dpkg", "--compare-versions", order[i-1], "lt", order[i]).Run(); err != nil {
				t.Errorf("dpkg does not sort %s before %s", order[i-1], order[i])
			}
		}
	}
}

// TestPackage builds the package from the real programs, runs lintian,
// installs it into a throwaway root with dpkg (the maintainer scripts run
// against that root), checks the files, the users and the units
// (systemd-analyze verify and security), upgrades it keeping an
// operator's configuration and the data, and purges it.
func TestPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the programs and a package")
	}
	for _, p := range [][2]string{{"dpkg-deb", "dpkg"}, {"lintian", "lintian"}, {"systemd-analyze", "systemd"},
		{"deb-systemd-helper", "init-system-helpers"}, {"systemd-sysusers", "systemd"}, {"cage", "cage"}, {"chromium", "chromium"}} {
		need(t, p[0], p[1])
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	run(t, "go", "build", "-ldflags=-s -w", "-o", bin+string(filepath.Separator), "github.com/anjungan/anjungan/cmd/...")
	ops, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	build := func(version string) string {
		p, err := deb.Build(deb.Options{Version: version, Bin: bin, Out: dir, Fast: true, Docs: map[string][]byte{"operations.md": ops}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	pkg := build("1.2.0+git5.abc1234")
	if filepath.Base(pkg) != "anjungan_1.2.0+git5.abc1234_amd64.deb" {
		t.Errorf("package named %s", filepath.Base(pkg))
	}

	t.Run("lintian", func(t *testing.T) {
		out, _ := exec.Command("lintian", "--tag-display-limit", "0", pkg).CombinedOutput()
		for _, line := range strings.Split(string(out), "\n") {
			switch {
			case strings.HasPrefix(line, "E:"):
				t.Error(line)
			case strings.HasPrefix(line, "W:"):
				t.Log(line)
			}
		}
	})

	t.Run("contents", func(t *testing.T) {
		tree := filepath.Join(dir, "x")
		run(t, "dpkg-deb", "-x", pkg, tree)
		for _, f := range []string{"usr/bin/anjunganctl", "usr/libexec/anjungan/station", "usr/libexec/anjungan/printerd",
			"usr/libexec/anjungan/registry-sim", "lib/systemd/system/anjungan-printerd.service",
			"lib/systemd/system/anjungan-station.service", "lib/systemd/system/anjungan-kiosk.service",
			"etc/anjungan/station.conf", "etc/anjungan/printerd.conf", "etc/anjungan/anjunganctl.conf",
			"usr/lib/sysusers.d/anjungan.conf", "etc/chromium/policies/managed/anjungan.json",
			"usr/share/doc/anjungan/README.Debian", "usr/share/doc/anjungan/operations.md"} {
			if st, err := os.Stat(filepath.Join(tree, f)); err != nil || st.Mode().Perm()&0o002 != 0 {
				t.Errorf("%s: %v", f, err)
			}
		}
		// No private key is ever shipped: no PEM private key, no
		// note-format signing key (the programs hold the markers, not a
		// key after them), no file named like a key.
		private := regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n[A-Za-z0-9+/]{40}|PRIVATE\+KEY\+[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]{40}`)
		err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if strings.HasSuffix(p, ".key") || strings.HasSuffix(p, ".pem") {
				t.Errorf("a key file is shipped: %s", p)
			}
			b, err := os.ReadFile(p)
			if err == nil && private.Match(b) {
				t.Errorf("%s holds a private key", p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		conffiles := run(t, "dpkg-deb", "-f", pkg, "Package") + run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+pkg+" | tar -xO ./conffiles")
		for _, c := range []string{"/etc/anjungan/station.conf", "/etc/anjungan/printerd.conf", "/etc/chromium/policies/managed/anjungan.json"} {
			if !strings.Contains(conffiles, c+"\n") {
				t.Errorf("conffiles miss %s:\n%s", c, conffiles)
			}
		}
	})

	// A throwaway root with an empty dpkg database; the maintainer scripts
	// run without chroot, on DPKG_ROOT.
	root := filepath.Join(dir, "root")
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"var/lib/dpkg/status", "var/lib/dpkg/available"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dpkg := func(args ...string) string {
		return run(t, "dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--force-depends", "--force-not-root", "--force-confold"}, args...)...)
	}
	out := dpkg("-i", pkg)
	if !strings.Contains(out, "README.Debian") {
		t.Errorf("the first install does not tell the operator how to enrol:\n%s", out)
	}
	rootFile := func(p string) string {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("users", func(t *testing.T) {
		passwd := rootFile("etc/passwd")
		for _, u := range []string{"anjungan", "anjungan-screen"} {
			m := regexp.MustCompile(`(?m)^` + u + `:x:(\d+):\d+:[^:]*:([^:]*):(.*)$`).FindStringSubmatch(passwd)
			if m == nil {
				t.Fatalf("no user %s in the root's /etc/passwd:\n%s", u, passwd)
			}
			if uid, _ := strconv.Atoi(m[1]); uid == 0 || uid >= 1000 || m[3] != "/usr/sbin/nologin" {
				t.Errorf("%s: uid %s, shell %s: want a system user without a shell", u, m[1], m[3])
			}
		}
		if !regexp.MustCompile(`(?m)^lp:x:\d+:.*\banjungan\b`).MatchString(rootFile("etc/group")) {
			t.Errorf("anjungan is not in group lp (printer devices)")
		}
	})

	t.Run("units", func(t *testing.T) {
		for _, u := range []string{"anjungan-printerd.service", "anjungan-station.service"} {
			if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/multi-user.target.wants", u)); err != nil {
				t.Errorf("%s is not enabled: %v", u, err)
			}
		}
		if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/graphical.target.wants/anjungan-kiosk.service")); err == nil {
			t.Error("the citizen's screen is enabled by the package; only an operator enables it")
		}
		if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/timers.target.wants/anjungan-station.timer")); err == nil {
			t.Error("the morning timer is enabled by the package; only an operator enables it")
		}
		// systemd-analyze needs the units the ours name (sysinit.target, …)
		// and the programs they run, inside the root.
		run(t, "cp", "-an", "/lib/systemd/system/.", filepath.Join(root, "lib/systemd/system/"))
		if err := os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"cage", "chromium"} {
			path, _ := exec.LookPath(p)
			run(t, "cp", path, filepath.Join(root, "usr/bin", p))
		}
		units := []string{"anjungan-printerd.service", "anjungan-station.service", "anjungan-kiosk.service"}
		var paths []string
		for _, u := range units {
			paths = append(paths, filepath.Join(root, "lib/systemd/system", u))
		}
		timer := filepath.Join(root, "lib/systemd/system/anjungan-station.timer")
		cmd := exec.Command("systemd-analyze", append([]string{"verify", "--root=" + root, timer}, paths...)...)
		cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=notice")
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
		// The services' sandbox: an exposure score a reviewer accepts
		// (systemd-analyze security, 0 best … 10).
		limit := map[string]float64{"anjungan-printerd.service": 2, "anjungan-station.service": 2, "anjungan-kiosk.service": 6}
		score := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)
		for i, u := range units {
			out, _ := exec.Command("systemd-analyze", "security", "--offline=true", "--root="+root, paths[i]).CombinedOutput()
			m := score.FindSubmatch(out)
			if m == nil {
				t.Errorf("%s: no score in:\n%s", u, out)
				continue
			}
			s, _ := strconv.ParseFloat(string(m[1]), 64)
			t.Logf("systemd-analyze security %s: %.1f", u, s)
			if s > limit[u] {
				t.Errorf("%s: exposure %.1f, above %.1f", u, s, limit[u])
			}
		}
	})

	t.Run("upgrade keeps configuration and data", func(t *testing.T) {
		conf := filepath.Join(root, "etc/anjungan/station.conf")
		edited := rootFile("etc/anjungan/station.conf") + "kiosk-id = ADM-KOTA-07\n"
		if err := os.WriteFile(conf, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		data := filepath.Join(root, "var/lib/anjungan/station/station.db")
		if err := os.MkdirAll(filepath.Dir(data), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(data, []byte("a ledger"), 0o600); err != nil {
			t.Fatal(err)
		}
		dpkg("-i", build("1.2.1"))
		if rootFile("etc/anjungan/station.conf") != edited || rootFile("var/lib/anjungan/station/station.db") != "a ledger" {
			t.Error("the upgrade lost the operator's configuration or the data")
		}
		if !strings.Contains(run(t, "dpkg-query", "--admindir="+filepath.Join(root, "var/lib/dpkg"), "-W", "anjungan"), "1.2.1") {
			t.Error("the upgrade did not install 1.2.1")
		}
	})

	t.Run("purge", func(t *testing.T) {
		dpkg("--purge", "anjungan")
		for _, p := range []string{"usr/libexec/anjungan/station", "usr/bin/anjunganctl", "lib/systemd/system/anjungan-station.service",
			"etc/anjungan/station.conf", "etc/systemd/system/multi-user.target.wants/anjungan-station.service"} {
			if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
				t.Errorf("%s is left after purge", p)
			}
		}
		if rootFile("var/lib/anjungan/station/station.db") != "a ledger" {
			t.Error("purge removed the data: the journal, ledger and audit logs outlive the package")
		}
		if out, err := exec.Command("dpkg-query", "--admindir="+filepath.Join(root, "var/lib/dpkg"), "-W", "anjungan").CombinedOutput(); err == nil {
			t.Errorf("dpkg still knows the package after purge: %s", out)
		}
	})
}
