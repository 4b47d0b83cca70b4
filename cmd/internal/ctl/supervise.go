package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/anjungan/anjungan/internal/fault"
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
	alias := fs.String("printer", "", "the card printer: the older form of the PRINTER argument")
	count := fs.Int("count", 0, "number of blank cards loaded")
	first := fs.String("first-serial", "", "serial of the first blank, if printed on them")
	last := fs.String("last-serial", "", "serial of the last blank")
	actor := actorFlag(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	printer, err := object(fs, "PRINTER", *alias, "card-1")
	if err != nil {
		return nil, err
	}
	if *count <= 0 {
		return nil, errors.New("-count must be positive")
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		l, err := c.LoadCards(ctx, printerd.Load{Printer: printer, Count: *count, FirstSerial: *first, LastSerial: *last, Actor: *actor})
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

// reasonCodeUsage lists the reason codes and the actions they apply to.
func reasonCodeUsage() string {
	var b strings.Builder
	b.WriteString("why, for reprint and void (required):")
	for _, c := range printerd.ReasonCodes() {
		acts := make([]string, len(c.Actions))
		for i, a := range c.Actions {
			acts[i] = string(a)
		}
		fmt.Fprintf(&b, "\n  %s (%s): %s", c.Code, strings.Join(acts, ", "), c.EN)
	}
	return b.String()
}

func parseJobResolve(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	action := fs.String("action", "", "printed, reprint or void")
	code := fs.String("reason-code", "", reasonCodeUsage())
	note := fs.String("note", "", "optional words; kept in printerd's journal only, never in the audit log, and erasable (job erase-note). Do not name the citizen.")
	serial := fs.String("card-serial", "", "the card's serial (printed, void)")
	actor := actorFlag(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	id, err := object(fs, "JOB", "", "")
	if err != nil {
		return nil, err
	}
	if *action == "" {
		return nil, errors.New("-action is required: printed, reprint or void")
	}
	r := printerd.Resolution{Action: printerd.Action(*action), ReasonCode: printerd.ReasonCode(*code), Note: *note, CardSerial: *serial, Actor: *actor}
	// Checked here too, so a mistyped code is refused before printerd is
	// asked; printerd checks again.
	if err := r.Validate(); err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("%s (%v)", fe.EN, fe.Cause)
		}
		return nil, err
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		r, err := c.Resolve(ctx, printerd.JobID(id), r)
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

// actorCommand parses a command that acts as a named supervisor on one
// object (JOB, PRINTER): the printerd flags, -actor and the object, and
// binds run to them.
func actorCommand(fs *flag.FlagSet, args []string, what string,
	run func(ctx context.Context, c *client.Client, object, actor string) error) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	actor := actorFlag(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	obj, err := object(fs, what, "", "")
	if err != nil {
		return nil, err
	}
	return pd.with(func(ctx context.Context, c *client.Client) error { return run(ctx, c, obj, *actor) }), nil
}

func parseJobEraseNote(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	return actorCommand(fs, args, "JOB", func(ctx context.Context, c *client.Client, job, actor string) error {
		id := printerd.JobID(job)
		erased, err := c.EraseNote(ctx, id, actor)
		if err != nil {
			return err
		}
		if erased {
			fmt.Fprintf(m.Stdout, "the note of %s's resolution is erased\n", id)
		} else {
			fmt.Fprintf(m.Stdout, "%s's resolution has no note to erase\n", id)
		}
		return nil
	})
}

func parseJobRelease(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	return actorCommand(fs, args, "JOB", func(ctx context.Context, c *client.Client, job, actor string) error {
		j, err := c.Release(ctx, printerd.JobID(job), actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s is now %s\n", j.ID, j.State)
		return nil
	})
}

func parsePrinterResume(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	return actorCommand(fs, args, "PRINTER", func(ctx context.Context, c *client.Client, name, actor string) error {
		if err := c.ResumePrinter(ctx, name, actor); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s resumed\n", name)
		return nil
	})
}
