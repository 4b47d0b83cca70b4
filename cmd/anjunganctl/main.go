// Command anjunganctl is the operators' and vendors' command line.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/cmd/internal/ctl"
)

func main() {
	m := ctl.NewMain()
	if err := m.ParseFlags(os.Args[1:]); err != nil {
		os.Exit(cli.ExitCode(err)) // ParseFlags printed the usage, and what is wrong
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := m.Run(ctx)
	m.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "anjunganctl:", err)
		os.Exit(1)
	}
}
