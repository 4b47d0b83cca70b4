// Package witnesssend has a service's audit log cosigned by the fleet
// hub's witness: it sends each new checkpoint with a consistency proof
// from the size the hub cosigned last, verifies the cosignature and
// stores it beside the log (docs/fleet.md, "Witness"). It runs in its own
// goroutine; nothing that prints waits for it.
package witnesssend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/internal/audit"
)

// Log is what the sender reads of the service's audit log and writes
// into it; audit.CosignLog is one.
type Log interface {
	LatestCheckpoint(ctx context.Context) ([]byte, error)
	Prove(ctx context.Context, old, n int64) (tlog.TreeProof, error)
	CosignedSize(ctx context.Context, witness string) (int64, error)
	IsCosigned(ctx context.Context, witness string, checkpoint []byte) (bool, error)
	Store(ctx context.Context, c audit.Cosigned) error
}

var _ Log = audit.CosignLog{}

// Defaults of a Sender.
const (
	DefaultEvery      = time.Minute
	DefaultMaxBackoff = 5 * time.Minute
)

// Sender has one log witnessed.
type Sender struct {
	Log        Log
	URL        string       // the hub's base URL, https://HOST:PORT
	Client     *http.Client // with the kiosk's client certificate (fleetsend.ClientTLS)
	WitnessKey string       // the hub's witness vkey: only cosignatures it verifies are kept
	Now        func() time.Time
	LogErr     func(msg string, err error) // failures: codes and sizes, never entries
	// Every is the pause between looks at the log; MaxBackoff caps the
	// pause after failures, which doubles from Every.
	Every, MaxBackoff time.Duration
}

// Errors of a Step.
var (
	ErrHub          = errors.New("witnesssend: the hub refused the checkpoint")
	ErrInconsistent = errors.New("witnesssend: the hub found the log inconsistent with what it cosigned")
)

// Run sends until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	every, maxBackoff := s.Every, s.MaxBackoff
	if every <= 0 {
		every = DefaultEvery
	}
	if maxBackoff <= 0 {
		maxBackoff = DefaultMaxBackoff
	}
	pause := every
	for ctx.Err() == nil {
		if _, err := s.Step(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			if s.LogErr != nil {
				s.LogErr("audit witness", err)
			}
			pause = min(pause*2, maxBackoff)
		} else {
			pause = every
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// Step has the latest checkpoint cosigned unless it is; it returns the
// stored cosignature, or "" when there was nothing to do.
func (s *Sender) Step(ctx context.Context) (string, error) {
	name, err := audit.WitnessName(s.WitnessKey)
	if err != nil {
		return "", err
	}
	cp, err := s.Log.LatestCheckpoint(ctx)
	if err != nil || cp == nil {
		return "", err
	}
	if done, err := s.Log.IsCosigned(ctx, name, cp); err != nil || done {
		return "", err
	}
	body, err := audit.CheckpointBody(cp)
	if err != nil {
		return "", err
	}
	c, err := audit.ParseCheckpoint(body)
	if err != nil {
		return "", err
	}
	old, err := s.Log.CosignedSize(ctx, name)
	if err != nil {
		return "", err
	}
	for attempt := 0; ; attempt++ {
		line, hubSize, err := s.send(ctx, cp, old, c.Size)
		if errors.Is(err, fleet.ErrWitnessConflict) && attempt == 0 {
			old = hubSize // the hub cosigned another size (e.g. a stored answer was lost): prove from it
			continue
		}
		if err != nil {
			return "", err
		}
		if _, err := audit.VerifyCosignature(body, line, s.WitnessKey); err != nil {
			return "", fmt.Errorf("witnesssend: the hub's answer: %w", err)
		}
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		return line, s.Log.Store(ctx, audit.Cosigned{Size: c.Size, Checkpoint: cp, Witness: name, Cosignature: line, Received: now()})
	}
}

// send posts one request; with ErrWitnessConflict it returns the hub's size.
func (s *Sender) send(ctx context.Context, cp []byte, old, size int64) (string, int64, error) {
	if old > size {
		return "", 0, fmt.Errorf("witnesssend: the hub cosigned size %d, the log has %d", old, size)
	}
	proof, err := s.Log.Prove(ctx, old, size)
	if err != nil {
		return "", 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.URL, "/")+"/v1/witness/add-checkpoint",
		bytes.NewReader(fleet.WitnessRequest{Old: old, Proof: proof, Checkpoint: cp}.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := s.Client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", 0, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if len(b) > audit.MaxCosignatureLine {
			return "", 0, errors.New("witnesssend: the hub's cosignature is too long")
		}
		return string(b), 0, nil
	case http.StatusConflict:
		n, err := strconv.ParseInt(strings.TrimSuffix(string(b), "\n"), 10, 64)
		if err != nil || n < 0 {
			return "", 0, fmt.Errorf("witnesssend: 409 with body %q", b)
		}
		return "", n, fleet.ErrWitnessConflict.Withf("the hub cosigned %d, the kiosk sent old %d", n, old)
	case http.StatusUnprocessableEntity:
		return "", 0, fmt.Errorf("%w (size %d, from %d): %s", ErrInconsistent, size, old, bytes.TrimSpace(b))
	default:
		return "", 0, fmt.Errorf("%w: %d %s", ErrHub, resp.StatusCode, bytes.TrimSpace(b))
	}
}
