// Command station serves the citizen kiosk and the supervisors' console.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/cmd/internal/station"
	"github.com/anjungan/anjungan/cmd/internal/systemd"
)

// memoryLimit is the station's soft memory limit when GOMEMLIMIT does not
// set one. A supervisor's login hashes with argon2id at 64 MiB; with Go's
// default pacing the buffer of the last login was still uncollected when
// the next began, so a login attack held two. The limit makes the
// collector return it first.
const memoryLimit = 80 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	m := station.NewMain()
	if err := m.ParseFlags(os.Args[1:]); err != nil {
		os.Exit(cli.ExitCode(err)) // ParseFlags printed the usage, and what is wrong
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "station:", err)
		os.Exit(1)
	}
	// Run returned once listening: under systemd (Type=notify) the units
	// ordered after this one start now.
	if err := systemd.Notify(os.Getenv(systemd.NotifySocket), systemd.Ready); err != nil {
		fmt.Fprintln(os.Stderr, "station: telling systemd it is ready:", err)
	}
	// SIGTERM, or closing time (-opening-hours): both stop the same way.
	select {
	case <-ctx.Done():
	case <-m.Done():
	}
	_ = systemd.Notify(os.Getenv(systemd.NotifySocket), systemd.Stopping)
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "station:", err)
		os.Exit(1)
	}
}
