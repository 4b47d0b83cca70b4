package backup

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/anjungan/anjungan/printerd/journal"
	"github.com/anjungan/anjungan/station/sqlite"
)

// Restore brings the backup in from into the data folder to, which must
// be missing or empty, in the default layout (SourceIn). It checks the
// whole backup against its manifest before writing anything: every file
// listed, no file unlisted, each size and SHA-256, and schemas this build
// can open. Private keys are not in a backup: the operator restores or
// enrols them afterwards (docs/operations.md).
func Restore(ctx context.Context, from, to string) (Manifest, error) {
	mf, err := os.Open(filepath.Join(from, ManifestName))
	if err != nil {
		return Manifest{}, ErrManifest.With(err)
	}
	m, err := ReadManifest(mf)
	mf.Close()
	if err != nil {
		return Manifest{}, err
	}
	latest := map[string]int{StationDB: sqlite.Version(), JournalDB: journal.SchemaVersion()}
	for _, d := range m.Databases {
		if d.Schema > latest[d.Path] {
			return Manifest{}, ErrSchemaNewer.Withf("%s has schema %d, this build writes %d", d.Path, d.Schema, latest[d.Path])
		}
	}
	if err := checkFiles(from, m); err != nil {
		return Manifest{}, err
	}
	if err := emptyDir(to); err != nil {
		return Manifest{}, err
	}
	for _, f := range m.Files {
		in, err := os.Open(filepath.Join(from, filepath.FromSlash(f.Path)))
		if err != nil {
			return Manifest{}, ErrMismatch.With(err)
		}
		// Hashed again as it is written: the backup may change under us.
		got, err := writeStream(in, to, f.Path, f.Size)
		in.Close()
		if err != nil {
			return Manifest{}, err
		}
		if got != f {
			return Manifest{}, ErrMismatch.Withf("%s changed while it was restored", f.Path)
		}
	}
	for _, d := range m.Databases {
		if _, err := checkDB(ctx, filepath.Join(to, filepath.FromSlash(d.Path))); err != nil {
			return Manifest{}, ErrMismatch.Withf("%s: %w", d.Path, err)
		}
	}
	// The services make the folders they need (run/) themselves. A
	// backup from before the journal kept its documents holds them in
	// printerd/spool/: restored as they are, printerd's next start moves
	// the ones its jobs still need into the journal and removes the
	// folder.
	if err := syncDirs(to); err != nil {
		return Manifest{}, ErrWrite.With(err)
	}
	return m, nil
}

// checkFiles compares the backup folder with its manifest.
func checkFiles(dir string, m Manifest) error {
	listed := make(map[string]File, len(m.Files))
	for _, f := range m.Files {
		listed[f.Path] = f
	}
	seen := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case rel == ManifestName:
			return nil
		case !d.Type().IsRegular():
			return ErrMismatch.Withf("%s is not a regular file", rel)
		}
		want, ok := listed[rel]
		if !ok {
			return ErrMismatch.Withf("%s is not in the manifest", rel)
		}
		got, err := hashFile(p, rel)
		if err != nil {
			return err
		}
		if got != want {
			return ErrMismatch.Withf("%s: size %d sha256 %s, manifest says %d %s", rel, got.Size, got.SHA256, want.Size, want.SHA256)
		}
		seen++
		return nil
	})
	switch {
	case errors.Is(err, ErrMismatch):
		return err
	case err != nil:
		return ErrMismatch.With(err)
	case seen != len(m.Files):
		return ErrMismatch.Withf("%d of the manifest's %d files are in the backup", seen, len(m.Files))
	}
	return nil
}
