package fleet

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/anjungan/anjungan/internal/audit"
)

// The hub witnesses every kiosk's two audit logs (docs/fleet.md,
// "Witness"; C2SP tlog-witness): a kiosk sends each new signed checkpoint
// with a consistency proof from the last size the hub cosigned, and the
// hub cosigns it only if the proof holds.

// AuditLogs are the logs a kiosk keeps, each with its checkpoint signer's
// verifier key (note format name+hash+key), registered at enrolment.
const (
	AuditLogStation  = "station"
	AuditLogPrinterd = "printerd"
)

// Limits of a witness request; docs/fleet.md states them.
const (
	MaxWitnessBody  = 8 << 10
	MaxProofHashes  = 63 // a proof in a tree of up to 2^63 entries
	WitnessOldToken = "old "
)

// WitnessRequest is the body of POST /v1/witness/add-checkpoint.
type WitnessRequest struct {
	Old        int64          // the size the kiosk believes the hub cosigned last
	Proof      tlog.TreeProof // consistency proof from Old to the checkpoint's size
	Checkpoint []byte         // the signed note, exactly as the log signed it
}

// ParseWitnessRequest reads a request body: the line "old <size>", one
// line per proof hash (base64), an empty line, then the signed checkpoint.
func ParseWitnessRequest(body []byte) (WitnessRequest, error) {
	var r WitnessRequest
	if len(body) > MaxWitnessBody {
		return r, ErrWitnessRequestInvalid.Withf("%d bytes, above %d", len(body), MaxWitnessBody)
	}
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok || !bytes.HasPrefix(line, []byte(WitnessOldToken)) {
		return r, ErrWitnessRequestInvalid.Withf("the first line is not %q", "old <size>")
	}
	num := string(line[len(WitnessOldToken):])
	old, err := strconv.ParseInt(num, 10, 64)
	if err != nil || old < 0 || strconv.FormatInt(old, 10) != num {
		return r, ErrWitnessRequestInvalid.Withf("old size %q", num)
	}
	r.Old = old
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return WitnessRequest{}, ErrWitnessRequestInvalid.Withf("no empty line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == MaxProofHashes {
			return WitnessRequest{}, ErrWitnessRequestInvalid.Withf("more than %d proof hashes", MaxProofHashes)
		}
		// Decode needs room for DecodedLen (33 bytes for 44 characters).
		var buf [tlog.HashSize + 1]byte
		n, err := 0, error(nil)
		if len(line) == base64.StdEncoding.EncodedLen(tlog.HashSize) {
			n, err = base64.StdEncoding.Strict().Decode(buf[:], line)
		}
		if err != nil || n != tlog.HashSize {
			return WitnessRequest{}, ErrWitnessRequestInvalid.Withf("proof hash %d is not 32 bytes in base64", len(r.Proof)+1)
		}
		r.Proof = append(r.Proof, tlog.Hash(buf[:tlog.HashSize]))
	}
	if len(rest) == 0 {
		return WitnessRequest{}, ErrWitnessRequestInvalid.Withf("no checkpoint")
	}
	r.Checkpoint = rest
	return r, nil
}

