package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

func actorFlag(fs *flag.FlagSet) *string {
	user := os.Getenv("USER")
	if user == "" {
		user = "operator"
	}
	return fs.String("actor", user, "who does this (recorded in the journal)")
}

func parseCardsLoad(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	printer := fs.String("printer", "card-1", "card printer the blanks go into")
	count := fs.Int("count", 0, "number of blank cards loaded")
	first := fs.String("first-serial", "", "serial of the first blank, if printed on them")
	last := fs.String("last-serial", "", "serial of the last blank")
	actor := actorFlag(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	if *count <= 0 {
		return nil, errors.New("cards load: -count must be positive")
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		l, err := c.LoadCards(ctx, printerd.Load{Printer: *printer, Count: *count, FirstSerial: *first, LastSerial: *last, Actor: *actor})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "recorded %d blank cards loaded into %s by %s\n", l.Count, l.Printer, l.Actor)
		return nil
	}), nil
}

func parseLedger(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		es, err := c.Ledger(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "PRINTER\tLOADED\tPRINTED\tREJECTED\tVOIDED\tREMAINING\tHOPPER\tALERTS")
		for _, e := range es {
			hopper := "-"
			if e.Hopper != nil {
				hopper = fmt.Sprint(*e.Hopper)
			}
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", e.Printer, e.Loaded, e.Printed, e.Rejected, e.Voided, e.Remaining, hopper, dash(strings.Join(e.Alerts, ",")))
		}
		return w.Flush()
	}), nil
}

func parseJobResolve(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	action := fs.String("action", "", "printed, reprint or void")
	reason := fs.String("reason", "", "why (required for reprint and void)")
	serial := fs.String("card-serial", "", "the card's serial (printed, void)")
	actor := actorFlag(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 || *action == "" {
		return nil, errors.New("usage: anjunganctl job resolve -action printed|reprint|void [-reason …] JOB")
	}
	id := printerd.JobID(fs.Arg(0))
	return pd.with(func(ctx context.Context, c *client.Client) error {
		r, err := c.Resolve(ctx, id, printerd.Resolution{Action: printerd.Action(*action), Reason: *reason, CardSerial: *serial, Actor: *actor})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s is now %s\n", r.Job.ID, r.Job.State)
		if r.Reprint != nil {
			fmt.Fprintf(m.Stdout, "reprint queued as %s\n", r.Reprint.ID)
		}
		return nil
	}), nil
}

func parseJobRelease(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	actor := actorFlag(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, errors.New("usage: anjunganctl job release JOB")
	}
	id := printerd.JobID(fs.Arg(0))
	return pd.with(func(ctx context.Context, c *client.Client) error {
		j, err := c.Release(ctx, id, *actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s is now %s\n", j.ID, j.State)
		return nil
	}), nil
}

func parsePrinterResume(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	actor := actorFlag(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, errors.New("usage: anjunganctl printer resume PRINTER")
	}
	name := fs.Arg(0)
	return pd.with(func(ctx context.Context, c *client.Client) error {
		if err := c.ResumePrinter(ctx, name, *actor); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s resumed\n", name)
		return nil
	}), nil
}
