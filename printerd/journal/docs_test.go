package journal_test

import (
	"context"
	"encoding/hex"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
)

func mustDoc(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile("../../docs/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// docs/printerd.md's table of reason codes is printerd.ReasonCodes: the
// same codes in the same order, the same actions and labels.
func TestReasonCodesDocumented(t *testing.T) {
	doc := mustDoc(t, "printerd.md")
	row := regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\|\\s*(✓?)\\s*\\|\\s*(✓?)\\s*\\| ([^|]+) \\| ([^|]+) \\|$")
	rows := row.FindAllStringSubmatch(doc, -1)
	codes := printerd.ReasonCodes()
	if len(rows) != len(codes) {
		t.Fatalf("docs/printerd.md lists %d reason codes, the code has %d", len(rows), len(codes))
	}
	for i, c := range codes {
		r := rows[i]
		reprint, void := slices.Contains(c.Actions, printerd.ActionReprint), slices.Contains(c.Actions, printerd.ActionVoid)
		if r[1] != string(c.Code) || (r[2] == "✓") != reprint || (r[3] == "✓") != void ||
			strings.TrimSpace(r[4]) != c.ID || strings.TrimSpace(r[5]) != c.EN {
			t.Errorf("docs/printerd.md row %q, code %+v", r[0], c)
		}
	}
}

// docs/audit.md's test vector of note_hmac holds, and every kind of entry
// printerd writes is in its table.
func TestAuditDocumented(t *testing.T) {
	doc := mustDoc(t, "audit.md")
	m := regexp.MustCompile("key\\s+`000102…1e1f` \\(the bytes 0 to 31\\), note `([^`]+)` →\\s+`([0-9a-f]{64})`").FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/audit.md has no note_hmac test vector")
	}
	key, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if got := journal.NoteHMAC(key, m[1]); got != m[2] {
		t.Errorf("NoteHMAC(%q) = %s, docs/audit.md says %s", m[1], got, m[2])
	}
	for _, kind := range []string{journal.KindJobSubmitted, journal.KindJobDispatched, journal.KindJobPrinted, journal.KindJobFailed,
		journal.KindJobHeld, journal.KindJobCanceled, journal.KindJobInDoubt, journal.KindJobRequeued, journal.KindJobReleased,
		journal.KindJobResolved, journal.KindJobNoteErased, journal.KindCardsLoaded, journal.KindCardSpoiled, journal.KindCardVoided,
		journal.KindCardSpoiledStock, journal.KindLoadReversed, journal.KindDestructionProposed, journal.KindDestructionConfirmed,
		journal.KindReconciled, journal.KindCustodyRefused,
		journal.KindPrinterResumed, journal.KindPrinterFaultInject, journal.KindPrinterFaultCleared} {
		if !strings.Contains(doc, "| `"+kind+"` |") {
			t.Errorf("docs/audit.md has no row for %s", kind)
		}
	}
}

// auditRow is one row of docs/audit.md's table of printerd entries.
type auditRow struct {
	actor          string // "never", "always" or "maybe"
	always, ifSet  map[string]bool
	seen           bool
	seenAct, noAct bool
	fields         map[string]bool // every field seen
}

func mustAuditTable(t *testing.T) map[string]*auditRow {
	t.Helper()
	doc := mustDoc(t, "audit.md")
	row := regexp.MustCompile("(?m)^\\| `((?:job|card|cards|printer)\\.[a-z_]+)` \\|[^|]+\\|([^|]+)\\|([^|]*)\\|([^|]*)\\|$")
	names := regexp.MustCompile("`([a-z0-9_]+)`")
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names.FindAllStringSubmatch(s, -1) {
			m[n[1]] = true
		}
		return m
	}
	table := map[string]*auditRow{}
	for _, r := range row.FindAllStringSubmatch(doc, -1) {
		a := strings.TrimSpace(r[2])
		actor := map[bool]string{true: "maybe", false: "always"}[strings.Contains(a, ",")]
		if a == "—" {
			actor = "never"
		}
		table[r[1]] = &auditRow{actor: actor, always: set(r[3]), ifSet: set(r[4])}
	}
	return table
}

