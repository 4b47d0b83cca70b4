package ektp

import (
	"errors"
	"fmt"

	"github.com/anjungan/anjungan/station"
)

// Status words the profile tells apart.
const (
	swOK              = 0x9000
	swWrongLength     = 0x6700
	swSecurityStatus  = 0x6982
	swAuthFailed      = 0x6300
	swFileNotFound    = 0x6A82
	swWrongOffset     = 0x6B00
	swWrongParams     = 0x6A86
	swInsNotSupported = 0x6D00
	swClaNotSupported = 0x6E00
)

// maxChained caps the GET RESPONSE / resend steps of one command, so a
// card that keeps answering 61xx cannot hold the reader forever.
const maxChained = 16

// ErrShortResponse is the cause when a response has no status word: vpcd
// and some readers answer a command interrupted by card removal with
// success and no bytes.
var ErrShortResponse = errors.New("ektp: response shorter than a status word (card lost)")

// splitResponse splits a response APDU into data and status word.
func splitResponse(rsp []byte) ([]byte, uint16, error) {
	if len(rsp) < 2 {
		return nil, 0, ErrShortResponse
	}
	n := len(rsp) - 2
	return rsp[:n], uint16(rsp[n])<<8 | uint16(rsp[n+1]), nil
}

// exchange sends cmd and follows T=0 conventions: 61xx means xx more
// bytes wait for a GET RESPONSE; 6Cxx means the Le was wrong and the
// command must be sent again with Le = xx. It returns the data and the
// final status word. A transport error means the card is gone.
func exchange(ch Channel, cmd []byte) ([]byte, uint16, error) {
	var data []byte
	for i := 0; i < maxChained; i++ {
		rsp, err := ch.Transmit(cmd)
		if err != nil {
			return nil, 0, station.ErrCardUnreadable.With(err)
		}
		d, sw, err := splitResponse(rsp)
		if err != nil {
			return nil, 0, station.ErrCardUnreadable.With(err)
		}
		data = append(data, d...)
		switch sw >> 8 {
		case 0x61:
			cmd = []byte{0x00, 0xC0, 0x00, 0x00, byte(sw)} // GET RESPONSE
		case 0x6C:
			if !hasLe(cmd) {
				return nil, sw, fmt.Errorf("ektp: 6Cxx to a command without Le")
			}
			cmd = append(cmd[:len(cmd)-1:len(cmd)-1], byte(sw)) // same command, right Le
			data = data[:0]
		default:
			return data, sw, nil
		}
	}
	return nil, 0, station.ErrCardUnreadable.Withf("more than %d chained responses", maxChained)
}

// hasLe reports whether a short APDU ends with an Le byte (case 2 or 4).
func hasLe(cmd []byte) bool {
	return len(cmd) == 5 || (len(cmd) > 5 && len(cmd) == 6+int(cmd[4]))
}

// Command builders (short APDUs, ISO/IEC 7816-4).

func selectDF(fid uint16) []byte {
	return []byte{0x00, 0xA4, 0x01, 0x0C, 0x02, byte(fid >> 8), byte(fid)}
}
func selectEF(fid uint16) []byte {
	return []byte{0x00, 0xA4, 0x02, 0x0C, 0x02, byte(fid >> 8), byte(fid)}
}
func readBinary(off int, le byte) []byte {
	return []byte{0x00, 0xB0, byte(off >> 8), byte(off), le}
}
func getChallenge() []byte { return []byte{0x00, 0x84, 0x00, 0x00, ChallengeLen} }
func externalAuthenticate(cryptogram []byte) []byte {
	return append([]byte{0x00, 0x82, 0x00, 0x00, byte(len(cryptogram))}, cryptogram...)
}
func samComputeAuth(challenge, serial []byte) []byte {
	cmd := []byte{0x80, 0x8A, 0x00, 0x00, byte(len(challenge) + len(serial))}
	cmd = append(cmd, challenge...)
	cmd = append(cmd, serial...)
	return append(cmd, CryptogramLen)
}
