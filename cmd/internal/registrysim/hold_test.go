package registrysim_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station"
)

// TestClientHolds: a request held for a print at one kiosk cannot be
// fetched or held by another, whatever the time, until that print's own
// outcome gives it back; a late or stranger's failure changes nothing.
func TestClientHolds(t *testing.T) {
	w := newWorld(t)
	id, _, _, text := w.Approve(t, map[string]any{"documents": []string{"ktp-el"}})
	ctx := context.Background()
	kioskA, err := w.login(t, text)
	if err != nil {
		t.Fatal(err)
	}
	kioskB, err := w.login(t, text)
	if err != nil {
		t.Fatal(err)
	}
	req := kioskA.Requests[0]
	if _, err := w.client.Document(ctx, kioskA, req.ID); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // a replay of the same hold is answered alike
		if err := w.client.HoldForPrint(ctx, kioskA, req.ID, "a1.hold"); err != nil {
			t.Fatalf("hold %d: %v", i, err)
		}
	}
	if rs, err := w.client.Requests(ctx, kioskB); err != nil || rs[0].Status != station.RequestPrinting {
		t.Fatalf("requests while held = %+v, %v; want printing", rs, err)
	}
	// Past the reservation's 15 minutes the hold still stands.
	w.Advance(20 * time.Minute)
	if kioskB, err = w.login(t, text); err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.Document(ctx, kioskB, req.ID); !errors.Is(err, station.ErrRequestPrinting) {
		t.Fatalf("another kiosk's fetch of a held request: %v, want request_printing", err)
	}
	if err := w.client.HoldForPrint(ctx, kioskB, req.ID, "b1.hold"); !errors.Is(err, station.ErrRequestPrinting) {
		t.Fatalf("another kiosk's hold: %v, want request_printing", err)
	}
	// A failure reported under another hold's key gives nothing back.
	stranger := outcome(kioskB, req, "b1.failed", station.ResultFailed)
	stranger.IntentKey = "b1.hold"
	if err := w.client.ReportPrint(ctx, stranger); err != nil {
		t.Fatalf("stranger's report: %v", err)
	}
	if err := w.client.HoldForPrint(ctx, kioskB, req.ID, "b2.hold"); !errors.Is(err, station.ErrRequestPrinting) {
		t.Fatalf("hold after a stranger's report: %v, want request_printing", err)
	}
	// In doubt keeps the hold; the decision "void" (failed) gives it back.
	doubt := outcome(kioskA, req, "a1.in_doubt", station.ResultInDoubt)
	doubt.IntentKey = "a1.hold"
	if err := w.client.ReportPrint(ctx, doubt); err != nil {
		t.Fatal(err)
	}
	if err := w.client.HoldForPrint(ctx, kioskB, req.ID, "b3.hold"); !errors.Is(err, station.ErrAlreadyPrinted) {
		t.Fatalf("hold of a request in doubt: %v, want request_in_doubt (already_printed)", err)
	}
	void := outcome(kioskA, req, "a1.failed", station.ResultFailed)
	void.IntentKey, void.Reason = "a1.hold", "voided"
	if err := w.client.ReportPrint(ctx, void); err != nil {
		t.Fatal(err)
	}
	// The ended hold's key cannot hold again; a new print can.
	if err := w.client.HoldForPrint(ctx, kioskA, req.ID, "a1.hold"); err == nil {
		t.Fatal("an ended hold's key held the request again")
	}
	if err := w.client.HoldForPrint(ctx, kioskB, req.ID, "b4.hold"); err != nil {
		t.Fatalf("hold after the void: %v", err)
	}
	if w.Burned(t, id) {
		t.Fatal("holds and reports burned the token")
	}
	printed := outcome(kioskB, req, "b4.printed", station.ResultPrinted)
	printed.IntentKey = "b4.hold"
	if burned, err := w.client.ConfirmPrint(ctx, printed); err != nil || !burned {
		t.Fatalf("confirmation: %v, %v", burned, err)
	}
	if n := w.Confirmations(t, id)[string(req.ID)]; n != 1 {
		t.Errorf("%d confirmations, want 1", n)
	}
}

// TestClientHoldOfNotSubmitted: a failure with no job (the hold's answer
// was lost, nothing was printed) gives the hold back.
func TestClientHoldOfNotSubmitted(t *testing.T) {
	w := newWorld(t)
	_, _, _, text := w.Approve(t, map[string]any{"documents": []string{"ktp-el"}})
	ctx := context.Background()
	a, err := w.login(t, text)
	if err != nil {
		t.Fatal(err)
	}
	req := a.Requests[0]
	if err := w.client.HoldForPrint(ctx, a, req.ID, "x.hold"); err != nil {
		t.Fatal(err)
	}
	o := station.PrintOutcome{Authorization: a.ID, Request: req.ID, IdempotencyKey: "x.failed", IntentKey: "x.hold",
		Result: station.ResultFailed, Reason: station.ReasonNotSubmitted}
	if err := w.client.ReportPrint(ctx, o); err != nil {
		t.Fatalf("report without a job: %v", err)
	}
	if rs, err := w.client.Requests(ctx, a); err != nil || rs[0].Status != station.RequestApproved {
		t.Fatalf("requests after the release = %+v, %v; want approved", rs, err)
	}
}
