// Command printerd is Anjungan's print daemon: a durable job journal,
// printer drivers and a JSON API on a unix socket. See
// cmd/internal/printerd for the flags.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/cmd/internal/printerd"
	"github.com/anjungan/anjungan/cmd/internal/systemd"
)

func main() { os.Exit(run()) }

func run() int {
	m := printerd.NewMain()
	if err := m.ParseFlags(os.Args[1:]); err != nil {
		return cli.ExitCode(err) // ParseFlags printed the usage, and what is wrong
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Run returned once listening: under systemd (Type=notify) the units
	// ordered after this one start now.
	if err := systemd.Notify(os.Getenv(systemd.NotifySocket), systemd.Ready); err != nil {
		fmt.Fprintln(os.Stderr, "printerd: telling systemd it is ready:", err)
	}
	<-ctx.Done()
	_ = systemd.Notify(os.Getenv(systemd.NotifySocket), systemd.Stopping)
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
