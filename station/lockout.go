package station

import (
	"errors"
	"fmt"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// Lockout is the cause of an ErrTooManyAttempts that knows when attempts
// are allowed again. The kiosk tells the citizen that time in the hall's
// zone (Hall.Locked), so nobody stands at the screen retrying.
type Lockout struct {
	Until time.Time
	Why   string // internal: which limit, never personal data
}

func (l Lockout) Error() string {
	return l.Why + "; locked until " + l.Until.UTC().Format(time.RFC3339)
}

// Locked rewrites a refusal for too many attempts to name the lockout's end
// in the hall's time zone and send the citizen to an officer; any other
// error is returned as it is. A lockout without an end (the upstream's own
// limit) keeps its message, which already says to ask an officer.
func (h Hall) Locked(err error) error {
	var l Lockout
	if !errors.Is(err, ErrTooManyAttempts) || !errors.As(err, &l) {
		return err
	}
	e := ErrTooManyAttempts.With(fault.As(err).Cause)
	at := h.Time(l.Until)
	e.ID = fmt.Sprintf("Terlalu banyak PIN yang salah. Masuk dengan NIK ini terkunci sampai %s. Silakan minta bantuan petugas.", at)
	e.EN = fmt.Sprintf("Too many wrong PINs. Signing in with this NIK is locked until %s. Please ask an officer for help.", at)
	return e
}
