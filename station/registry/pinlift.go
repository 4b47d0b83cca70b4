package registry

import (
	"context"
	"net/http"

	"github.com/anjungan/anjungan/station"
)

var _ station.PINLockouts = (*Client)(nil)

// Lift forgets the NIK's wrong PINs at this kiosk and reports whether
// there were any.
func (l *PINLimit) Lift(nik station.NIK) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.subject(nik)
	had := len(recent(l.byNIK[k], l.now(), l.NIKWindow)) > 0
	delete(l.byNIK, k)
	return had
}

// decodePINLift reads the upstream's answer to a lift: {"lifted": bool},
// nothing else. Anything else is ErrUpstreamInvalid.
func decodePINLift(b []byte) (bool, error) {
	var res struct {
		Lifted *bool `json:"lifted"`
	}
	if err := decodeJSON(b, &res); err != nil {
		return false, err
	}
	if res.Lifted == nil {
		return false, station.ErrUpstreamInvalid.Withf("lift answered without lifted")
	}
	return *res.Lifted, nil
}

type pinLiftRequest struct {
	NIK    string                `json:"nik"`
	Reason station.PINLiftReason `json:"reason"`
}

// LiftPINLockout lifts a NIK's PIN lockout, a supervisor's decision
// (docs/upstream.md, "Lifting a PIN lockout"): the kiosk's count first,
// then the upstream's. The upstream's answer is idempotent (lifting
// twice lifts nothing more), so the call is retried like a GET.
func (c *Client) LiftPINLockout(ctx context.Context, nik station.NIK, reason station.PINLiftReason) (station.PINLift, error) {
	if nik.IsZero() {
		return station.PINLift{}, station.ErrNIKInvalid.Withf("no NIK")
	}
	if !reason.Known() {
		return station.PINLift{}, station.ErrPINLiftReason.Withf("reason %q", reason)
	}
	var out station.PINLift
	if c.PINLimit != nil {
		out.Kiosk = c.PINLimit.Lift(nik)
	}
	body, err := c.call(ctx, http.MethodPost, "/v1/pin-lockouts/lift", pinLiftRequest{NIK: nik.Reveal(), Reason: reason}, true)
	if err != nil {
		return out, err
	}
	if out.Upstream, err = decodePINLift(body); err != nil {
		return out, err
	}
	c.log.Info().Bool("kiosk", out.Kiosk).Bool("upstream", out.Upstream).Str("reason", string(reason)).Msg("PIN lockout lifted")
	return out, nil
}
