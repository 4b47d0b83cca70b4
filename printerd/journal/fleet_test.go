package journal_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/printerd"
)

// TestOutboxFollowsTheJournal: a load, a submission, a claim and a print
// leave their fleet events in the outbox, in order, naming the job by its
// reference only, with the ledger's balance after each movement.
func TestOutboxFollowsTheJournal(t *testing.T) {
	ctx := context.Background()
	j := MustOpen(t, t.TempDir())
	MustLoad(t, j, 3)
	job := MustSubmit(t, j, cardRequest(t, "key-fleet-1"))
	claimed, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1")
	if err != nil || !ok || claimed.ID != job.ID {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, err := j.Finish(ctx, job.ID, printerd.Result{State: printerd.JobPrinted, Printer: "card-1", CardSerial: "C-1"}); err != nil {
		t.Fatal(err)
	}
	events, err := j.Outbox().Next(ctx, 100, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ref := printerd.JobRef(job.ID)
	want := []string{
		`blank_movement {"printer":"card-1","kind":"load","count":3,"balance":3}`,
		`job_state {"job_ref":"` + ref + `","document_type":"ktp-el","media":"card","state":"queued"}`,
		`job_state {"job_ref":"` + ref + `","document_type":"ktp-el","media":"card","state":"dispatching"}`,
		`job_state {"job_ref":"` + ref + `","document_type":"ktp-el","media":"card","state":"printed"}`,
		`blank_movement {"printer":"card-1","kind":"print","count":1,"balance":2}`,
	}
	var got []string
	for i, e := range events {
		if e.Seq != uint64(i+1) {
			t.Errorf("event %d has seq %d", i, e.Seq)
		}
		got = append(got, string(e.Kind)+" "+string(e.Data))
		for _, secret := range []string{string(job.ID), job.IdempotencyKey, job.DocumentSHA256, "C-1"} {
			if strings.Contains(string(e.Data), secret) {
				t.Errorf("event %s carries %q", e.Data, secret)
			}
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outbox:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var js fleet.JobState
	if err := json.Unmarshal(events[1].Data, &js); err != nil || js.JobRef != ref {
		t.Errorf("job_state does not decode as fleet.JobState: %v %+v", err, js)
	}
}

// TestOutboxWriteIsTheChangesTransaction: with every outbox insert made
// to fail (a trigger: the fault between the change and its event), no
// change commits either — a submission, a load, a state change are all
// refused and leave nothing behind. A journal that wrote the outbox in a
// transaction of its own after the change would commit the change and
// lose its event; this test fails on it.
func TestOutboxWriteIsTheChangesTransaction(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	j := MustOpen(t, dir)
	MustLoad(t, j, 2)
	queued := MustSubmit(t, j, cardRequest(t, "key-before-fault"))

	db, err := sql.Open("sqlite", filepath.Join(dir, "journal.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER outbox_fault BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'injected'); END`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := j.Submit(ctx, cardRequest(t, "key-during-fault")); err == nil {
		t.Error("a submission committed while its outbox event could not be written")
	}
	if jobs, err := j.List(ctx, printerd.JobFilter{Key: "key-during-fault"}); err == nil && len(jobs) != 0 {
		t.Errorf("the submission left job %s without its event", jobs[0].ID)
	}
	if _, err := j.RecordLoad(ctx, printerd.Load{Printer: "card-1", Count: 5, Actor: "test"}); err == nil {
		t.Error("a load committed while its outbox event could not be written")
	}
	if _, err := j.Cancel(ctx, queued.ID, "test"); err == nil {
		t.Error("a cancel committed while its outbox event could not be written")
	}
	if _, err := db.Exec(`DROP TRIGGER outbox_fault`); err != nil {
		t.Fatal(err)
	}
	tallies, err := j.Tallies(ctx)
	if err != nil || len(tallies) != 1 || tallies[0].Loaded != 2 {
		t.Errorf("tallies after the refused load: %+v %v", tallies, err)
	}
	if got, err := j.Get(ctx, queued.ID); err != nil || got.State != printerd.JobQueued {
		t.Errorf("job after the refused cancel: %s %v", got.State, err)
	}
}
