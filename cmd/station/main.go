// Command station serves the citizen kiosk and the supervisors' console.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/cmd/internal/station"
)

func main() {
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
	<-ctx.Done()
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "station:", err)
		os.Exit(1)
	}
}
