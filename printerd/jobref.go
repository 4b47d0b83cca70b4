package printerd

import "crypto/sha256"

// refAlphabet has no 0/O or 1/I, which a citizen reading a screen and an
// officer typing it would confuse; 32 symbols, 5 bits each.
const refAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// RefLen is the length of a job reference.
const RefLen = 6

// JobRef is the short reference of a job that a citizen reads off the
// kiosk and an officer finds on the console: 6 symbols from refAlphabet,
// taken from the SHA-256 of the id, so it needs no storage and is the
// same wherever it is computed. 30 bits make a clash between two jobs of
// one kiosk's day negligible; the console shows the full id beside it.
// An empty id has no reference.
func JobRef(id JobID) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("anjungan/job-ref/v1\x00" + string(id)))
	v := uint64(sum[0])<<32 | uint64(sum[1])<<24 | uint64(sum[2])<<16 | uint64(sum[3])<<8 | uint64(sum[4])
	b := make([]byte, RefLen)
	for i := range b {
		b[i] = refAlphabet[v>>(35-5*uint(i+1))&31]
	}
	return string(b)
}
