package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a signed statement of the log's size and tree hash, in the
// C2SP tlog-checkpoint body format: the origin line, the size in decimal,
// the base64 tree hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
}

// Body returns the checkpoint's note text.
func (c Checkpoint) Body() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Hash[:]) + "\n"
}

// ParseCheckpoint parses a note's text as a checkpoint body.
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := bytes.Split([]byte(text), []byte("\n"))
	if len(lines) < 4 || len(lines[3]) != 0 {
		return Checkpoint{}, errors.New("audit: checkpoint body is not three lines")
	}
	size, err := strconv.ParseInt(string(lines[1]), 10, 64)
	if err != nil || size < 0 {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint size %q", lines[1])
	}
	h, err := base64.StdEncoding.Strict().DecodeString(string(lines[2]))
	if err != nil || len(h) != tlog.HashSize || base64.StdEncoding.EncodeToString(h) != string(lines[2]) {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint hash %q", lines[2])
	}
	c := Checkpoint{Origin: string(lines[0]), Size: size}
	copy(c.Hash[:], h)
	return c, nil
}

// OpenCheckpoint verifies a signed checkpoint with the given verifier key
// (note format "name+hash+key") and returns it.
func OpenCheckpoint(signed []byte, vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: verifier key: %w", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint signature: %w", err)
	}
	// Exactly one signature, the log's: a line added by another key would
	// change the stored bytes without failing note.Open.
	if len(n.Sigs) != 1 || len(n.UnverifiedSigs) != 0 {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint has %d signature(s) by unknown keys and %d by its own; want its own only",
			len(n.UnverifiedSigs), len(n.Sigs))
	}
	// Accept only the canonical encoding, so that no byte of a stored
	// checkpoint can change unnoticed (base64 has bits a lenient decoder ignores).
	canon := n.Text + "\n"
	for _, s := range n.Sigs {
		raw, err := base64.StdEncoding.Strict().DecodeString(s.Base64)
		if err != nil || base64.StdEncoding.EncodeToString(raw) != s.Base64 {
			return Checkpoint{}, errors.New("audit: checkpoint signature is not canonical base64")
		}
		canon += "\u2014 " + s.Name + " " + s.Base64 + "\n"
	}
	if canon != string(signed) {
		return Checkpoint{}, errors.New("audit: checkpoint is not in canonical form")
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint origin %q signed by key %q", c.Origin, v.Name())
	}
	return c, nil
}

// Signer signs checkpoints for one log. The key's name is the origin line,
// e.g. "anjungan.station.kiosk-01/audit".
type Signer struct {
	signer note.Signer
	Now    func() time.Time
}

// NewSigner returns a Signer for a note private key ("PRIVATE+KEY+name+hash+key").
func NewSigner(skey string, now func() time.Time) (*Signer, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("audit: signer key: %w", err)
	}
	return &Signer{signer: s, Now: now}, nil
}

// Checkpoint signs the current tree head, stores the signed note in the
// database and returns it.
func (s *Signer) Checkpoint(ctx context.Context, db *sql.DB) ([]byte, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	n, err := Size(ctx, tx)
	if err != nil {
		return nil, err
	}
	h, err := TreeHash(ctx, tx, n)
	if err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: Checkpoint{Origin: s.signer.Name(), Size: n, Hash: h}.Body()}, s.signer)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_checkpoints (size, note, created) VALUES (?, ?, ?)`,
		n, signed, s.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return nil, err
	}
	return signed, tx.Commit()
}

// Latest returns the latest stored signed checkpoint, or nil.
func Latest(ctx context.Context, db *sql.DB) ([]byte, error) {
	var b []byte
	err := db.QueryRowContext(ctx, `SELECT note FROM audit_checkpoints ORDER BY id DESC LIMIT 1`).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, err
}
