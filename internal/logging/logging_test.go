package logging_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/logging"
	"github.com/anjungan/anjungan/station"
)

// TestNoNIKInLogs logs a NIK through every zerolog path a caller might
// use and checks that only the masked form reaches the output.
func TestNoNIKInLogs(t *testing.T) {
	const raw, masked = "3174011201850001", "3174********0001"
	n := station.MustParseNIK(raw)
	type visit struct {
		Subject station.NIK
		Doc     string
	}
	paths := map[string]func(l zerolog.Logger){
		"Stringer":  func(l zerolog.Logger) { l.Info().Stringer("nik", n).Msg("x") },
		"Str":       func(l zerolog.Logger) { l.Info().Str("nik", n.String()).Msg("x") },
		"Interface": func(l zerolog.Logger) { l.Info().Interface("nik", n).Msg("x") },
		"Any":       func(l zerolog.Logger) { l.Info().Any("visit", visit{n, "kk"}).Msg("x") },
		"Fields":    func(l zerolog.Logger) { l.Info().Fields(map[string]any{"nik": n}).Msg("x") },
		"Msgf":      func(l zerolog.Logger) { l.Info().Msgf("login of %v / %+v / %s", n, visit{n, "kk"}, n) },
		"Err":       func(l zerolog.Logger) { l.Warn().Err(station.ErrSubjectMismatch.Withf("subject %v", n)).Msg("x") },
		"Context":   func(l zerolog.Logger) { c := l.With().Stringer("nik", n).Logger(); c.Info().Msg("x") },
	}
	for name, log := range paths {
		var buf bytes.Buffer
		log(logging.New(&buf, "debug", "test"))
		out := buf.String()
		if strings.Contains(out, raw) {
			t.Errorf("%s: the NIK reached the log: %s", name, out)
		}
		if !strings.Contains(out, masked) {
			t.Errorf("%s: %s lacks the masked NIK", name, out)
		}
		var line map[string]any
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["service"] != "test" {
			t.Errorf("%s: not a JSON line with the service name: %s", name, out)
		}
	}
}

func TestLevel(t *testing.T) {
	var buf bytes.Buffer
	l := logging.New(&buf, "warn", "test")
	l.Info().Msg("hidden")
	l.Warn().Msg("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Errorf("level warn: %s", buf.String())
	}
}
