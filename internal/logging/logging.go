// Package logging sets up zerolog the same way in every Anjungan process:
// JSON lines to stderr, or a human-readable form when stderr is a terminal.
// Log lines never carry personal data: domain types such as station.NIK
// mask themselves, and callers log codes and ids, not names.
package logging

import (
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// New returns a logger writing to w at the given level ("debug", "info",
// "warn", "error"; "" means info). When w is a terminal the output is the
// console form; otherwise JSON.
func New(w io.Writer, level, service string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		w = zerolog.ConsoleWriter{Out: f, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Str("service", service).Logger()
}