// TestAuditFieldsDocumented drives a journal through every kind of entry
// printerd writes, with and without the optional values, and holds each
// entry to its row of docs/audit.md: every field it has is listed, every
// field listed as always there is, and the actor is there when the row
// says so. Every row, and each of its fields, must be seen.
func TestAuditFieldsDocumented(t *testing.T) {
	ctx := context.Background()
	table := mustAuditTable(t)
	if len(table) != 23 {
		t.Fatalf("docs/audit.md's printerd table has %d rows, want 23", len(table))
	}
	var entries []audit.Entry

	dir := t.TempDir()
	j := MustOpen(t, dir)
	_, err := j.RecordLoad(ctx, printerd.Load{Printer: "card-1", Count: 50, FirstSerial: "A001", LastSerial: "A050", Actor: "sari"})
	mustOK(t, err)
	MustLoad(t, j, 10) // without serials
	run := func(key string, r printerd.Result) printerd.Job {
		job := MustSubmit(t, j, cardRequest(t, key))
		MustClaim(t, j)
		finish(t, j, job.ID, r)
		return job
	}
	run("printed", printerd.Result{State: printerd.JobPrinted, CardSerial: "C-1"})
	run("printed-no-serial", printerd.Result{State: printerd.JobPrinted, Reason: "marker-supply-low-warning"})
	run("failed", printerd.Result{State: printerd.JobFailed, Reason: "encode-failure", CardSerial: "C-2", Spoiled: true})
	run("spoiled-no-serial", printerd.Result{State: printerd.JobFailed, Reason: "media-jam", Spoiled: true})
	held := run("held", printerd.Result{State: printerd.JobHeld, Reason: "media-empty", CardSerial: "C-7"})
	_, err = j.Release(ctx, held.ID, "sari")
	mustOK(t, err)
	MustClaim(t, j)
	finish(t, j, held.ID, printerd.Result{State: printerd.JobQueued, Reason: "retry", CardSerial: "C-3"})
	MustClaim(t, j) // a second attempt, with the serial of the first
	finish(t, j, held.ID, printerd.Result{State: printerd.JobCanceled, Reason: "driver-cancel"})
	queued := MustSubmit(t, j, printerd.SubmitRequest{IdempotencyKey: "untitled", Media: printerd.MediaCard, Document: MustRead(t, "card.pdf")})
	_, err = j.Cancel(ctx, queued.ID, "station")
	mustOK(t, err)
	for _, r := range []printerd.Resolution{
		{Action: printerd.ActionPrinted, Actor: "sari"},
		{Action: printerd.ActionPrinted, CardSerial: "C-4", Note: "ok", Actor: "sari"},
		{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam, Note: "jammed", CardSerial: "C-5", Actor: "sari"},
		{Action: printerd.ActionReprint, ReasonCode: printerd.ReasonCodeJam, Actor: "sari"},
		{Action: printerd.ActionVoid, ReasonCode: printerd.ReasonCodeMisprint, CardSerial: "C-6", Actor: "sari"},
		{Action: printerd.ActionVoid, ReasonCode: printerd.ReasonCodeMisprint, Note: "smeared", Actor: "sari"},
	} {
		job := MustInDoubt(t, j, "doubt-"+string(r.Action)+r.CardSerial)
		res, err := j.Resolve(ctx, job.ID, r)
		mustOK(t, err)
		if res.Reprint != nil { // out of the way of the next claim
			_, err := j.Cancel(ctx, res.Reprint.ID, "station")
			mustOK(t, err)
		}
		if r.Note != "" {
			_, err := j.EraseNote(ctx, job.ID, "dpo")
			mustOK(t, err)
		}
	}
	doubt := run("doubt-serial", printerd.Result{State: printerd.JobInDoubt, Reason: "offline", CardSerial: "C-8"})
	resolve(t, j, doubt.ID, printerd.Resolution{Action: printerd.ActionPrinted, Actor: "sari"})
	f := printerd.Fault{Kind: printerd.FaultMediaJam, At: printerd.FaultDuringPrint, Count: 2}
	for _, a := range []printerd.PrinterAction{
		{Printer: "card-1", Action: printerd.PrinterFaultInject, Fault: &f},
		{Printer: "card-1", Action: printerd.PrinterFaultInject, Fault: &f, Actor: "budi"},
		{Printer: "card-1", Action: printerd.PrinterFaultClear},
		{Printer: "card-1", Action: printerd.PrinterFaultClear, Actor: "budi"},
		{Printer: "card-1", Action: printerd.PrinterResume, Actor: "budi"},
	} {
		mustOK(t, j.RecordPrinterAction(ctx, a))
	}
	MustSubmit(t, j, cardRequest(t, "crash"))
	MustClaim(t, j)
	mustOK(t, j.Close())
	MustOpen(t, dir) // the dispatching job is in doubt after the crash
	entries = append(entries, MustEntries(t, dir)...)

	// A card job held for want of blanks.
	dir2 := t.TempDir()
	j2 := MustOpen(t, dir2)
	if _, ok, err := j2.ClaimNext(ctx, printerd.MediaCard, "card-1"); ok || err != nil {
		t.Fatalf("ClaimNext on an empty queue = %v, %v", ok, err)
	}
	MustSubmit(t, j2, cardRequest(t, "no-blanks"))
	if job, ok, err := j2.ClaimNext(ctx, printerd.MediaCard, "card-1"); !ok || err != nil || job.State != printerd.JobHeld {
		t.Fatalf("ClaimNext without blanks = %+v, %v, %v", job, ok, err)
	}
	// Custody: a reversed load, spoils with and without a serial, a
	// destruction signed twice, reconciliations (the first a baseline,
	// the second with a reject box) and a refusal.
	l, err := j2.RecordLoad(ctx, printerd.Load{Printer: "card-1", Count: 3, Actor: "sari"})
	mustOK(t, err)
	_, err = j2.ReverseLoad(ctx, printerd.LoadReversal{Load: l.Seq, Reason: "counted twice", Actor: "sari"})
	mustOK(t, err)
	_, err = j2.RecordLoad(ctx, printerd.Load{Printer: "card-1", Count: 2, Actor: "sari"})
	mustOK(t, err)
	_, err = j2.RecordSpoil(ctx, printerd.Spoil{Printer: "card-1", CardSerial: "K-1", Cause: printerd.CauseDamaged, Actor: "sari"})
	mustOK(t, err)
	_, err = j2.RecordSpoil(ctx, printerd.Spoil{Printer: "card-1", Cause: printerd.CauseEncode, Actor: "sari"})
	mustOK(t, err)
	_, err = j2.RecordReconciliation(ctx, "card-1", "sari", printerd.CardCounts{Lifetime: 10}, false)
	mustOK(t, err)
	_, err = j2.RecordReconciliation(ctx, "card-1", "sari", printerd.CardCounts{Lifetime: 10, RejectBox: 2, RejectLocked: true}, true)
	mustOK(t, err)
	d, err := j2.ProposeDestruction(ctx, printerd.DestructionRequest{Printer: "card-1", Actor: "sari"}, time.Hour)
	mustOK(t, err)
	_, err = j2.ConfirmDestruction(ctx, d.ID, "budi")
	mustOK(t, err)
	mustOK(t, j2.RecordRefusal(ctx, "edit-load", "card-1", "budi", printerd.ErrLoadImmutable))
	mustOK(t, j2.RecordRefusal(ctx, "edit-load", "", "budi", printerd.ErrLoadImmutable))
	// A job held because its citizen left, reattached to their next visit.
	mustOK(t, j2.RenewPresence(ctx, "gone", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	absent := MustSubmit(t, j2, withPresence(t, "absent", "gone"))
	_, err = j2.EndPresence(ctx, "gone")
	mustOK(t, err)
	mustOK(t, j2.RenewPresence(ctx, "back", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	_, _, err = j2.Reattach(ctx, absent.ID, "back")
	mustOK(t, err)
	entries = append(entries, MustEntries(t, dir2)...)

	for i, e := range entries {
		r, ok := table[e.Kind]
		if !ok {
			t.Errorf("entry %d: kind %s is not in docs/audit.md", i, e.Kind)
			continue
		}
		r.seen = true
		if r.fields == nil {
			r.fields = map[string]bool{}
		}
		for k := range e.Fields {
			r.fields[k] = true
			if !r.always[k] && !r.ifSet[k] {
				t.Errorf("entry %d (%s) has field %s, not in docs/audit.md's row: %v", i, e.Kind, k, e.Fields)
			}
		}
		for k := range r.always {
			if _, ok := e.Fields[k]; !ok {
				t.Errorf("entry %d (%s) lacks %s, which docs/audit.md says is always there: %v", i, e.Kind, k, e.Fields)
			}
		}
		switch {
		case r.actor == "never" && e.Actor != "":
			t.Errorf("entry %d (%s) has actor %q; docs/audit.md says none", i, e.Kind, e.Actor)
		case r.actor == "always" && e.Actor == "":
			t.Errorf("entry %d (%s) has no actor; docs/audit.md says the supervisor", i, e.Kind)
		}
		r.seenAct = r.seenAct || e.Actor != ""
		r.noAct = r.noAct || e.Actor == ""
	}
	for kind, r := range table {
		switch {
		case !r.seen:
			t.Errorf("the test wrote no %s entry", kind)
		case len(r.fields) != len(r.always)+len(r.ifSet):
			t.Errorf("the test wrote %s entries with fields %v, not each of %v and %v", kind, r.fields, r.always, r.ifSet)
		case r.actor == "maybe" && !(r.seenAct && r.noAct):
			t.Errorf("the test wrote %s entries only with or only without an actor", kind)
		}
	}
}

// docs/printerd.md's table of spoil causes is printerd.SpoilCauses: the
// same codes in the same order with the same words.
func TestSpoilCausesDocumented(t *testing.T) {
	doc := mustDoc(t, "printerd.md")
	rows := regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| ([^|]+) \\| ([^|]+) \\| [^|]+ \\|$").FindAllStringSubmatch(doc, -1)
	causes := printerd.SpoilCauses()
	if len(rows) != len(causes) {
		t.Fatalf("docs/printerd.md lists %d spoil causes, the code has %d", len(rows), len(causes))
	}
	for i, c := range causes {
		if r := rows[i]; r[1] != string(c.Cause) || strings.TrimSpace(r[2]) != c.ID || strings.TrimSpace(r[3]) != c.EN {
			t.Errorf("docs/printerd.md row %q, cause %+v", r[0], c)
		}
	}
}
