package ektp

import "bytes"

// ATRHint is what an ATR suggests about a card. It is a hint only: e-KTP
// ATRs vary by chip vendor and batch, so an unknown ATR is still read, and
// only a card known to be something else is refused without a read.
type ATRHint struct {
	Name  string
	EKTP  bool // known e-KTP (or the emulation profile's card)
	Known bool
}

// atrs is a small table from public sources (pcsc-tools'
// smartcard_list.txt) plus the virtual chips.
var atrs = []struct {
	atr  []byte
	hint ATRHint
}{
	{VirtualCardATR, ATRHint{Name: "e-KTP (NXP smart eID)", EKTP: true}},
	{[]byte{0x3B, 0x8A, 0x80, 0x01, 0x30, 0x37, 0x39, 0x31, 0x34, 0x31, 0x5F, 0x30, 0x30, 0x31, 0x6F}, ATRHint{Name: "e-KTP", EKTP: true}},
	{[]byte{0x3B, 0x8B, 0x80, 0x01, 0x50, 0x33, 0x30, 0x38, 0x47, 0x30, 0x50, 0x33, 0x5F, 0x31, 0x30, 0x2B}, ATRHint{Name: "e-KTP", EKTP: true}},
	{VirtualSAMATR, ATRHint{Name: "SAM (emulation profile)"}},
	{[]byte{0x3B, 0x88, 0x80, 0x01, 0x31, 0x01, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30}, ATRHint{Name: "SIM (driving licence)"}},
	{[]byte{0x3B, 0x6B, 0x00, 0x00, 0x00, 0x31, 0xC0, 0x64, 0xBC, 0x02, 0x01, 0x00, 0x82, 0x90, 0x00}, ATRHint{Name: "Flazz BCA"}},
}

// HintATR looks atr up in the table.
func HintATR(atr []byte) ATRHint {
	for _, a := range atrs {
		if bytes.Equal(a.atr, atr) {
			h := a.hint
			h.Known = true
			return h
		}
	}
	return ATRHint{Name: "unknown card"}
}

// CheckATR refuses a card the table knows is not an e-KTP, before any
// APDU; it lets unknown cards through to the read.
func CheckATR(atr []byte) error {
	if h := HintATR(atr); h.Known && !h.EKTP {
		return ErrNotEKTP.Withf("ATR % X is a %s", atr, h.Name)
	}
	return nil
}
