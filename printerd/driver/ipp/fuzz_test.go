package ipp_test

import (
	"testing"

	"github.com/OpenPrinting/goipp"

	"github.com/anjungan/anjungan/printerd/driver/ipp"
	"github.com/anjungan/anjungan/printerd/drivertest"
)

// FuzzDecodeStatus feeds Get-Printer-Attributes responses to
// DecodeStatus: whatever a printer sends, the Status has the IPP shape.
func FuzzDecodeStatus(f *testing.F) {
	m := goipp.NewResponse(goipp.DefaultVersion, goipp.StatusOk, 1)
	m.Printer.Add(goipp.MakeAttribute("printer-state", goipp.TagEnum, goipp.Integer(3)))
	m.Printer.Add(goipp.MakeAttribute("printer-state-reasons", goipp.TagKeyword, goipp.String("media-empty-report")))
	m.Printer.Add(goipp.MakeAttribute("printer-supply", goipp.TagString, goipp.Binary("type=toner;maxcapacity=100;level=40;")))
	b, _ := m.EncodeBytes()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var m goipp.Message
		if err := m.DecodeBytes(b); err != nil {
			return
		}
		st := ipp.DecodeStatus(m.Printer)
		if err := drivertest.CheckStatus(st); err != nil {
			t.Fatalf("DecodeStatus gave %+v: %v", st, err)
		}
	})
}
