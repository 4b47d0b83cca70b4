package auditrec_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/auditrec"
	"github.com/anjungan/anjungan/station/sqlite"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// MustLog opens a station database in a fresh folder and returns its
// audit log, the database and the file's path.
func MustLog(tb testing.TB) (*sqlite.AuditLog, *sqlite.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "station.db")
	db, err := sqlite.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	skey, vkey, err := note.GenerateKey(rand.Reader, "anjungan.test/station/audit")
	if err != nil {
		tb.Fatal(err)
	}
	now := func() time.Time { return t0 }
	signer, err := audit.NewSigner(skey, now)
	if err != nil {
		tb.Fatal(err)
	}
	key := make([]byte, sqlite.SubjectKeySize)
	if _, err := rand.Read(key); err != nil {
		tb.Fatal(err)
	}
	l, err := sqlite.NewAuditLog(db, key, signer, vkey, now)
	if err != nil {
		tb.Fatal(err)
	}
	return l, db, path
}

func TestEntryOfEachEvent(t *testing.T) {
	nik := station.MustParseNIK("3171014107990001")
	refused := station.ErrSubjectMismatch.Withf("upstream says %s", nik.Reveal())
	tests := []struct {
		event station.Event
		kind  string
		want  map[string]string
	}{
		{station.Event{Kind: "login_ok", Method: station.AuthTicket, Subject: nik}, "login.ok",
			map[string]string{"method": "ticket", "outcome": "ok"}},
		{station.Event{Kind: "login_refused", Method: station.AuthPIN, Err: refused}, "login.refused",
			map[string]string{"method": "pin", "outcome": "refused", "error": "subject_mismatch"}},
		{station.Event{Kind: "document_fetched", Subject: nik, Request: "REQ-1"}, "document.fetched",
			map[string]string{"request": "REQ-1", "outcome": "ok"}},
		{station.Event{Kind: "rendered", Subject: nik, Request: "REQ-1", SHA256: "ab"}, "document.rendered",
			map[string]string{"request": "REQ-1", "sha256": "ab", "outcome": "ok"}},
		{station.Event{Kind: "submitted", Request: "REQ-1", Job: "J1", SHA256: "ab"}, "print.submitted",
			map[string]string{"request": "REQ-1", "job": "J1", "ref": "3VUUHZ", "sha256": "ab", "outcome": "ok"}},
		{station.Event{Kind: "printed", Job: "J1"}, "print.printed", map[string]string{"job": "J1", "ref": "3VUUHZ", "outcome": "ok"}},
		{station.Event{Kind: "confirmed", Job: "J1"}, "print.confirmed", map[string]string{"job": "J1", "ref": "3VUUHZ", "outcome": "ok"}},
		{station.Event{Kind: "print_failed", Job: "J1", Err: station.ErrPrintFailed.Withf("jam")}, "print.failed",
			map[string]string{"job": "J1", "ref": "3VUUHZ", "outcome": "failed", "error": string(station.ErrPrintFailed.Code)}},
		{station.Event{Kind: "print_in_doubt", Job: "J1"}, "print.in_doubt", map[string]string{"job": "J1", "ref": "3VUUHZ", "outcome": "in_doubt"}},
		{station.Event{Kind: "settle_retry", Job: "J1", Err: errors.New("connection refused")}, "print.settle_retry",
			map[string]string{"job": "J1", "ref": "3VUUHZ", "outcome": "retry", "error": "internal"}},
		{station.Event{Kind: "used_ticket_unrecorded", Err: sqlite.ErrStorage.Withf("disk full")}, "ticket.used_unrecorded",
			map[string]string{"outcome": "failed", "error": "storage_failed"}},
		{station.Event{Kind: station.EventReleased, Subject: nik, Request: "REQ-1"}, "document.released",
			map[string]string{"request": "REQ-1", "outcome": "ok"}},
		{station.Event{Kind: station.EventReleaseFailed, Subject: nik, Request: "REQ-1", Err: station.ErrUpstreamInvalid}, "document.release_failed",
			map[string]string{"request": "REQ-1", "outcome": "failed", "error": string(station.ErrUpstreamInvalid.Code)}},
		{station.Event{Kind: station.EventReprintFollowed, Request: "REQ-1", Job: "J2"}, "print.reprint_followed",
			map[string]string{"request": "REQ-1", "job": "J2", "ref": "C4NBBB", "outcome": "ok"}},
		// A field the kind does not list is not written.
		{station.Event{Kind: station.EventLoginOK, Method: station.AuthCard, Job: "J1", Printer: "card-1"}, "login.ok",
			map[string]string{"method": "card", "outcome": "ok"}},
		{station.Event{Kind: "card_removed", Job: "J1"}, auditrec.UnknownKind, map[string]string{"event": "card_removed", "outcome": "ok"}},
		{station.Event{Kind: "Budi Santoso 3171014107990001", Err: errors.New("x")}, auditrec.UnknownKind,
			map[string]string{"event": "invalid", "outcome": "failed", "error": "internal"}},
	}
	l, _, _ := MustLog(t)
	for _, tt := range tests {
		t.Run(string(tt.event.Kind), func(t *testing.T) {
			e := auditrec.Entry(l, tt.event)
			if e.Kind != tt.kind || e.Actor != auditrec.Actor || !reflect.DeepEqual(e.Fields, tt.want) {
				t.Fatalf("entry %+v, want kind %s fields %v", e, tt.kind, tt.want)
			}
			wantSubject := ""
			if !tt.event.Subject.IsZero() {
				wantSubject = l.SubjectOf(tt.event.Subject)
			}
			if e.Subject != wantSubject {
				t.Fatalf("subject %q, want %q", e.Subject, wantSubject)
			}
		})
	}
}

