package simpaper_test

import (
	"context"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/simpaper"
	"github.com/anjungan/anjungan/printerd/drivertest"
	"github.com/anjungan/anjungan/printerd/internal/outlog"
)

// TestOutputRecord: one line per page that came out, none for a print
// refused, seq going on after a reopen.
func TestOutputRecord(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	doc := drivertest.Document(printerd.MediaA4)
	tests := []struct {
		job   string
		fault string // armed before the print; "" for none
		out   bool
	}{
		{"J1", "", true},
		{"J2", printerd.FaultMediaJam, false},
		{"J3", "", true},
	}
	for _, tt := range tests {
		dev, err := simpaper.Open(printerd.DeviceConfig{URI: dir})
		if err != nil {
			t.Fatal(err)
		}
		if tt.fault != "" {
			if err := dev.InjectFault(ctx, printerd.Fault{Kind: tt.fault, At: printerd.FaultDuringPrint}); err != nil {
				t.Fatal(err)
			}
		}
		_, err = dev.Print(ctx, printerd.PrintJob{ID: printerd.JobID(tt.job), Media: printerd.MediaA4, Document: doc})
		if (err == nil) != tt.out {
			t.Errorf("Print(%s) = %v", tt.job, err)
		}
		_ = dev.Close()
	}
	recs, torn, err := outlog.Read(dir)
	if err != nil || torn != 0 || len(recs) != 2 {
		t.Fatalf("Read = %+v, %d torn, %v", recs, torn, err)
	}
	for i, job := range []string{"J1", "J3"} {
		if g := recs[i]; g.Seq != i+1 || g.Job != job || g.Page != 1 || g.Card != "" || g.SHA256 != outlog.Sum(doc) {
			t.Errorf("record %d = %+v, want seq %d, %s page 1", i, g, i+1, job)
		}
	}
}
