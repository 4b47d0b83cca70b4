package http

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// pinForm is the lift form as the supervisor filled it, kept when it is
// refused; Problem names the field that is wrong.
type pinForm struct {
	NIK     string
	Reason  station.PINLiftReason
	Problem string // "nik" or "reason"
	Message string
}

// errPINsOff is a lift on a station that cannot lift (no upstream client).
var errPINsOff = fault.New("pin_lift_unavailable",
	"Anjungan ini tidak dapat membuka blokir PIN.",
	"This kiosk cannot lift PIN lockouts.")

func (s *Console) pins(c *fiber.Ctx) error {
	return s.showPins(c, fiber.StatusOK, pinForm{}, nil)
}

func (s *Console) showPins(c *fiber.Ctx, status int, f pinForm, lifted *station.PINLift) error {
	return s.render(c, status, "pins", map[string]any{"Form": f, "Reasons": station.PINLiftReasons(), "Lifted": lifted,
		"LangPath": "/pins"})
}

// liftPIN lifts a NIK's PIN lockout at the kiosk and the upstream. The
// NIK is a POST field, never in a URL; the audit entry holds its keyed
// hash as the subject and the reason code, never the digits. A refused
// form comes back with what was typed and the wrong field marked.
func (s *Console) liftPIN(c *fiber.Ctx) error {
	ctx, cancel := bounded(c)
	defer cancel()
	lang := langOf(c)
	f := pinForm{NIK: strings.TrimSpace(c.FormValue("nik")), Reason: station.PINLiftReason(c.FormValue("reason"))}
	nik, err := station.ParseNIK(f.NIK)
	switch {
	case err != nil:
		f.Problem, f.Message = "nik", fault.As(err).Message(lang)
	case !f.Reason.Known():
		f.Problem, f.Message = "reason", station.ErrPINLiftReason.Message(lang)
	}
	if f.Problem != "" {
		subject := ""
		if err == nil {
			subject = s.d.Audit.SubjectOf(nik)
		}
		if err := s.auditView(ctx, c, "console.pin_lift", subject, map[string]string{"outcome": "refused", "problem": f.Problem}); err != nil {
			s.log.Error().Err(err).Msg("console: audit PIN lift")
		}
		return s.showPins(c, fiber.StatusBadRequest, f, nil)
	}
	if s.d.PINs == nil {
		return s.fail(c, errPINsOff.Withf("no PIN lockouts"))
	}
	lifted, err := s.d.PINs.LiftPINLockout(ctx, nik, f.Reason)
	fields := map[string]string{"reason": string(f.Reason), "kiosk": yesNo(lifted.Kiosk), "upstream": yesNo(lifted.Upstream)}
	if err := s.auditView(ctx, c, "console.pin_lift", s.d.Audit.SubjectOf(nik), withOutcome(fields, err)); err != nil {
		s.log.Error().Err(err).Msg("console: audit PIN lift")
	}
	if err != nil {
		f.Message = fault.As(err).Message(lang)
		s.log.Warn().Str("code", string(fault.As(err).Code)).Err(fault.As(err).Cause).Msg("console: PIN lift failed")
		return s.showPins(c, consoleStatus(fault.As(err)), f, nil)
	}
	return s.showPins(c, fiber.StatusOK, pinForm{}, &lifted)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// withOutcome adds the outcome, and the error's code, to an entry's fields.
func withOutcome(fields map[string]string, err error) map[string]string {
	fields["outcome"] = "ok"
	if err != nil {
		fields["outcome"] = "failed"
		fields["error"] = string(fault.As(err).Code)
	}
	return fields
}
