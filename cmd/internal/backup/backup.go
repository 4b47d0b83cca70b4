package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	_ "modernc.org/sqlite" // the services' databases are SQLite files

	"github.com/anjungan/anjungan/printerd/journal"
	"github.com/anjungan/anjungan/station/sqlite"
)

// Source is a kiosk's data: the folder laid out as `anjunganctl keys
// init` and the services' defaults make it (keys/, certs/,
// station/station.db, printerd/), each part movable by its own path.
type Source struct {
	StationDB    string // the station's database
	PrinterdData string // printerd's -data: journal.db (documents included), checkpoints/
	Keys         string // keys/: only *.pub and *.vkey are copied
	Certs        string // certs/: only *.crt are copied
}

// SourceIn is the Source of a data folder in the default layout.
func SourceIn(dir string) Source {
	return Source{StationDB: filepath.Join(dir, "station", "station.db"), PrinterdData: filepath.Join(dir, "printerd"),
		Keys: filepath.Join(dir, "keys"), Certs: filepath.Join(dir, "certs")}
}

// Taker takes backups.
type Taker struct {
	Now     func() time.Time
	Version string // the build, written into the manifest
}

// publicKey and certificate are what of keys/ and certs/ a backup holds:
// never a private key or a secret (binding.key and subject.key are HMAC
// keys).
var (
	publicKey   = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}\.(pub|vkey)$`)
	certificate = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}\.crt$`)
)

// Take writes a backup of src into dir, which must be missing or empty.
//
// Order matters, because the two databases cannot be read in one
// transaction: printerd's journal first, then the station's. The station
// writes a settlement before it submits the job it records, so every job
// in the journal's snapshot has its settlement in the later station
// snapshot; a settlement whose job is missing is one the station already
// handles after a restart (a submission cut short). The journal keeps
// the documents of the jobs that may still print in its own table,
// committed with their jobs and deleted in the write that ends the last
// one, so its snapshot carries exactly those: nothing else of printerd's
// holds a document.
func (t Taker) Take(ctx context.Context, src Source, dir string) (Manifest, error) {
	if err := emptyDir(dir); err != nil {
		return Manifest{}, err
	}
	w := &writer{dir: dir}
	m := Manifest{Format: Format, Created: t.Now().UTC(), Anjungan: t.Version}
	jdb, err := w.snapshot(ctx, filepath.Join(src.PrinterdData, "journal.db"), JournalDB, journal.SchemaVersion())
	if err != nil {
		return Manifest{}, err
	}
	sdb, err := w.snapshot(ctx, src.StationDB, StationDB, sqlite.Version())
	if err != nil {
		return Manifest{}, err
	}
	m.Databases = []Database{jdb, sdb}
	for _, c := range []struct {
		from, to string
		name     *regexp.Regexp
	}{
		{filepath.Join(src.PrinterdData, "checkpoints"), "printerd/checkpoints", regexp.MustCompile(`^[0-9]{1,19}\.note$`)},
		{src.Keys, "keys", publicKey},
		{src.Certs, "certs", certificate},
	} {
		if err := w.copyMatching(c.from, c.to, c.name); err != nil {
			return Manifest{}, err
		}
	}
	m.Files = w.files()
	if err := m.check(); err != nil {
		return Manifest{}, ErrWrite.With(err) // a bug here, not bad input
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, ErrWrite.With(err)
	}
	// The files' names are durable before the manifest that vouches for
	// them.
	if err := syncDirs(dir); err != nil {
		return Manifest{}, ErrWrite.With(err)
	}
	if err := writeFile(dir, ManifestName, append(data, '\n')); err != nil {
		return Manifest{}, ErrWrite.With(err)
	}
	return m, nil
}

// emptyDir makes dir, or checks that it is empty.
func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ErrWrite.With(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ErrWrite.With(err)
	}
	if len(ents) > 0 {
		return ErrTargetNotEmpty.Withf("%s holds %s", dir, ents[0].Name())
	}
	return nil
}

