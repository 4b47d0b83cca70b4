// Command fleethub is the fleet hub: kiosks send it their events over
// mutual TLS and it stores them in PostgreSQL. See cmd/internal/fleethub
// for the flags and docs/fleet.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/cmd/internal/fleethub"
)

func main() { os.Exit(run()) }

func run() int {
	m := fleethub.NewMain()
	if err := m.ParseFlags(os.Args[1:]); err != nil {
		return cli.ExitCode(err) // ParseFlags printed the usage, and what is wrong
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		m.Close()
		return 1
	}
	<-ctx.Done()
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
