package ctl

import (
	"context"
	"flag"
	"fmt"
	"runtime/debug"

	"github.com/anjungan/anjungan/cmd/internal/backup"
)

func parseBackup(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	varDir := fs.String("var", "var", "the kiosk's data folder (keys/, certs/, station/, printerd/)")
	stationDB := fs.String("station-db", "", "the station's database (default: VAR/station/station.db)")
	printerdData := fs.String("printerd-data", "", "printerd's -data folder (default: VAR/printerd)")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	dir, err := object(fs, "backup folder", "", "")
	if err != nil {
		return nil, err
	}
	src := backup.SourceIn(*varDir)
	if *stationDB != "" {
		src.StationDB = *stationDB
	}
	if *printerdData != "" {
		src.PrinterdData = *printerdData
	}
	return func(ctx context.Context) error {
		mf, err := backup.Taker{Now: m.Now, Version: buildVersion()}.Take(ctx, src, dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "backup: %s (%d files)\n", dir, len(mf.Files))
		for _, d := range mf.Databases {
			fmt.Fprintf(m.Stdout, "  %s schema %d\n", d.Path, d.Schema)
		}
		fmt.Fprintln(m.Stdout, "private keys are not in it: keep them, or enrol new ones, apart from the backup")
		return nil
	}, nil
}

func parseRestore(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	varDir := fs.String("var", "var", "the new data folder: missing or empty")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	dir, err := object(fs, "backup folder", "", "")
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		mf, err := backup.Restore(ctx, dir, *varDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "restored %s (taken %s by %s) into %s: %d files\n",
			dir, mf.Created.Format("2006-01-02 15:04:05Z"), mf.Anjungan, *varDir, len(mf.Files))
		fmt.Fprintln(m.Stdout, "before starting the services, put the private keys back into keys/ and certs/, or enrol new ones")
		return nil
	}, nil
}

// buildVersion is this build's module version and VCS revision, for the
// manifest.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
	}
	return v
}
