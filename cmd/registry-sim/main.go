// Command registry-sim simulates the upstream civil registry for
// development and tests: a synthetic population, approvals with one-time
// PINs and signed QR tickets, on the station's upstream contract v1.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/cmd/internal/registrysim"
)

func main() {
	m := registrysim.NewMain()
	if err := m.ParseFlags(os.Args[1:]); err != nil {
		os.Exit(cli.ExitCode(err)) // ParseFlags printed the usage, and what is wrong
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "registry-sim:", err)
		os.Exit(1)
	}
	<-ctx.Done()
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "registry-sim:", err)
		os.Exit(1)
	}
}
