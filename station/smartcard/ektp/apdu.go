package ektp

import (
	"errors"

	"github.com/anjungan/anjungan/station"
)

// Status words the profile tells apart (ISO/IEC 7816-4).
const (
	swOK              = 0x9000
	swEndOfFile       = 0x6282 // end of file reached before Le bytes: a warning, the data is valid
	swAuthFailed      = 0x6300
	swWrongLength     = 0x6700
	swSecurityStatus  = 0x6982
	swConditions      = 0x6985
	swWrongParams     = 0x6A86 // some cards' answer to an offset past the end of the file
	swFileNotFound    = 0x6A82
	swWrongOffset     = 0x6B00 // offset past the end of the file
	swInsNotSupported = 0x6D00
	swClaNotSupported = 0x6E00
)

// maxChain bounds what one command and its GET RESPONSE and resend steps
// may deliver, so a card that keeps answering 61xx cannot hold the reader.
// It counts bytes, not steps: a card that hands out 16 bytes a step is
// read like one that hands out 256. Every answer counts at least
// minStepCost bytes, so answers without data cannot loop either (at most
// maxChain/minStepCost of them).
const (
	maxChain    = maxEFLen
	minStepCost = 16
)

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

// exchange sends cmd and follows ISO/IEC 7816-4 chaining: 61xx means xx
// more bytes (00: up to 256) wait for a GET RESPONSE; 6Cxx means the Le
// was wrong and the last command goes again with Le = xx, keeping what
// the chain already delivered. It returns the data of the whole chain
// and the final status word. A transport error means the card is gone.
func exchange(ch Channel, cmd []byte) ([]byte, uint16, error) {
	var data []byte
	budget := maxChain
	for {
		rsp, err := ch.Transmit(cmd)
		if err != nil {
			return nil, 0, station.ErrCardUnreadable.With(err)
		}
		d, sw, err := splitResponse(rsp)
		if err != nil {
			return nil, 0, station.ErrCardUnreadable.With(err)
		}
		if budget -= max(len(d), minStepCost); budget < 0 {
			return nil, 0, station.ErrCardUnreadable.Withf("a chain of more than %d bytes", maxChain)
		}
		switch sw >> 8 {
		case 0x61:
			data = append(data, d...)
			cmd = []byte{0x00, 0xC0, 0x00, 0x00, byte(sw)} // GET RESPONSE
		case 0x6C:
			// 6Cxx carries no data of its own.
			if !hasLe(cmd) {
				return nil, sw, ErrNotEKTP.Withf("6Cxx to a command without Le")
			}
			cmd = append(cmd[:len(cmd)-1:len(cmd)-1], byte(sw)) // same command, right Le
		default:
			return append(data, d...), sw, nil
		}
	}
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
