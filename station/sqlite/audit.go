package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// ErrAuditBroken means the audit log failed verification: an entry, a
// hash, a checkpoint or the filter index was changed, removed or added
// outside AuditLog. The cause lists what was found.
var ErrAuditBroken = fault.New("audit_broken",
	"Catatan audit anjungan tidak utuh. Segera hubungi petugas.",
	"The kiosk's audit log failed its integrity check. Contact an officer now.")

// ErrAuditEntry refuses an entry that cannot be logged (no kind).
var ErrAuditEntry = fault.New("audit_entry_invalid",
	"Catatan audit tidak dapat disimpan. Silakan hubungi petugas.",
	"The audit record could not be stored. Please ask an officer.")

// ErrAuditKey refuses an audit log set up with an unusable key.
var ErrAuditKey = fault.New("audit_key_invalid",
	"Kunci catatan audit anjungan tidak sah. Silakan hubungi petugas.",
	"The kiosk's audit log keys are not valid. Please ask an officer.")

const (
	// DefaultAuditLimit is how many entries Entries returns when the
	// filter names no limit; MaxAuditLimit caps any larger one.
	DefaultAuditLimit = 100
	MaxAuditLimit     = 500

	// DefaultCheckpointEvery and DefaultCheckpointAfter bound how long an
	// entry waits before a signed checkpoint covers it.
	DefaultCheckpointEvery = 1000
	DefaultCheckpointAfter = 10 * time.Minute

	// SubjectKeySize is the length of the key that hashes NIKs.
	SubjectKeySize = 32
)

// AuditLog is the station's audit log (internal/audit) in the station
// database, with an index of the columns the console filters on.
type AuditLog struct {
	db         *DB
	subjectKey []byte
	signer     *audit.Signer
	vkey       string
	now        func() time.Time

	// MaybeCheckpoint signs a checkpoint once CheckpointEvery entries are
	// not covered by one, or once the oldest uncovered entry is
	// CheckpointAfter old.
	CheckpointEvery int64
	CheckpointAfter time.Duration
}

var _ station.AuditLog = (*AuditLog)(nil)

// NewAuditLog returns the audit log kept in db. subjectKey keys the
// hashes that stand for NIKs (SubjectKeySize bytes, see LoadSubjectKey);
// signer signs checkpoints and vkey, its verifier key, checks them.
func NewAuditLog(db *DB, subjectKey []byte, signer *audit.Signer, vkey string, now func() time.Time) (*AuditLog, error) {
	if len(subjectKey) < SubjectKeySize {
		return nil, ErrAuditKey.Withf("subject key of %d bytes, want %d", len(subjectKey), SubjectKeySize)
	}
	if signer == nil {
		return nil, ErrAuditKey.Withf("no checkpoint signer")
	}
	if _, err := note.NewVerifier(vkey); err != nil {
		return nil, ErrAuditKey.Withf("verifier key: %w", err)
	}
	return &AuditLog{
		db:              db,
		subjectKey:      bytes.Clone(subjectKey),
		signer:          signer,
		vkey:            vkey,
		now:             now,
		CheckpointEvery: DefaultCheckpointEvery,
		CheckpointAfter: DefaultCheckpointAfter,
	}, nil
}

// LoadSubjectKey reads the subject key file: SubjectKeySize random bytes
// in hex (anjunganctl keys init writes var/keys/subject.key).
func LoadSubjectKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, ErrAuditKey.With(err)
	}
	key, err := hex.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil {
		return nil, ErrAuditKey.Withf("%s: %w", path, err)
	}
	if len(key) != SubjectKeySize {
		return nil, ErrAuditKey.Withf("%s: subject key of %d bytes, want %d", path, len(key), SubjectKeySize)
	}
	return key, nil
}

// SubjectOf is the keyed hash that stands for nik in the log, or "" for
// no NIK.
func (l *AuditLog) SubjectOf(nik station.NIK) string {
	if nik.IsZero() {
		return ""
	}
	return audit.SubjectOf(l.subjectKey, nik.Reveal())
}

