// Package backup takes a consistent snapshot of a kiosk's data folder
// while its services run, and restores one into a new folder: both SQLite
// databases (copied with VACUUM INTO, a read transaction of their own;
// the journal's holds the documents its jobs may still print), the audit
// checkpoints and the public halves of the keys, with a manifest of their
// hashes.
// docs/operations.md ("Backup and restore") is the contract.
package backup

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// Errors of backup and restore. They reach an operator, never a citizen,
// but keep the one error type all the same.
var (
	ErrManifest = fault.New("backup_manifest_invalid",
		"Berkas manifest cadangan rusak atau tidak dikenal.",
		"The backup's manifest is damaged or unknown.")
	ErrMismatch = fault.New("backup_file_mismatch",
		"Isi cadangan tidak cocok dengan manifest-nya.",
		"The backup's files do not match its manifest.")
	ErrTargetNotEmpty = fault.New("backup_target_not_empty",
		"Folder tujuan tidak kosong; pilih folder baru.",
		"The destination folder is not empty; choose a new one.")
	ErrSchemaNewer = fault.New("backup_schema_newer",
		"Cadangan dibuat oleh versi Anjungan yang lebih baru.",
		"The backup was made by a newer Anjungan.")
	ErrSource = fault.New("backup_source_failed",
		"Data anjungan tidak dapat dibaca untuk dicadangkan.",
		"The kiosk's data could not be read for the backup.")
	ErrWrite = fault.New("backup_write_failed",
		"Cadangan tidak dapat ditulis.",
		"The backup could not be written.")
)

// Format is the manifest format this code writes and reads.
const Format = 1

// ManifestName is the manifest's file name in a backup folder. It is
// written last: a folder without it is an unfinished backup.
const ManifestName = "manifest.json"

// Limits on a manifest, which restore reads from a folder that may have
// travelled on a USB stick: outside data.
const (
	maxManifestSize = 4 << 20
	maxFiles        = 100000
	maxFileSize     = 64 << 30
)

// Manifest describes a backup.
type Manifest struct {
	Format    int        `json:"format"`
	Created   time.Time  `json:"created"`
	Anjungan  string     `json:"anjungan"` // the build of anjunganctl that took it
	Databases []Database `json:"databases"`
	Files     []File     `json:"files"`
}

// Database is one SQLite database of the backup.
type Database struct {
	Path   string `json:"path"`   // one of Files
	Schema int    `json:"schema"` // its user_version
	Latest int    `json:"latest"` // the version the taking build writes
}

// File is one file of the backup, its path relative to the folder with
// forward slashes.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Paths of the two databases, in a backup and in a data folder alike.
const (
	StationDB = "station/station.db"
	JournalDB = "printerd/journal.db"
)

// filePath is every path a backup may hold. Nothing else is restored, so
// a manifest cannot write outside the new folder or plant a private key.
// printerd/spool/ is only in backups taken before the journal kept its
// documents (printerd imports them at its next start).
var filePath = regexp.MustCompile(`^(station/station\.db|printerd/journal\.db|printerd/spool/[0-9a-f]{64}|` +
	`printerd/checkpoints/[0-9]{1,19}\.note|keys/[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}\.(pub|vkey)|certs/[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}\.crt)$`)

// ReadManifest reads and checks a manifest: its shape, paths, sizes and
// hashes as text, and that it names both databases. It does not look at
// the files.
func ReadManifest(r io.Reader) (Manifest, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxManifestSize+1))
	if err != nil {
		return Manifest{}, ErrManifest.With(err)
	}
	if len(data) > maxManifestSize {
		return Manifest{}, ErrManifest.Withf("manifest larger than %d bytes", maxManifestSize)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return Manifest{}, ErrManifest.With(err)
	}
	if err := m.check(); err != nil {
		return Manifest{}, ErrManifest.With(err)
	}
	return m, nil
}

func (m Manifest) check() error {
	if m.Format != Format {
		return fmt.Errorf("format %d, want %d", m.Format, Format)
	}
	if len(m.Files) > maxFiles {
		return fmt.Errorf("%d files, at most %d", len(m.Files), maxFiles)
	}
	seen := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		if !filePath.MatchString(f.Path) {
			return fmt.Errorf("path %q is not one a backup holds", f.Path)
		}
		if seen[f.Path] {
			return fmt.Errorf("path %q twice", f.Path)
		}
		seen[f.Path] = true
		if f.Size < 0 || f.Size > maxFileSize {
			return fmt.Errorf("%s: size %d", f.Path, f.Size)
		}
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != 32 {
			return fmt.Errorf("%s: sha256 %q is not 64 hex digits", f.Path, f.SHA256)
		}
	}
	if len(m.Databases) != 2 {
		return fmt.Errorf("%d databases, want 2", len(m.Databases))
	}
	for _, want := range []string{StationDB, JournalDB} {
		var found int
		for _, d := range m.Databases {
			if d.Path == want {
				found++
				if d.Schema < 1 || d.Schema > d.Latest || d.Latest > 1<<20 {
					return fmt.Errorf("%s: schema %d of %d", d.Path, d.Schema, d.Latest)
				}
			}
		}
		if found != 1 || !seen[want] {
			return errors.New("the manifest must name " + want + " once, as a database and a file")
		}
	}
	return nil
}
