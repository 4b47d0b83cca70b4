package sim_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver"
	"github.com/anjungan/anjungan/printerd/driver/sim"
	"github.com/anjungan/anjungan/printerd/drivertest"
)

func MustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func MustOpen(tb testing.TB, dir string, opts map[string]string) printerd.Device {
	tb.Helper()
	drv, ok := driver.Lookup("sim")
	if !ok {
		tb.Fatal("driver sim is not registered")
	}
	dev, err := drv.Open(context.Background(), printerd.DeviceConfig{Name: "p", URI: dir, Options: opts, TempDir: drivertest.TempDir(tb)})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = dev.Close() })
	return dev
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  printerd.DeviceConfig
	}{
		{"no uri", printerd.DeviceConfig{Options: map[string]string{"media": "om_card_54x86mm"}}},
		{"no media", printerd.DeviceConfig{URI: dir}},
		{"unknown media", printerd.DeviceConfig{URI: dir, Options: map[string]string{"media": "na_letter_8.5x11in"}}},
		{"negative blanks", printerd.DeviceConfig{URI: dir, Options: map[string]string{"media": "om_card_54x86mm", "blanks": "-1"}}},
		{"blanks not a number", printerd.DeviceConfig{URI: dir, Options: map[string]string{"media": "om_card_54x86mm", "blanks": "many"}}},
		{"blanks on paper", printerd.DeviceConfig{URI: dir, Options: map[string]string{"media": "iso_a4_210x297mm", "blanks": "5"}}},
		{"unknown option", printerd.DeviceConfig{URI: dir, Options: map[string]string{"media": "om_card_54x86mm", "blank": "5"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sim.Open(tt.cfg); err == nil {
				t.Error("Open accepted the configuration")
			}
		})
	}
}

func TestPrint(t *testing.T) {
	tests := []struct {
		name       string
		media      printerd.Media
		doc        string
		wantSerial string
	}{
		{"card gets a serial", printerd.MediaCard, "card.pdf", "SIM-000001"},
		{"paper has none", printerd.MediaA4, "a4.pdf", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			dev := MustOpen(t, dir, map[string]string{"media": string(tt.media)})
			doc := MustRead(t, tt.doc)
			p, err := dev.Print(ctx, printerd.PrintJob{ID: "JABCDEFGHIJKL", Media: tt.media, Title: "t", Document: doc})
			if err != nil {
				t.Fatalf("Print: %v", err)
			}
			if p.CardSerial != tt.wantSerial {
				t.Errorf("serial = %q, want %q", p.CardSerial, tt.wantSerial)
			}
			out, err := os.ReadFile(filepath.Join(dir, "JABCDEFGHIJKL.pdf"))
			if err != nil || !bytes.Equal(out, doc) {
				t.Errorf("output = %d bytes, %v; want the document", len(out), err)
			}
			st, err := dev.Status(ctx)
			if err != nil || st.State != printerd.PrinterIdle {
				t.Errorf("Status = %+v, %v; want idle", st, err)
			}
			caps, err := dev.Capabilities(ctx)
			if err != nil || len(caps.Media) != 1 || caps.Media[0] != tt.media {
				t.Errorf("Capabilities = %+v, %v", caps, err)
			}
		})
	}
}

func TestBlankCards(t *testing.T) {
	ctx := context.Background()
	dev := MustOpen(t, t.TempDir(), map[string]string{"media": "om_card_54x86mm", "blanks": "2"})
	doc := MustRead(t, "card.pdf")
	for i, want := range []string{"SIM-000001", "SIM-000002"} {
		p, err := dev.Print(ctx, printerd.PrintJob{ID: printerd.JobID("J" + want[4:]), Media: printerd.MediaCard, Document: doc})
		if err != nil || p.CardSerial != want {
			t.Fatalf("print %d = %q, %v; want %s", i, p.CardSerial, err, want)
		}
	}
	_, err := dev.Print(ctx, printerd.PrintJob{ID: "J3", Media: printerd.MediaCard, Document: doc})
	var de *printerd.DriverError
	if !errors.As(err, &de) || de.Outcome != printerd.OutcomeHold || de.Reason != "media-empty" || de.Uncertain {
		t.Fatalf("print with no blanks = %v, want hold media-empty", err)
	}
	st, _ := dev.Status(ctx)
	if st.State != printerd.PrinterStopped || len(st.Reasons) != 1 || st.Reasons[0].Keyword != "media-empty" || st.Supplies[0].Level != 0 || st.Supplies[0].Max != 2 {
		t.Errorf("Status = %+v, want media-empty and 0 of 2 blank cards", st)
	}
}

func TestSerialSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	doc := MustRead(t, "card.pdf")
	for _, want := range []string{"SIM-000001", "SIM-000002"} {
		dev, err := sim.Open(printerd.DeviceConfig{URI: dir, Options: map[string]string{"media": "om_card_54x86mm"}, TempDir: drivertest.TempDir(t)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := dev.Print(ctx, printerd.PrintJob{ID: printerd.JobID("J" + want[4:]), Media: printerd.MediaCard, Document: doc})
		_ = dev.Close()
		if err != nil || p.CardSerial != want {
			t.Fatalf("Print = %q, %v; want %s", p.CardSerial, err, want)
		}
	}
}

func TestPrintRejects(t *testing.T) {
	doc := MustRead(t, "card.pdf")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name        string
		ctx         context.Context
		job         printerd.PrintJob
		close       bool
		wantOutcome printerd.Outcome
		wantReason  string
	}{
		{"wrong media", context.Background(), printerd.PrintJob{ID: "J1", Media: printerd.MediaA4, Document: doc}, false, printerd.OutcomeFailed, "media-mismatch"},
		{"id escapes the directory", context.Background(), printerd.PrintJob{ID: "../J1", Media: printerd.MediaCard, Document: doc}, false, printerd.OutcomeFailed, "job-id-invalid"},
		{"canceled before start", canceled, printerd.PrintJob{ID: "J1", Media: printerd.MediaCard, Document: doc}, false, printerd.OutcomeRetry, "canceled"},
		{"closed device", context.Background(), printerd.PrintJob{ID: "J1", Media: printerd.MediaCard, Document: doc}, true, printerd.OutcomeStop, "offline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dev := MustOpen(t, dir, map[string]string{"media": "om_card_54x86mm"})
			if tt.close {
				_ = dev.Close()
			}
			_, err := dev.Print(tt.ctx, tt.job)
			var de *printerd.DriverError
			if !errors.As(err, &de) || de.Outcome != tt.wantOutcome || de.Reason != tt.wantReason || de.Uncertain {
				t.Fatalf("Print = %v, want %s %s", err, tt.wantOutcome, tt.wantReason)
			}
			if _, err := os.Stat(filepath.Join(dir, "J1.pdf")); !os.IsNotExist(err) {
				t.Errorf("a rejected job left output: %v", err)
			}
		})
	}
}