// TestRecorderAppends: every event reaches the log, and the console finds
// a citizen's entries by the NIK's keyed hash.
func TestRecorderAppends(t *testing.T) {
	ctx := context.Background()
	l, _, _ := MustLog(t)
	a, b := station.MustParseNIK("3171014107990001"), station.MustParseNIK("3273025012880002")
	r := auditrec.Recorder{Log: l, Fallback: func(e station.Event, err error) { t.Errorf("fallback for %s: %v", e.Kind, err) }}
	r.Record(ctx, station.Event{Kind: "login_ok", Method: station.AuthPIN, Subject: a})
	r.Record(ctx, station.Event{Kind: "login_refused", Method: station.AuthPIN, Subject: b, Err: station.ErrSubjectMismatch})
	r.Record(ctx, station.Event{Kind: "confirmed", Subject: a, Job: "J7"})
	// A cancelled request still leaves its trace.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	r.Record(cctx, station.Event{Kind: "print_in_doubt", Subject: a, Job: "J8"})

	got, err := l.Entries(ctx, station.AuditFilter{Subject: l.SubjectOf(a)})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range got {
		kinds = append(kinds, e.Kind)
	}
	if want := []string{"print.in_doubt", "print.confirmed", "login.ok"}; !reflect.DeepEqual(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	if got, _ := l.Entries(ctx, station.AuditFilter{Outcome: auditrec.OutcomeRefused}); len(got) != 1 || got[0].Subject != l.SubjectOf(b) {
		t.Fatalf("refused entries %+v", got)
	}
	if err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRecorderFallback(t *testing.T) {
	l, db, _ := MustLog(t)
	db.Close() // every append now fails
	var got []string
	r := auditrec.Recorder{Log: l, Fallback: func(e station.Event, err error) {
		if !errors.Is(err, sqlite.ErrStorage) {
			t.Errorf("fallback error %v", err)
		}
		got = append(got, string(e.Kind))
	}}
	r.Record(context.Background(), station.Event{Kind: "confirmed", Job: "J1"})
	r.Record(context.Background(), station.Event{Kind: "print_failed", Job: "J2"})
	if want := []string{"confirmed", "print_failed"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("fallback saw %v, want %v", got, want)
	}
	// Without a fallback a failed append is dropped, not a panic.
	auditrec.Recorder{Log: l}.Record(context.Background(), station.Event{Kind: "confirmed"})
}

// canaries are distinctive synthetic citizens: if any of these strings is
// found in the database, personal data leaked into the audit log.
var canaries = []struct{ nik, name string }{
	{"3174056108930417", "Kenari Canarywati Sulistyo"},
	{"3578014509881234", "Burung Kutilang Pratama"},
	{"9271036112050077", "Siti Nurhaliza Kenari"},
}

// TestCanary runs every kind of kiosk event for the canary citizens, with
// errors whose causes quote their NIK and name, and searches the database
// file, its WAL and the entries for any trace of them.
func TestCanary(t *testing.T) {
	ctx := context.Background()
	l, db, path := MustLog(t)
	r := auditrec.Recorder{Log: l, Fallback: func(e station.Event, err error) { t.Errorf("fallback for %s: %v", e.Kind, err) }}
	kinds := append(slices.Clone(station.EventKinds), "some_future_kind")
	for i, c := range canaries {
		nik := station.MustParseNIK(c.nik)
		leaks := []error{
			nil,
			station.ErrSubjectMismatch.Withf("document for %s (%s) does not match %s", nik.Reveal(), c.name, nik.Reveal()),
			fmt.Errorf("upstream: no approval for NIK %s, name %q", nik.Reveal(), c.name),
			station.ErrRenderFailed.With(fmt.Errorf("name %q too long for the card: %w", c.name, station.ErrNIKInvalid.Withf("%s", nik.Reveal()))),
		}
		for j, kind := range kinds {
			for _, err := range leaks {
				r.Record(ctx, station.Event{Kind: kind, Method: station.AuthCard, Subject: nik,
					Request: station.RequestID(fmt.Sprintf("REQ-%d-%d", i, j)), Job: "J-1", SHA256: fmt.Sprintf("%064x", i*100+j), Err: err})
			}
		}
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := l.Entries(ctx, station.AuditFilter{Limit: sqlite.MaxAuditLimit})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(canaries) * len(kinds) * 4; len(got) != want {
		t.Fatalf("%d entries, want %d", len(got), want)
	}
	entries, _ := json.Marshal(got)
	look := func(where string, b []byte) {
		t.Helper()
		if len(b) == 0 {
			t.Fatalf("%s is empty: nothing was searched", where)
		}
		for _, c := range canaries {
			for _, s := range []string{c.nik, c.name, strings.ToUpper(c.name), strings.ToLower(c.name)} {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s contains %q", where, s)
				}
			}
		}
	}
	look("the entries", entries)
	wal, err := os.ReadFile(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	look("the WAL", wal)
	if err := db.Close(); err != nil { // folds the WAL into the database file
		t.Fatal(err)
	}
	main, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	look("the database file", main)
	// The searches above can find something: the subjects are there.
	if !bytes.Contains(main, []byte(got[0].Subject)) {
		t.Fatal("the database file does not hold the subjects: the search looked at the wrong bytes")
	}
}