// Append commits e and its index row in one transaction and returns its
// index. A zero Time is taken as now.
func (l *AuditLog) Append(ctx context.Context, e station.AuditEntry) (int64, error) {
	if e.Kind == "" {
		return 0, ErrAuditEntry.Withf("entry without a kind")
	}
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	ae := audit.Entry{Time: e.Time.UTC(), Kind: e.Kind, Actor: e.Actor, Subject: e.Subject, Fields: e.Fields}
	var idx int64
	err := l.db.update(ctx, func(tx *sql.Tx) error {
		var err error
		if idx, err = audit.Append(ctx, tx, ae); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_index (idx, time, kind, outcome, printer, subject) VALUES (?, ?, ?, ?, ?, ?)`,
			idx, ae.Time.UnixNano(), ae.Kind, ae.Fields["outcome"], ae.Fields["printer"], ae.Subject)
		if err != nil {
			return err
		}
		return outLogin(ctx, tx, e, ae.Time)
	})
	return idx, err
}

// Entries returns the entries that match f, newest first. The index
// finds them; what is returned is decoded from the hashed entries, and a
// row whose index disagrees with its entry is refused as tampering.
func (l *AuditLog) Entries(ctx context.Context, f station.AuditFilter) ([]station.AuditEntry, error) {
	var where []string
	var args []any
	if !f.From.IsZero() {
		where, args = append(where, "i.time >= ?"), append(args, f.From.UnixNano())
	}
	if !f.To.IsZero() {
		where, args = append(where, "i.time < ?"), append(args, f.To.UnixNano())
	}
	if f.Kind != "" {
		// A range keeps the prefix match on the index (LIKE would need escaping).
		where, args = append(where, "i.kind >= ?"), append(args, f.Kind)
		if end, ok := prefixEnd(f.Kind); ok {
			where, args = append(where, "i.kind < ?"), append(args, end)
		}
	}
	for _, c := range []struct{ col, v string }{{"outcome", f.Outcome}, {"printer", f.Printer}, {"subject", f.Subject}} {
		if c.v != "" {
			where, args = append(where, "i."+c.col+" = ?"), append(args, c.v)
		}
	}
	if f.Before > 0 {
		where, args = append(where, "i.idx < ?"), append(args, f.Before)
	}
	q := `SELECT i.idx, e.data FROM audit_index i JOIN audit_entries e ON e.idx = i.idx`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY i.idx DESC LIMIT ?"
	args = append(args, auditLimit(f.Limit))

	rows, err := l.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, ErrStorage.With(err)
	}
	defer rows.Close()
	var out []station.AuditEntry
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return nil, ErrStorage.With(err)
		}
		e, err := audit.Decode(data)
		if err != nil {
			return nil, ErrAuditBroken.Withf("entry %d: %w", idx, err)
		}
		se := station.AuditEntry{Index: idx, Time: e.Time, Kind: e.Kind, Actor: e.Actor, Subject: e.Subject, Fields: e.Fields}
		if !matches(se, f) {
			return nil, ErrAuditBroken.Withf("entry %d does not match its index row", idx)
		}
		out = append(out, se)
	}
	if err := rows.Err(); err != nil {
		return nil, ErrStorage.With(err)
	}
	return out, nil
}

func auditLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultAuditLimit
	case n > MaxAuditLimit:
		return MaxAuditLimit
	}
	return n
}

// prefixEnd returns the smallest string greater than every string that
// starts with p, if there is one.
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// matches checks a decoded entry against the filter, the same test the
// SQL ran on the index.
func matches(e station.AuditEntry, f station.AuditFilter) bool {
	t := e.Time.UnixNano()
	return (f.From.IsZero() || t >= f.From.UnixNano()) &&
		(f.To.IsZero() || t < f.To.UnixNano()) &&
		strings.HasPrefix(e.Kind, f.Kind) &&
		(f.Outcome == "" || e.Fields["outcome"] == f.Outcome) &&
		(f.Printer == "" || e.Fields["printer"] == f.Printer) &&
		(f.Subject == "" || e.Subject == f.Subject)
}

// Checkpoint signs and stores the current tree head and returns it. When
// the latest stored checkpoint already covers every entry it returns that
// one: a second signature of the same tree says nothing new.
func (l *AuditLog) Checkpoint(ctx context.Context) ([]byte, error) {
	covered, size, err := l.coverage(ctx)
	if err != nil {
		return nil, err
	}
	if size == covered {
		if latest, err := l.LatestCheckpoint(ctx); err != nil || latest != nil {
			return latest, err
		}
	}
	signed, err := l.signer.Checkpoint(ctx, l.db.write)
	if err != nil {
		return nil, ErrStorage.With(err)
	}
	return signed, nil
}

// MaybeCheckpoint signs a checkpoint if CheckpointEvery entries wait for
// one or the oldest waiting entry is CheckpointAfter old; it returns the
// new checkpoint, or nil when none was due. Call it on a ticker: its
// period adds to how long an entry may wait.
func (l *AuditLog) MaybeCheckpoint(ctx context.Context) ([]byte, error) {
	covered, size, err := l.coverage(ctx)
	if err != nil {
		return nil, err
	}
	if size <= covered {
		return nil, nil
	}
	every := l.CheckpointEvery
	if every <= 0 {
		every = DefaultCheckpointEvery
	}
	if size-covered < every {
		after := l.CheckpointAfter
		if after <= 0 {
			after = DefaultCheckpointAfter
		}
		var oldest int64
		if err := l.db.read.QueryRowContext(ctx, `SELECT time FROM audit_index WHERE idx = ?`, covered).Scan(&oldest); err != nil {
			return nil, ErrStorage.With(err)
		}
		if l.now().Sub(time.Unix(0, oldest)) < after {
			return nil, nil
		}
	}
	return l.Checkpoint(ctx)
}

// coverage returns the size of the latest stored checkpoint (0 if none)
// and the number of entries.
func (l *AuditLog) coverage(ctx context.Context) (covered, size int64, err error) {
	err = l.db.read.QueryRowContext(ctx, `SELECT
		COALESCE((SELECT size FROM audit_checkpoints ORDER BY id DESC LIMIT 1), 0),
		COALESCE((SELECT MAX(idx)+1 FROM audit_entries), 0)`).Scan(&covered, &size)
	if err != nil {
		return 0, 0, ErrStorage.With(err)
	}
	return covered, size, nil
}

// LatestCheckpoint returns the newest stored checkpoint, or nil.
func (l *AuditLog) LatestCheckpoint(ctx context.Context) ([]byte, error) {
	b, err := audit.Latest(ctx, l.db.read)
	if err != nil {
		return nil, ErrStorage.With(err)
	}
	return b, nil
}

// Verify recomputes the whole log, checks every checkpoint (audit.Verify)
// and checks that the filter index agrees with the entries, so that no
// entry can be hidden from the console's timeline. A failure is
// ErrAuditBroken whose cause is the audit.Report; a check that could not
// finish counts as a failure (problem kind "verify-incomplete").
func (l *AuditLog) Verify(ctx context.Context) error {
	_, err := l.VerifyReport(ctx)
	return err
}

// VerifyReport is Verify with the report of what was checked, for the
// console's integrity page.
func (l *AuditLog) VerifyReport(ctx context.Context) (audit.Report, error) {
	return VerifyAudit(ctx, l.db.read, l.vkey)
}

// VerifyAudit verifies the station's audit log in db, an open station
// database that may be a read-only copy: audit.Verify with vkey and the
// trusted checkpoints, then the filter index row by row (problem kind
// index-mismatch), so that no entry can be hidden from the console's
// timeline by editing audit_index. anjunganctl audit verify runs it on a
// station's database. A failure is ErrAuditBroken whose cause is the
// audit.Report; a check that could not finish counts as a failure
// (problem kind "verify-incomplete").
func VerifyAudit(ctx context.Context, db *sql.DB, vkey string, trusted ...[]byte) (audit.Report, error) {
	rep, err := audit.Verify(ctx, db, vkey, trusted...)
	var broken audit.Report
	switch {
	case err == nil || errors.As(err, &broken):
	case ctx.Err() != nil:
		return rep, ErrStorage.With(err)
	default:
		// A check that cannot finish has failed: the supervisor must not
		// read "could not verify" as anything but a broken log.
		rep.Problems = append(rep.Problems, audit.Problem{Kind: "verify-incomplete", Detail: err.Error()})
	}
	if err := checkIndex(ctx, db, &rep); err != nil {
		if ctx.Err() != nil {
			return rep, ErrStorage.With(err)
		}
		rep.Problems = append(rep.Problems, audit.Problem{Kind: "verify-incomplete", Detail: "audit_index: " + err.Error()})
	}
	if !rep.OK() {
		return rep, ErrAuditBroken.With(rep)
	}
	return rep, nil
}

// checkIndex adds a problem for every index row that is missing, extra,
// or disagrees with its entry.
func checkIndex(ctx context.Context, db *sql.DB, rep *audit.Report) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, `SELECT e.idx, e.data, i.idx IS NOT NULL, i.time, i.kind, i.outcome, i.printer, i.subject
		FROM audit_entries e LEFT JOIN audit_index i ON i.idx = e.idx ORDER BY e.idx`)
	if err != nil {
		return err
	}
	defer rows.Close()
	add := func(format string, args ...any) {
		rep.Problems = append(rep.Problems, audit.Problem{Kind: "index-mismatch", Detail: fmt.Sprintf(format, args...)})
	}
	for rows.Next() {
		var idx int64
		var data []byte
		var indexed bool
		var t sql.NullInt64
		var kind, outcome, printer, subject sql.NullString
		if err := rows.Scan(&idx, &data, &indexed, &t, &kind, &outcome, &printer, &subject); err != nil {
			return err
		}
		if !indexed {
			add("entry %d has no index row", idx)
			continue
		}
		e, err := audit.Decode(data)
		if err != nil {
			continue // audit.Verify reported it
		}
		if t.Int64 != e.Time.UnixNano() || kind.String != e.Kind || outcome.String != e.Fields["outcome"] ||
			printer.String != e.Fields["printer"] || subject.String != e.Subject {
			add("index row %d disagrees with its entry", idx)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var orphans int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_index i WHERE NOT EXISTS (SELECT 1 FROM audit_entries e WHERE e.idx = i.idx)`).Scan(&orphans); err != nil {
		return err
	}
	if orphans > 0 {
		add("%d index rows have no entry", orphans)
	}
	return nil
}
