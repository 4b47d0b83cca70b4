package sim

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

func TestFaultStages(t *testing.T) {
	tests := []struct {
		stage      stage
		uncertain  bool
		wantOutput bool
		wantBlanks int
	}{
		{stageAccept, false, false, 10},
		{stageSerial, false, false, 10},
		{stageOutput, true, true, 9},
	}
	for _, tt := range tests {
		t.Run(string(tt.stage), func(t *testing.T) {
			dir := t.TempDir()
			dev, err := Open(printerd.DeviceConfig{URI: dir, Options: map[string]string{"media": "om_card_54x86mm", "blanks": "10"}})
			if err != nil {
				t.Fatal(err)
			}
			dev.fault = func(s stage) *printerd.DriverError {
				if s == tt.stage {
					return &printerd.DriverError{Outcome: printerd.OutcomeStop, Reason: "media-jam", Uncertain: tt.uncertain}
				}
				return nil
			}
			_, err = dev.Print(context.Background(), printerd.PrintJob{ID: "J1", Media: printerd.MediaCard, Document: []byte("%PDF-1.4")})
			var de *printerd.DriverError
			if !errors.As(err, &de) || de.Reason != "media-jam" || de.Uncertain != tt.uncertain {
				t.Fatalf("Print = %v, want the injected media-jam", err)
			}
			_, err = os.Stat(filepath.Join(dir, "J1.pdf"))
			if (err == nil) != tt.wantOutput {
				t.Errorf("output exists = %v, want %v", err == nil, tt.wantOutput)
			}
			st, _ := dev.Status(context.Background())
			if st.Supplies[0].Level != tt.wantBlanks || st.State != printerd.PrinterIdle {
				t.Errorf("status = %+v, want idle with %d blanks", st, tt.wantBlanks)
			}
		})
	}
}
