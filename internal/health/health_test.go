package health_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/internal/health"
)

func TestRun(t *testing.T) {
	errDB := fault.New("storage_failed", "Penyimpanan bermasalah.", "Storage failed.")
	ok := func(context.Context) error { return nil }
	cases := []struct {
		name   string
		checks []health.Check
		failed []string
		codes  []fault.Code
	}{
		{"none", nil, nil, nil},
		{"all hold", []health.Check{{"a", ok}, {"b", ok}}, nil, []fault.Code{"", ""}},
		{"a fault keeps its code", []health.Check{{"database", func(context.Context) error { return errDB.Withf("disk I/O error at /var/lib") }}, {"b", ok}},
			[]string{"database"}, []fault.Code{"storage_failed", ""}},
		{"a plain error gets check_failed", []health.Check{{"a", ok}, {"b", func(context.Context) error { return errors.New("/secret/path: boom") }}},
			[]string{"b"}, []fault.Code{"", health.ErrCheckFailed.Code}},
		{"a hung probe fails at the timeout", []health.Check{{"slow", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}},
			[]string{"slow"}, []fault.Code{health.ErrCheckFailed.Code}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := health.Run(context.Background(), c.checks)
			var codes []fault.Code
			for _, res := range r.Checks {
				codes = append(codes, res.Code)
				if res.OK != (res.Code == "") || (!res.OK && res.Message == "") {
					t.Errorf("result %+v", res)
				}
			}
			if r.Ready != (len(c.failed) == 0) || !slices.Equal(r.Failed, c.failed) || !slices.Equal(codes, c.codes) || len(r.Causes) != len(c.failed) {
				t.Errorf("report %+v, want failed %q codes %q", r, c.failed, c.codes)
			}
		})
	}
}
