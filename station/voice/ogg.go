package voice

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Info is what Inspect found in an Ogg Opus stream.
type Info struct {
	Channels  int
	InputRate int           // the sample rate the encoder was given
	Duration  time.Duration // from the last page's granule position, less the pre-skip
	Pages     int
}

// Errors of Inspect, by failure mode.
var (
	ErrNotOgg        = errors.New("voice: not an Ogg stream (no OggS capture pattern)")
	ErrPageTruncated = errors.New("voice: Ogg page cut short")
	ErrNotOpus       = errors.New("voice: first packet is not OpusHead")
	ErrNoAudio       = errors.New("voice: no audio after the headers")
	ErrTooLong       = errors.New("voice: granule position beyond an hour")
)

const maxGranule = 3600 * 48000

// Inspect checks that b is an Ogg stream whose first packet is an Opus
// identification header (RFC 7845) and returns its length. It reads
// only b and allocates nothing in proportion to what the pages claim.
func Inspect(b []byte) (Info, error) {
	var info Info
	var granule int64 = -1
	preSkip := 0
	for off := 0; off < len(b); {
		// RFC 3533: "OggS", version, flags, granule(8), serial(4), seq(4), crc(4), segments(1), lacing.
		if !bytes.HasPrefix(b[off:], []byte("OggS")) {
			return info, fmt.Errorf("%w at byte %d", ErrNotOgg, off)
		}
		if len(b)-off < 27 {
			return info, ErrPageTruncated
		}
		nseg := int(b[off+26])
		if len(b)-off < 27+nseg {
			return info, ErrPageTruncated
		}
		size := 0
		for _, l := range b[off+27 : off+27+nseg] {
			size += int(l)
		}
		body := off + 27 + nseg
		if len(b)-body < size {
			return info, ErrPageTruncated
		}
		if info.Pages == 0 {
			p := b[body : body+size]
			if len(p) < 19 || !bytes.Equal(p[:8], []byte("OpusHead")) {
				return info, ErrNotOpus
			}
			info.Channels = int(p[9])
			preSkip = int(binary.LittleEndian.Uint16(p[10:12]))
			info.InputRate = int(binary.LittleEndian.Uint32(p[12:16]))
		}
		if g := int64(binary.LittleEndian.Uint64(b[off+6 : off+14])); g != -1 {
			granule = g
		}
		info.Pages++
		off = body + size
	}
	if info.Pages == 0 {
		return info, ErrNotOgg
	}
	// Opus granules count 48 kHz samples, whatever the input rate.
	if info.Pages < 3 || granule <= int64(preSkip) {
		return info, ErrNoAudio
	}
	// A phrase lasts seconds; a larger granule is corrupt, and would
	// overflow the Duration.
	if granule-int64(preSkip) > maxGranule {
		return info, ErrTooLong
	}
	info.Duration = time.Duration(granule-int64(preSkip)) * time.Second / 48000
	return info, nil
}
