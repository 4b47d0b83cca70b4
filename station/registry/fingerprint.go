package registry

import (
	"context"
	"net/http"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

var _ station.FingerprintRegistry = (*Client)(nil)

type fingerprintLoginRequest struct {
	Method  station.AuthMethod `json:"method"`
	NIK     string             `json:"nik"`
	Matcher string             `json:"matcher"`
}

// AuthenticateCardFingerprint logs in with the NIK read from a verified
// e-KTP whose holder's fingerprint the station matched with matcher (no
// PIN). The upstream trusts the assertion because the station is an
// authenticated mTLS client; it opens the holder's oldest open approval.
// Never retried, like every login.
func (c *Client) AuthenticateCardFingerprint(ctx context.Context, nik station.NIK, matcher string) (station.Authorization, error) {
	if nik.IsZero() {
		return station.Authorization{}, station.ErrCredentialsRejected.Withf("NIK missing")
	}
	if !validID(matcher) || len(matcher) > 64 {
		return station.Authorization{}, fault.Internal.Withf("matcher id %q", matcher)
	}
	method := station.AuthCardFingerprint
	body, err := c.call(ctx, http.MethodPost, "/v1/authorizations",
		fingerprintLoginRequest{Method: method, NIK: nik.Reveal(), Matcher: matcher}, false)
	if err != nil {
		return station.Authorization{}, err
	}
	a, err := decodeAuthorization(body, method)
	if err != nil {
		return station.Authorization{}, err
	}
	if a.Subject != nik {
		return station.Authorization{}, station.ErrSubjectMismatch.Withf("authorization for %s, asked for %s", a.Subject, nik)
	}
	c.log.Info().Str("authorization", a.ID).Stringer("subject", a.Subject).Int("requests", len(a.Requests)).
		Str("method", string(method)).Str("matcher", matcher).Msg("NIK login")
	return a, nil
}
