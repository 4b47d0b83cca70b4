package ctl

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

func socketFlag(fs *flag.FlagSet) *string {
	return fs.String("socket", "var/run/printerd.sock", "printerd's unix socket")
}

func parsePrinters(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	sock := socketFlag(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		ps, err := client.New(*sock).Printers(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "PRINTER\tDRIVER\tMEDIA\tSTATE\tREASONS\tSUPPLIES")
		for _, p := range ps {
			var reasons, supplies []string
			for _, r := range p.Status.Reasons {
				reasons = append(reasons, r.Keyword+"-"+string(r.Severity))
			}
			for _, s := range p.Status.Supplies {
				supplies = append(supplies, fmt.Sprintf("%s %d/%d %s", s.Name, s.Level, s.Max, s.Unit))
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Driver, p.Media, p.Status.State, dash(strings.Join(reasons, ",")), dash(strings.Join(supplies, "; ")))
		}
		return w.Flush()
	}, nil
}

func parseJobs(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	sock := socketFlag(fs)
	state := fs.String("state", "", "only jobs in this state (queued, dispatching, printed, held, failed, canceled, in_doubt)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		js, err := client.New(*sock).Jobs(ctx, printerd.JobState(*state))
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "JOB\tDOCUMENT\tSTATE\tREASON\tPRINTER\tCARD SERIAL\tUPDATED")
		for _, j := range js {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Title, j.State, dash(j.Reason), dash(j.Printer), dash(j.CardSerial), j.Updated.Format("2006-01-02 15:04:05"))
		}
		return w.Flush()
	}, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
