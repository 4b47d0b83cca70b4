package ipp_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/OpenPrinting/goipp"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/ipp"
	"github.com/anjungan/anjungan/printerd/drivertest"
)

// FuzzDecodeStatus feeds Get-Printer-Attributes responses to the
// driver's decoding, as a reply takes it: DecodeReply never panics (goipp
// does on some messages, see testdata/fuzz/FuzzDecodeStatus/
// extension-tag-is-delimiter), it refuses with ErrMalformedReply, and
// whatever it accepts gives a Status of the IPP shape.
func FuzzDecodeStatus(f *testing.F) {
	m := goipp.NewResponse(goipp.DefaultVersion, goipp.StatusOk, 1)
	m.Printer.Add(goipp.MakeAttribute("printer-state", goipp.TagEnum, goipp.Integer(3)))
	m.Printer.Add(goipp.MakeAttribute("printer-state-reasons", goipp.TagKeyword, goipp.String("media-empty-report")))
	m.Printer.Add(goipp.MakeAttribute("printer-supply", goipp.TagString, goipp.Binary("type=toner;maxcapacity=100;level=40;")))
	b, _ := m.EncodeBytes()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ipp.DecodeReply(b)
		if err != nil {
			if !errors.Is(err, printerd.ErrMalformedReply) {
				t.Fatalf("DecodeReply error %v, want printer_reply_malformed", err)
			}
			return
		}
		st := ipp.DecodeStatus(m.Printer)
		if err := drivertest.CheckStatus(st); err != nil {
			t.Fatalf("DecodeStatus gave %+v: %v", st, err)
		}
	})
}

// Each fixture in testdata/malformed is a reply a printer might send,
// named by what is wrong with it: DecodeReply refuses every one with
// ErrMalformedReply, and does not panic.
func TestDecodeReplyMalformed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "malformed", "*.ipp"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".ipp"), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ipp.DecodeReply(b)
			if m != nil || !errors.Is(err, printerd.ErrMalformedReply) {
				t.Errorf("DecodeReply = %v, %v; want printer_reply_malformed", m, err)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		if _, err := ipp.DecodeReply(make([]byte, 1<<20+1)); !errors.Is(err, printerd.ErrMalformedReply) {
			t.Errorf("DecodeReply of a reply over 1 MiB = %v, want printer_reply_malformed", err)
		}
	})
}
