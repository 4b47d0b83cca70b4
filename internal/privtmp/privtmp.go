// Package privtmp is the private folder where station and printerd keep
// the temporary files that hold a citizen's document: the preview's
// copy and page images, a card printer's rasters, the file a vendor
// program prints from. It lives in the service's data folder (mode
// 0700, e.g. var/printerd/tmp), never in TMPDIR, so that a crash leaves
// personal data in one known place that the next start-up empties.
//
// Nothing here falls back to os.TempDir: an empty folder name is an
// error, so a forgotten configuration fails loudly instead of writing
// personal data to /tmp.
package privtmp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Name is the folder's name under a service's data folder.
const Name = "tmp"

// Mode is the folder's mode: the service's user only.
const Mode os.FileMode = 0o700

// errNoFolder is a temporary file asked for without a private folder.
var errNoFolder = errors.New("privtmp: no private temp folder configured")

// Prepare makes dir (mode 0700) and removes everything in it: the
// leftovers of a run a crash or a kill cut short. Call it at start-up,
// before anything writes there. A symbolic link in place of dir is
// refused rather than followed.
func Prepare(dir string) error {
	if dir == "" {
		return errNoFolder
	}
	if err := os.MkdirAll(dir, Mode); err != nil {
		return fmt.Errorf("privtmp: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("privtmp: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("privtmp: %s is not a folder", dir)
	}
	// An existing folder may have been made with a looser mode.
	if fi.Mode().Perm() != Mode {
		if err := os.Chmod(dir, Mode); err != nil {
			return fmt.Errorf("privtmp: %w", err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("privtmp: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("privtmp: remove leftover: %w", err)
		}
	}
	return nil
}

// Check tells whether dir can be used as a private folder: it exists, is
// a folder (not a link to one) and nobody but its owner may enter it.
// Drivers and the previewer check their folder when they are opened.
func Check(dir string) error {
	if dir == "" {
		return errNoFolder
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("privtmp: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("privtmp: %s is not a folder", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("privtmp: %s has mode %v; others may read it (want %v)", dir, fi.Mode().Perm(), Mode)
	}
	return nil
}

// MkdirTemp makes a new folder (mode 0700) in dir, for the files of one
// piece of work; the caller removes it when the work ends.
func MkdirTemp(dir, pattern string) (string, error) {
	if dir == "" {
		return "", errNoFolder
	}
	return os.MkdirTemp(dir, pattern)
}

// WriteFile writes data to a new file dir/name of mode 0600. It refuses
// to replace a file: names in a private folder are the caller's own.
func WriteFile(dir, name string, data []byte) error {
	if dir == "" {
		return errNoFolder
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

// Restrict makes the files directly in dir mode 0600. Programs such as
// pdftoppm create their output with the process umask (often 0644);
// the folder's mode keeps others out meanwhile, and this makes the
// files private too.
func Restrict(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			if err := os.Chmod(filepath.Join(dir, e.Name()), 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

// Env returns env with TMPDIR set to dir, for a child program (pdftoppm,
// a vendor's program): whatever it puts in its temp folder lands in the
// private folder too, and is removed with it.
func Env(env []string, dir string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if len(kv) >= 7 && kv[:7] == "TMPDIR=" {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "TMPDIR="+dir)
}
