// Package deb builds Anjungan's Debian package, anjungan_VERSION_amd64.deb:
// the four programs, the systemd units, the default configuration under
// /etc/anjungan (conffiles), the service users (sysusers.d) and the
// Chromium policy of the citizen's screen. The files it ships are in
// root/, the maintainer scripts and control template in control/.
// `make deb` runs it through deb/mkdeb.
package deb

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

//go:embed root control
var files embed.FS

// Programs are the binaries the package ships, by where they go: the
// daemons in /usr/libexec (run by their units, no manual page needed),
// the operators' command in /usr/bin.
var Programs = map[string]string{
	"station":      "usr/libexec/anjungan/station",
	"printerd":     "usr/libexec/anjungan/printerd",
	"registry-sim": "usr/libexec/anjungan/registry-sim",
	"anjunganctl":  "usr/bin/anjunganctl",
}

// Options say what to build.
type Options struct {
	// Version is the Debian version (see Version).
	Version string
	// Bin is the folder holding the four built programs.
	Bin string
	// Docs are extra files for /usr/share/doc/anjungan, by name
	// (operations.md).
	Docs map[string][]byte
	// Out is the folder the .deb is written to.
	Out string
	// Fast compresses with gzip -1 instead of xz: for tests, where xz
	// takes most of the time.
	Fast bool
}

// ErrVersion is a version Debian would refuse.
var ErrVersion = errors.New("deb: not a Debian version")

var (
	describeRE = regexp.MustCompile(`^v?([0-9][0-9A-Za-z.]*)(?:-([0-9]+)-g([0-9a-f]+))?(-dirty)?$`)
	debianRE   = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)
)

// Version makes a Debian version of `git describe --tags --always
// --dirty` output: v1.2.0 → 1.2.0; v1.2.0-5-gabc1234 → 1.2.0+git5.abc1234
// (after 1.2.0, before 1.2.1); a bare commit abc1234 (no tag yet) →
// 0~git.abc1234; -dirty → +dirty. The result sorts as the history does.
func Version(describe string) (string, error) {
	d := strings.TrimSpace(describe)
	if regexp.MustCompile(`^[0-9a-f]{7,40}(-dirty)?$`).MatchString(d) {
		hash, dirty := strings.CutSuffix(d, "-dirty")
		v := "0~git." + hash
		if dirty {
			v += "+dirty"
		}
		return v, nil
	}
	m := describeRE.FindStringSubmatch(d)
	if m == nil {
		return "", fmt.Errorf("%w: %q", ErrVersion, describe)
	}
	v := m[1]
	if m[2] != "" {
		v += "+git" + m[2] + "." + m[3]
	}
	if m[4] != "" {
		v += "+dirty"
	}
	if !debianRE.MatchString(v) {
		return "", fmt.Errorf("%w: %q", ErrVersion, describe)
	}
	return v, nil
}

// Build writes anjungan_VERSION_amd64.deb into o.Out and returns its path.
// It needs dpkg-deb.
func Build(o Options) (string, error) {
	if !debianRE.MatchString(o.Version) {
		return "", fmt.Errorf("%w: %q", ErrVersion, o.Version)
	}
	stage, err := os.MkdirTemp("", "anjungan-deb")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(stage)
	// The shipped tree, from root/.
	err = fs.WalkDir(files, "root", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "root" {
			return err
		}
		dst := filepath.Join(stage, strings.TrimPrefix(p, "root/"))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		return "", err
	}
	for name, dst := range Programs {
		b, err := os.ReadFile(filepath.Join(o.Bin, name))
		if err != nil {
			return "", fmt.Errorf("deb: the program %s: %w", name, err)
		}
		if err := writeFile(filepath.Join(stage, dst), b, 0o755); err != nil {
			return "", err
		}
	}
	doc := filepath.Join(stage, "usr/share/doc/anjungan")
	for name, b := range o.Docs {
		if err := writeFile(filepath.Join(doc, name), b, 0o644); err != nil {
			return "", err
		}
	}
	changelog := fmt.Sprintf("anjungan (%s) unstable; urgency=medium\n\n  * Built from the source repository; see its history.\n\n -- Anjungan developers <anjungan@example.org>  Thu, 01 Jan 2026 00:00:00 +0000\n", o.Version)
	if err := writeFile(filepath.Join(doc, "changelog.gz"), gzipped([]byte(changelog)), 0o644); err != nil {
		return "", err
	}

	// DEBIAN/: control, the maintainer scripts, conffiles, md5sums.
	ctl := filepath.Join(stage, "DEBIAN")
	size, sums, err := walkTree(stage)
	if err != nil {
		return "", err
	}
	entries, err := files.ReadDir("control")
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		b, err := files.ReadFile("control/" + e.Name())
		if err != nil {
			return "", err
		}
		mode := os.FileMode(0o755)
		if e.Name() == "control" {
			mode = 0o644
			b = bytes.ReplaceAll(b, []byte("@VERSION@"), []byte(o.Version))
			b = bytes.ReplaceAll(b, []byte("@SIZE@"), []byte(fmt.Sprint((size+1023)/1024)))
		}
		if err := writeFile(filepath.Join(ctl, e.Name()), b, mode); err != nil {
			return "", err
		}
	}
	var conffiles []string
	for _, f := range sums {
		if strings.HasPrefix(f.path, "etc/") {
			conffiles = append(conffiles, "/"+f.path)
		}
	}
	if err := writeFile(filepath.Join(ctl, "conffiles"), []byte(strings.Join(conffiles, "\n")+"\n"), 0o644); err != nil {
		return "", err
	}
	var md5sums strings.Builder
	for _, f := range sums {
		fmt.Fprintf(&md5sums, "%s  %s\n", f.md5, f.path)
	}
	if err := writeFile(filepath.Join(ctl, "md5sums"), []byte(md5sums.String()), 0o644); err != nil {
		return "", err
	}

	out := filepath.Join(o.Out, fmt.Sprintf("anjungan_%s_amd64.deb", o.Version))
	compress := []string{"-Zxz"}
	if o.Fast {
		compress = []string{"-Zgzip", "-z1"}
	}
	cmd := exec.Command("dpkg-deb", append(append([]string{"--root-owner-group"}, compress...), "--build", stage, out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("dpkg-deb: %v\n%s", err, b)
	}
	return out, nil
}

type fileSum struct{ path, md5 string }

// walkTree returns the size of the staged files and their md5 sums,
// sorted by path; it also sets every folder's mode to 0755.
func walkTree(root string) (int64, []fileSum, error) {
	var size int64
	var sums []fileSum
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		size += int64(len(b))
		rel, _ := filepath.Rel(root, p)
		sums = append(sums, fileSum{path: filepath.ToSlash(rel), md5: fmt.Sprintf("%x", md5.Sum(b))})
		return nil
	})
	sort.Slice(sums, func(i, j int) bool { return sums[i].path < sums[j].path })
	return size, sums, err
}

func writeFile(p string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(path.Dir(filepath.ToSlash(p)), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, b, mode); err != nil {
		return err
	}
	return os.Chmod(p, mode) // past the umask
}

// gzipped compresses b as gzip -9n does: no name, no time stamp.
func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = io.Copy(w, bytes.NewReader(b))
	_ = w.Close()
	return buf.Bytes()
}
