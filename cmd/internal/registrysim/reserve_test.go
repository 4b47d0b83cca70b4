package registrysim_test

import (
	"context"
	"errors"
	"testing"

	"github.com/anjungan/anjungan/station"
)

// TestClientReservations: a fetched document is reserved for the kiosk
// that fetched it until it prints, is reported, or is released.
func TestClientReservations(t *testing.T) {
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
		t.Fatalf("first fetch: %v", err)
	}
	if _, err := w.client.Document(ctx, kioskA, req.ID); err != nil {
		t.Fatalf("the same kiosk fetching again: %v", err)
	}
	if _, err := w.client.Document(ctx, kioskB, req.ID); !errors.Is(err, station.ErrRequestReserved) {
		t.Fatalf("another kiosk's fetch: %v, want ErrRequestReserved", err)
	}
	// Releasing is idempotent; another kiosk's release changes nothing.
	if err := w.client.Release(ctx, kioskB, req.ID); err != nil {
		t.Fatalf("release by a kiosk without the reservation: %v", err)
	}
	if _, err := w.client.Document(ctx, kioskB, req.ID); !errors.Is(err, station.ErrRequestReserved) {
		t.Fatalf("after a stranger's release: %v, want ErrRequestReserved", err)
	}
	for i := 0; i < 2; i++ {
		if err := w.client.Release(ctx, kioskA, req.ID); err != nil {
			t.Fatalf("release %d: %v", i, err)
		}
	}
	if _, err := w.client.Document(ctx, kioskB, req.ID); err != nil {
		t.Fatalf("fetch after release: %v", err)
	}
	if w.Burned(t, id) {
		t.Fatal("a release burned the token")
	}
	// A confirmed print ends the reservation with the request.
	if _, err := w.client.ConfirmPrint(ctx, outcome(kioskB, req, "c1", station.ResultPrinted)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.Document(ctx, kioskA, req.ID); !errors.Is(err, station.ErrAlreadyPrinted) {
		t.Fatalf("fetch after the print: %v, want ErrAlreadyPrinted", err)
	}
}

// TestClientRequests lists an approval's requests with their status.
func TestClientRequests(t *testing.T) {
	w := newWorld(t)
	_, _, _, text := w.Approve(t, map[string]any{"documents": []string{"ktp-el", "kk"}})
	ctx := context.Background()
	a, err := w.login(t, text)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.ConfirmPrint(ctx, outcome(a, a.Requests[0], "c1", station.ResultPrinted)); err != nil {
		t.Fatal(err)
	}
	rs, err := w.client.Requests(ctx, a)
	if err != nil || len(rs) != 2 {
		t.Fatalf("requests: %v %v", rs, err)
	}
	for _, r := range rs {
		want := station.RequestApproved
		if r.ID == a.Requests[0].ID {
			want = station.RequestPrinted
		}
		if r.Status != want {
			t.Errorf("request %s (%s): status %s, want %s", r.ID, r.Document, r.Status, want)
		}
	}
	if _, err := w.client.Requests(ctx, station.Authorization{ID: "aut_unknown"}); !errors.Is(err, station.ErrSessionExpired) && !errors.Is(err, station.ErrCredentialsRejected) && !errors.Is(err, station.ErrRequestNotFound) {
		t.Errorf("unknown authorization: %v", err)
	}
}