// writer writes a backup's files and remembers their hashes.
type writer struct {
	dir  string
	have map[string]File
}

func (w *writer) add(f File) {
	if w.have == nil {
		w.have = map[string]File{}
	}
	w.have[f.Path] = f
}

func (w *writer) files() []File {
	fs := make([]File, 0, len(w.have))
	for _, f := range w.have {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
	return fs
}

// snapshot copies the live database at from with VACUUM INTO: one read
// transaction of its own, so it sees a committed state, WAL included,
// while the service goes on writing. The copy is built afresh: it holds
// the live rows and none of the free pages or WAL frames of deleted ones
// (a printed job's document).
func (w *writer) snapshot(ctx context.Context, from, to string, latest int) (Database, error) {
	if _, err := os.Stat(from); err != nil {
		return Database{}, ErrSource.With(err)
	}
	dst := filepath.Join(w.dir, filepath.FromSlash(to))
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return Database{}, ErrWrite.With(err)
	}
	db, err := sql.Open("sqlite", "file:"+from+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return Database{}, ErrSource.With(err)
	}
	_, err = db.ExecContext(ctx, "VACUUM INTO ?", dst)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Database{}, ErrSource.Withf("%s: %w", from, err)
	}
	version, err := checkDB(ctx, dst)
	if err != nil {
		return Database{}, ErrSource.Withf("snapshot of %s: %w", from, err)
	}
	f, err := hashFile(dst, to)
	if err != nil {
		return Database{}, ErrWrite.With(err)
	}
	if err := syncFile(dst); err != nil {
		return Database{}, ErrWrite.With(err)
	}
	w.add(f)
	return Database{Path: to, Schema: version, Latest: latest}, nil
}

// checkDB runs SQLite's integrity check on a database file that no one
// else has open and returns its schema version.
func checkDB(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?"+url.Values{"mode": {"ro"}}.Encode())
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil {
		return 0, err
	}
	if ok != "ok" {
		return 0, fmt.Errorf("integrity check: %s", ok)
	}
	var v int
	err = db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// copyMatching copies the regular files of from whose names match name
// into the backup folder to; a missing folder is nothing to copy. Files
// already copied are kept.
func (w *writer) copyMatching(from, to string, name *regexp.Regexp) error {
	ents, err := os.ReadDir(from)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return ErrSource.With(err)
	}
	for _, e := range ents {
		rel := to + "/" + e.Name()
		if !e.Type().IsRegular() || !name.MatchString(e.Name()) || w.have[rel].Path != "" {
			continue
		}
		f, err := copyFile(filepath.Join(from, e.Name()), w.dir, rel)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			return err
		}
		w.add(f)
	}
	return nil
}

// copyFile copies from to dir/rel, fsynced, and returns its entry.
func copyFile(from, dir, rel string) (File, error) {
	in, err := os.Open(from)
	if err != nil {
		return File{}, err
	}
	defer in.Close()
	return writeStream(in, dir, rel, -1)
}

// writeStream writes r to dir/rel, fsynced; limit > 0 stops it reading
// more than limit bytes.
func writeStream(r io.Reader, dir, rel string, limit int64) (File, error) {
	dst := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return File{}, ErrWrite.With(err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return File{}, ErrWrite.With(err)
	}
	h := sha256.New()
	if limit >= 0 {
		r = io.LimitReader(r, limit+1)
	}
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, ErrWrite.With(err)
	}
	return File{Path: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func hashFile(path, rel string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return File{Path: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// writeFile writes dir/name whole or not at all: temp file, fsync,
// rename, fsync the folder.
func writeFile(dir, name string, data []byte) error {
	tmp := filepath.Join(dir, "."+name+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// syncDirs fsyncs dir and every folder under it, so the names of the
// files written there are durable.
func syncDirs(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDir(p)
	})
}
