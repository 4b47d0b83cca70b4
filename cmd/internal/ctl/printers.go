package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// printerdTarget is where a command reaches printerd: its unix socket on
// this machine, or its mTLS TCP listener (-printerd-url) on another.
type printerdTarget struct {
	socket, url, ca, cert, key *string
}

func printerdFlags(fs *flag.FlagSet) *printerdTarget {
	return &printerdTarget{
		socket: fs.String("socket", "var/run/printerd.sock", "printerd's unix socket"),
		url:    fs.String("printerd-url", "", "printerd's mTLS listener, https://HOST:PORT, instead of -socket"),
		ca:     fs.String("printerd-ca", "var/certs/ca.crt", "CA that issued printerd's certificate (with -printerd-url)"),
		cert:   fs.String("printerd-cert", "var/certs/printerd-client.crt", "client certificate for printerd (with -printerd-url)"),
		key:    fs.String("printerd-key", "var/certs/printerd-client.key", "client key for printerd (with -printerd-url)"),
	}
}

// parse parses args and refuses a URL printerd cannot serve and a choice
// of both ways.
func (p *printerdTarget) parse(fs *flag.FlagSet, args []string) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *p.url == "" {
		return nil
	}
	if err := p.target().Check(); err != nil {
		return fmt.Errorf("-printerd-url: %w", err)
	}
	socketSet := false
	fs.Visit(func(f *flag.Flag) { socketSet = socketSet || f.Name == "socket" })
	if socketSet {
		return errors.New("give -socket or -printerd-url, not both")
	}
	return nil
}

func (p *printerdTarget) target() client.Target {
	return client.Target{Socket: *p.socket, URL: *p.url, CA: *p.ca, Cert: *p.cert, Key: *p.key}
}

// client reads the certificates only when a command runs.
func (p *printerdTarget) client() (*client.Client, error) {
	c, err := p.target().Client()
	if err != nil {
		return nil, fmt.Errorf("%w (anjunganctl keys init makes the development certificates)", err)
	}
	return c, nil
}

// with makes a command that runs f with a client of printerd.
func (p *printerdTarget) with(f func(context.Context, *client.Client) error) func(context.Context) error {
	return func(ctx context.Context) error {
		c, err := p.client()
		if err != nil {
			return err
		}
		return f(ctx, c)
	}
}

func parsePrinters(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		ps, err := c.Printers(ctx)
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
	}), nil
}

func parseJobs(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pd := printerdFlags(fs)
	state := fs.String("state", "", "only jobs in this state (queued, dispatching, printed, held, failed, canceled, in_doubt)")
	if err := pd.parse(fs, args); err != nil {
		return nil, err
	}
	return pd.with(func(ctx context.Context, c *client.Client) error {
		js, err := c.Jobs(ctx, printerd.JobState(*state))
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "JOB\tDOCUMENT\tSTATE\tREASON\tPRINTER\tCARD SERIAL\tUPDATED")
		for _, j := range js {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Title, j.State, dash(j.Reason), dash(j.Printer), dash(j.CardSerial), j.Updated.Format("2006-01-02 15:04:05"))
		}
		return w.Flush()
	}), nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
