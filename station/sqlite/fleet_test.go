package sqlite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/sqlite"
)

// TestOutboxOfTheStation: a login and a settlement's outcomes (first
// recorded, then a supervisor's decision on a print in doubt) reach the
// outbox in the transaction that records them, with the method and code,
// the job's reference and the document type — never the NIK's keyed
// subject, the request id, the ticket or the job id.
func TestOutboxOfTheStation(t *testing.T) {
	ctx := context.Background()
	rig := MustAuditLog(t)
	nik, err := station.ParseNIK("3171010101900001")
	if err != nil {
		t.Fatal(err)
	}
	subject := rig.log.SubjectOf(nik)
	mustAppendEntry(t, rig.log, station.AuditEntry{Kind: "login.ok", Subject: subject, Fields: map[string]string{"method": "ticket", "outcome": "ok"}})
	mustAppendEntry(t, rig.log, station.AuditEntry{Kind: "login.refused", Subject: subject, Fields: map[string]string{"method": "pin", "outcome": "refused", "error": "pin_wrong"}})
	mustAppendEntry(t, rig.log, station.AuditEntry{Kind: "document.fetched", Subject: subject, Fields: map[string]string{"request": "REQ-SECRET-1"}})

	s := sqlite.Settlements{DB: rig.db}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := station.Settlement{ID: id(1), Key: "REQ-SECRET-1/1", Attempt: 1, IntentKey: "intent", Authorization: "AUTH-SECRET",
		Request: "REQ-SECRET-1", Document: station.KTPEl, TicketID: "TICKET-SECRET", SHA256: strings.Repeat("ab", 32),
		Job: "JOBID-SECRET", Stage: station.SettleFollowing, Created: now, Updated: now}
	for _, step := range []func(){
		func() {},
		func() { st.Stage, st.Owed, st.Reason = station.SettleOwed, station.ResultInDoubt, "crash-recovery" },
		func() { st.Stage = station.SettleInDoubt }, // reported: no new outcome
		func() { st.Stage, st.Owed, st.Reason = station.SettleOwed, station.ResultPrinted, "confirmed" },
	} {
		step()
		if err := s.SaveSettlements(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	events, err := rig.db.Outbox().Next(ctx, 100, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ref := printerd.JobRef("JOBID-SECRET")
	want := []string{
		`login_outcome {"method":"ticket","code":"ok"}`,
		`login_outcome {"method":"pin","code":"pin_wrong"}`,
		`print_outcome {"document_type":"ktp-el","outcome":"in_doubt","job_ref":"` + ref + `","code":"crash-recovery"}`,
		`print_outcome {"document_type":"ktp-el","outcome":"resolved_printed","job_ref":"` + ref + `","code":"confirmed"}`,
	}
	var got []string
	for _, e := range events {
		got = append(got, string(e.Kind)+" "+string(e.Data))
		for _, secret := range []string{"SECRET", nik.Reveal(), subject} {
			if strings.Contains(string(e.Data), secret) {
				t.Errorf("outbox event %s carries %q", e.Data, secret)
			}
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outbox:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
