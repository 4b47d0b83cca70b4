package station_test

import (
	"testing"

	"github.com/anjungan/anjungan/station"
)

func TestParseKioskLayout(t *testing.T) {
	def := station.DefaultKioskLayout
	for _, tc := range []struct {
		in   string
		want station.KioskLayout
		bad  bool
	}{
		{in: "", want: def},
		{in: "reader=left", want: station.KioskLayout{Reader: "left", Scanner: def.Scanner, CardSlot: def.CardSlot, PaperSlot: def.PaperSlot}},
		{in: "reader=left, scanner=left,card-slot=right,paper-slot=left", want: station.KioskLayout{Reader: "left", Scanner: "left", CardSlot: "right", PaperSlot: "left"}},
		{in: "reader=top", bad: true},
		{in: "reader", bad: true},
		{in: "reader=left,reader=right", bad: true},
		{in: "printer=left", bad: true},
		{in: "reader=left,", bad: true},
		{in: "READER=left", bad: true},
	} {
		got, err := station.ParseKioskLayout(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: no error, got %+v", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseKioskLayout(f *testing.F) {
	for _, s := range []string{"", "reader=left,scanner=right,card-slot=left,paper-slot=right", "reader=up", "=,=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := station.ParseKioskLayout(s)
		if err != nil {
			return
		}
		// What it reads, written out, reads the same.
		again, err := station.ParseKioskLayout(l.String())
		if err != nil || again != l {
			t.Fatalf("%q: %+v written as %q reads %+v, %v", s, l, l.String(), again, err)
		}
	})
}
