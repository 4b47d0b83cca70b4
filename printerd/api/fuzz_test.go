package api

import (
	"bytes"
	"errors"
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

// FuzzDecodeSubmit feeds request bodies to the submit decoder: it must
// never panic, and it either yields a request or a job_invalid fault.
func FuzzDecodeSubmit(f *testing.F) {
	f.Add([]byte(`{"idempotency_key":"k","media":"om_card_54x86mm","title":"KTP-el","document":"JVBERi0xLjQK"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, status, err := decodeSubmit(bytes.NewReader(body))
		if err != nil {
			if !errors.Is(err, printerd.ErrInvalidJob) || status == 0 {
				t.Fatalf("error %v with status %d, want job_invalid with a status", err, status)
			}
			return
		}
		// Whatever decoded must still pass or fail validation cleanly.
		_ = req.Validate()
	})
}
