package registrysim

import (
	"net/http"
	"time"

	"github.com/anjungan/anjungan/station"
)

// fingerprintApproval answers a card_fingerprint login: the station read
// the NIK from a verified e-KTP and matched the holder's fingerprint
// itself, so there is no PIN to check. The upstream takes that assertion
// only from a station that authenticated with a client certificate, and
// opens the holder's oldest open approval (the first to expire). The
// approval's token is burned as for any login, once every request of it
// is printed and confirmed.
func (s *server) fingerprintApproval(r *http.Request, nikText, pin, matcher string, now time.Time) (approvalRecord, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return approvalRecord{}, errClientNotTrusted.Withf("card_fingerprint without a client certificate")
	}
	nik, err := station.ParseNIK(nikText)
	if err != nil || pin != "" || !validMatcher(matcher) {
		return approvalRecord{}, errBadRequest.Withf("card_fingerprint needs a valid NIK, a matcher id and no PIN")
	}
	as, err := s.store.approvalsByNIK(r.Context(), nik.Reveal())
	if err != nil {
		return approvalRecord{}, err
	}
	burned := false
	for _, a := range as { // oldest first
		if !now.Before(a.Expires) {
			continue
		}
		if !a.Burned {
			s.log.Info().Str("approval", a.ID).Str("matcher", matcher).Msg("fingerprint login")
			return a, nil
		}
		burned = true
	}
	if burned {
		return approvalRecord{}, station.ErrTicketUsed.Withf("every live approval of the NIK is printed")
	}
	return approvalRecord{}, station.ErrNothingToPrint.Withf("no live approval for the NIK")
}

// validMatcher checks a matcher id: 1 to 64 of [A-Za-z0-9_.-].
func validMatcher(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
