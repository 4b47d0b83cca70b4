package ctl

import (
	"flag"
	"io"
	"testing"
)

func TestParseCardInsert(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"defaults", []string{"--nik", "3171012503900001"}, true},
		{"other slot", []string{"--nik", "3171012503900001", "--reader", "1"}, true},
		{"no NIK", nil, false},
		{"bad NIK", []string{"--nik", "1234"}, false},
		{"bad slot", []string{"--nik", "3171012503900001", "--reader", "2"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("card insert", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			run, err := parseCardInsert(NewMain(), fs, tt.args)
			if (err == nil) != tt.ok || (run != nil) != tt.ok {
				t.Fatalf("parse %v: %v", tt.args, err)
			}
		})
	}
}