// Encode is the request's body (the kiosk sends it).
func (r WitnessRequest) Encode() []byte {
	var b bytes.Buffer
	b.WriteString(WitnessOldToken + strconv.FormatInt(r.Old, 10) + "\n")
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// Witnessed is the latest checkpoint the hub cosigned for one (kiosk,
// log): size 0 with the empty tree's hash before the first.
type Witnessed struct {
	Size int64
	Hash tlog.Hash
	Note []byte
}

// WitnessStore keeps what the witness has cosigned; fleet/postgres
// implements it.
type WitnessStore interface {
	// AuditKeys returns the kiosk's registered log → verifier key,
	// refusing an unknown or revoked kiosk.
	AuditKeys(ctx context.Context, kiosk string) (map[string]string, error)
	// Advance runs step with the (kiosk, log)'s latest cosigned state
	// under a row lock that every hub respects, and stores what step
	// returns when it returns no error.
	Advance(ctx context.Context, kiosk, log string, step func(last Witnessed) (Witnessed, error)) error
	// RaiseAlert opens a (witness-owned) alert unless one with its key is
	// open; the alert watcher never closes these.
	RaiseAlert(ctx context.Context, a Alert, now time.Time) error
}

// Witness checks and cosigns kiosks' checkpoints.
type Witness struct {
	Store    WitnessStore
	Cosigner *audit.Cosigner
	Now      func() time.Time
}

// AddCheckpoint checks req for kiosk and returns the cosignature line of
// its checkpoint. With ErrWitnessConflict it returns the size the hub
// last cosigned, which the kiosk proves from next. A checkpoint that is
// not consistent with the cosigned one raises audit_inconsistent and
// returns ErrAuditInconsistent.
func (w *Witness) AddCheckpoint(ctx context.Context, kiosk string, req WitnessRequest) (string, int64, error) {
	keys, err := w.Store.AuditKeys(ctx, kiosk)
	if err != nil {
		return "", 0, err
	}
	logs := make([]string, 0, len(keys))
	for l := range keys {
		logs = append(logs, l)
	}
	sort.Strings(logs)
	var (
		log string
		cp  audit.Checkpoint
	)
	for _, l := range logs {
		if c, err := audit.OpenCheckpoint(req.Checkpoint, keys[l]); err == nil {
			log, cp = l, c
			break
		}
	}
	if log == "" {
		return "", 0, ErrCheckpointSignature.Withf("%s: no registered audit key (%v) verifies the checkpoint", kiosk, logs)
	}
	if cp.Size < req.Old {
		return "", 0, ErrWitnessRequestInvalid.Withf("%s/%s: old %d above the checkpoint's size %d", kiosk, log, req.Old, cp.Size)
	}
	var cur int64
	var fork *Error
	err = w.Store.Advance(ctx, kiosk, log, func(last Witnessed) (Witnessed, error) {
		cur = last.Size
		if bytes.Equal(req.Checkpoint, last.Note) {
			return last, nil // a resend of what is cosigned (its answer was lost): cosigned again
		}
		if req.Old != last.Size {
			return last, ErrWitnessConflict.Withf("%s/%s: old %d, the hub cosigned %d", kiosk, log, req.Old, last.Size)
		}
		switch {
		case cp.Size == last.Size:
			if cp.Hash != last.Hash || len(req.Proof) != 0 {
				fork = ErrAuditInconsistent.Withf("%s/%s: a second checkpoint of size %d with another tree hash", kiosk, log, cp.Size)
				return last, fork
			}
		case last.Size == 0:
			if len(req.Proof) != 0 {
				return last, ErrWitnessRequestInvalid.Withf("%s/%s: a proof from size 0", kiosk, log)
			}
		default:
			if err := tlog.CheckTree(req.Proof, cp.Size, cp.Hash, last.Size, last.Hash); err != nil {
				fork = ErrAuditInconsistent.Withf("%s/%s: the checkpoint of size %d does not extend the cosigned size %d: %v", kiosk, log, cp.Size, last.Size, err)
				return last, fork
			}
		}
		cur = cp.Size
		return Witnessed{Size: cp.Size, Hash: cp.Hash, Note: req.Checkpoint}, nil
	})
	if fork != nil {
		now := w.Now()
		a := Alert{Key: string(AlertAuditInconsistent) + "/" + kiosk + "/" + log, Kind: AlertAuditInconsistent, Kiosk: kiosk,
			Subject: log, Since: now,
			Detail: fmt.Sprintf("audit log %s of kiosk %s: checkpoint of size %d is not consistent with the cosigned size %d", log, kiosk, cp.Size, cur)}
		if aerr := w.Store.RaiseAlert(ctx, a, now); aerr != nil {
			return "", cur, aerr
		}
		return "", cur, fork
	}
	if err != nil {
		return "", cur, err
	}
	return w.Cosigner.Cosign(cp.Body(), w.Now()), cur, nil
}
