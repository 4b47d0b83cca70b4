package station

import "fmt"

// Finger is the finger the fingerprint screen asks for, named as the
// finger positions of ISO/IEC 19794-2 (1 right thumb … 10 left little).
// The simulated sensor does not say which finger it expects, and the
// upstream sends no enrolment detail, so it is a station setting: the
// finger enrolled at the KTP-el recording, by default the right index.
type Finger string

// The fingers, in ISO/IEC 19794-2 order.
const (
	FingerRightThumb  Finger = "right-thumb"
	FingerRightIndex  Finger = "right-index"
	FingerRightMiddle Finger = "right-middle"
	FingerRightRing   Finger = "right-ring"
	FingerRightLittle Finger = "right-little"
	FingerLeftThumb   Finger = "left-thumb"
	FingerLeftIndex   Finger = "left-index"
	FingerLeftMiddle  Finger = "left-middle"
	FingerLeftRing    Finger = "left-ring"
	FingerLeftLittle  Finger = "left-little"
)

// Fingers lists every finger, in ISO/IEC 19794-2 order.
var Fingers = []Finger{FingerRightThumb, FingerRightIndex, FingerRightMiddle, FingerRightRing, FingerRightLittle,
	FingerLeftThumb, FingerLeftIndex, FingerLeftMiddle, FingerLeftRing, FingerLeftLittle}

// DefaultFinger is the finger asked for when the station sets none.
const DefaultFinger = FingerRightIndex

// ParseFinger checks a finger's name.
func ParseFinger(s string) (Finger, error) {
	for _, f := range Fingers {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("station: finger %q is not one of %v", s, Fingers)
}
