// Package durable writes files that survive a crash or a power cut either
// whole or not at all: write a temporary file, fsync it, rename it into
// place, fsync the directory.
package durable

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// TempSuffix ends the name of every temporary file WriteFile makes, so a
// start-up sweep can remove the ones a crash left behind.
const TempSuffix = ".tmp"

// WriteFile makes dir/name hold data. When it returns nil, the file and its
// name are on disk. On error, dir/name holds either the old or the new
// contents, never a mix; Renamed(err) tells that the new file was renamed
// into place and only the directory sync failed, so the new name may or
// may not survive a power cut.
func WriteFile(dir, name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(dir, "."+name+".*"+TempSuffix)
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f, data, perm)
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := SyncDir(dir); err != nil {
		return &RenamedError{Err: err}
	}
	return nil
}

func write(f *os.File, data []byte, perm os.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// RenamedError is a failure after the rename: the file is in place but its
// name may not be durable.
type RenamedError struct{ Err error }

func (e *RenamedError) Error() string { return "sync directory after rename: " + e.Err.Error() }
func (e *RenamedError) Unwrap() error { return e.Err }

// Renamed reports whether err came after the file was renamed into place.
func Renamed(err error) bool {
	var r *RenamedError
	return errors.As(err, &r)
}

// SyncDir fsyncs a directory so that the names in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// Sweep removes the temporary files a crash left in dir.
func Sweep(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if IsTemp(e) {
			errs = append(errs, os.Remove(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}

// IsTemp reports whether e is a temporary file WriteFile made, which a
// crash may have left behind.
func IsTemp(e os.DirEntry) bool {
	n := e.Name()
	return strings.HasPrefix(n, ".") && strings.HasSuffix(n, TempSuffix) && e.Type().IsRegular()
}

// SafeName accepts the characters of journal job ids and little else, so
// an id used as a file name never names a path outside its directory.
func SafeName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
