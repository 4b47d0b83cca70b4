package ektp

import (
	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// Quirk is one way a card or reader follows ISO/IEC 7816-4 differently
// from the read sequence's T=0 card, as the virtual card plays it, and
// what a reader that follows docs/card-profile.md makes of it. The tests
// tap each one directly and through the real pcscd, and FuzzRead starts
// from each one's transcript.
type Quirk struct {
	Name      string
	Behaviour Behaviour
	RecordLen int        // the record's exact length; 0: its natural one
	Want      fault.Code // "": the card is read
}

// Quirks lists the card behaviours the reader handles.
var Quirks = []Quirk{
	{Name: "t0_long_record", RecordLen: 600},
	{Name: "61xx_16_byte_steps", Behaviour: Behaviour{ChainStep: 16}, RecordLen: 600},
	{Name: "6cxx_mid_chain", Behaviour: Behaviour{ChainStep: 16, WrongLeMidChain: true}, RecordLen: 600},
	{Name: "223_byte_chunks", Behaviour: Behaviour{Chunk: 223}, RecordLen: 600},
	{Name: "6282_on_first_read", Behaviour: Behaviour{EOFWarning: true}},
	{Name: "6282_on_last_chunk", Behaviour: Behaviour{EOFWarning: true}, RecordLen: 600},
	{Name: "record_on_boundary_6b00", Behaviour: Behaviour{PastEnd: swWrongOffset}, RecordLen: 512},
	{Name: "record_on_boundary_6a86", Behaviour: Behaviour{PastEnd: swWrongParams}, RecordLen: 512},
	{Name: "record_on_boundary_empty", Behaviour: Behaviour{PastEnd: swOK}, RecordLen: 512},
	// A file that ends at a boundary before its record does: the card
	// said where the file ends, and what it holds is no whole record.
	{Name: "file_cut_at_boundary_6b00", Behaviour: Behaviour{PastEnd: swWrongOffset, FileSize: 512}, RecordLen: 600, Want: ErrCardNotGenuine.Code},
	{Name: "file_cut_at_boundary_6a86", Behaviour: Behaviour{PastEnd: swWrongParams, FileSize: 512}, RecordLen: 600, Want: ErrCardNotGenuine.Code},
	{Name: "file_cut_at_boundary_empty", Behaviour: Behaviour{PastEnd: swOK, FileSize: 512}, RecordLen: 600, Want: ErrCardNotGenuine.Code},
	{Name: "whole_record_in_one_answer", Behaviour: Behaviour{WholeFile: true}, RecordLen: 600},
	{Name: "padded_ef_00", Behaviour: Behaviour{FileSize: 1024, Pad: 0x00}},
	{Name: "padded_ef_ff", Behaviour: Behaviour{FileSize: 1024, Pad: 0xFF}},
	{Name: "get_challenge_6985_once", Behaviour: Behaviour{RefuseChallenge: []uint16{swConditions}}},
	{Name: "external_authenticate_6982_once", Behaviour: Behaviour{RefuseAuth: []uint16{swSecurityStatus}}},
	{Name: "get_challenge_6985_twice", Behaviour: Behaviour{RefuseChallenge: []uint16{swConditions, swConditions}}, Want: station.ErrCardUnreadable.Code},
	{Name: "external_authenticate_6982_twice", Behaviour: Behaviour{RefuseAuth: []uint16{swSecurityStatus, swSecurityStatus}}, Want: station.ErrCardUnreadable.Code},
	// GET CHALLENGE (the 5th command) is never answered: the reader's
	// APDU time limit ends the read. Only a reader with a limit can
	// play it.
	{Name: "never_answers", Behaviour: Behaviour{MuteAt: 5}, Want: station.ErrCardUnreadable.Code},
}
