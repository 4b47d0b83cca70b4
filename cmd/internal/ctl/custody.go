package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

func parseCardsReverse(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	reason := fs.String("reason", "", "what was wrong with the load (required; no personal data)")
	actor := actorFlag(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	arg, err := object(fs, "LOAD", "", "")
	if err != nil {
		return nil, err
	}
	seq, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || seq <= 0 {
		return nil, errors.New("LOAD is the load's number (anjunganctl cards loads)")
	}
	if *reason == "" {
		return nil, errors.New("-reason is required")
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		r, err := c.ReverseLoad(ctx, printerd.LoadReversal{Load: seq, Reason: *reason, Actor: *actor})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "reversed load %d (%d cards on %s) by %s; record the right load with cards load\n", r.Load, r.Count, r.Printer, r.Actor)
		return nil
	}), nil
}

func parseCardsLoads(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	printer, err := object(fs, "PRINTER", "", "card-1")
	if err != nil {
		return nil, err
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		ls, err := c.Loads(ctx, printer)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "LOAD\tCOUNT\tFIRST\tLAST\tACTOR\tREVERSED")
		for _, l := range ls {
			fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\t%v\n", l.Seq, l.Count, dash(l.FirstSerial), dash(l.LastSerial), l.Actor, l.Reversed)
		}
		return w.Flush()
	}), nil
}

func parseCardsSpoiled(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	all := fs.Bool("all", false, "also the cards already destroyed")
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	printer, err := object(fs, "PRINTER", "", "card-1")
	if err != nil {
		return nil, err
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		cards, err := c.SpoiledCards(ctx, printer, !*all)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ENTRY\tCAUSE\tSERIAL\tJOB\tDESTROYED")
		for _, s := range cards {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", s.Seq, s.Cause, dash(s.CardSerial), dash(string(s.Job)), dash(s.Destruction))
		}
		return w.Flush()
	}), nil
}

func parseCardsReconcile(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	actor := actorFlag(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	printer, err := object(fs, "PRINTER", "", "card-1")
	if err != nil {
		return nil, err
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		r, err := c.Reconcile(ctx, printer, *actor)
		if err != nil {
			return err
		}
		switch {
		case r.Baseline:
			fmt.Fprintf(m.Stdout, "%s: counter %d recorded as the baseline\n", r.Printer, r.Counter)
		case r.Balanced():
			fmt.Fprintf(m.Stdout, "%s: counter %d agrees with the ledger\n", r.Printer, r.Counter)
		default:
			fmt.Fprintf(m.Stdout, "%s: DIFFERENCE of %d cards between the printer's counter (%d) and the ledger\n", r.Printer, r.Difference, r.Counter)
		}
		return nil
	}), nil
}
