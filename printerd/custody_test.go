package printerd_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/driver/simcard"
)

// books is the test's own count of every card, kept apart from the
// ledger, so that the ledger is checked against what happened and not
// against itself.
type books struct{ loaded, printed, awaiting, destroyed int }

func (b books) stock() int { return b.loaded - b.printed - b.awaiting - b.destroyed }

// mustBalance checks the ledger against the books, and the ledger's own
// equation: loaded = in stock + printed + spoiled awaiting destruction +
// destroyed.
func mustBalance(tb testing.TB, step string, d *printerd.Dispatcher, b books) {
	tb.Helper()
	e := mustLedger(tb, d)
	if e.Loaded != e.Remaining+e.Printed+e.Awaiting()+e.Destroyed {
		tb.Errorf("%s: the ledger does not balance: loaded %d ≠ %d in stock + %d printed + %d awaiting + %d destroyed",
			step, e.Loaded, e.Remaining, e.Printed, e.Awaiting(), e.Destroyed)
	}
	if e.Loaded != b.loaded || e.Remaining != b.stock() || e.Printed != b.printed || e.Awaiting() != b.awaiting || e.Destroyed != b.destroyed {
		tb.Errorf("%s: ledger %d loaded, %d in stock, %d printed, %d awaiting, %d destroyed; want %d, %d, %d, %d, %d",
			step, e.Loaded, e.Remaining, e.Printed, e.Awaiting(), e.Destroyed, b.loaded, b.stock(), b.printed, b.awaiting, b.destroyed)
	}
}

// auditKinds reads the audit log of the journal in dir straight from its
// file.
func auditEntries(tb testing.TB, dir string) []audit.Entry {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "journal.db")+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT data FROM audit_entries ORDER BY idx`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			tb.Fatal(err)
		}
		e, err := audit.Decode(data)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// TestBlankCustody is the life of a box of blank cards on a simulated
// card printer with a real journal: a wrong load refused, another
// reversed, prints of two document types, a card the printer rejects
// (gagal encode), cards spoiled for each other cause, a print past the
// stock held, reconciliation with the printer's lifetime counter (which
// flags a card that left the hopper behind printerd's back), a
// destruction refused with one supervisor and confirmed by two, a second
// destruction of the same cards refused, a late confirmation refused, and
// the month's figures. The ledger balances at every step, and every
// refusal is in the audit log.
func TestBlankCustody(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC)}
	out, dir := t.TempDir(), t.TempDir()
	dev, err := simcard.Open(printerd.DeviceConfig{URI: out, Options: map[string]string{"blanks": "8", "raster": "off"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	j := MustOpenJournal(t, dir, clk.Now)
	d := MustDispatcherNoBlanks(t, printerd.DispatcherConfig{Journal: j, DestructionWindow: 10 * time.Minute,
		Printers: []printerd.Printer{{Name: "card-1", Driver: simcard.Name, Media: printerd.MediaCard, Device: dev}}})
	var b books
	refusals := map[string]string{} // action → code, as the audit log must hold them

	// "10 cards" with 50 serials: refused with a typed error.
	_, err = d.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 10, FirstSerial: "KTP0001", LastSerial: "KTP0050", Actor: "sari"})
	if !errors.Is(err, printerd.ErrLoadSerials) {
		t.Fatalf("a load of 10 with 50 serials: %v, want load_serials_mismatch", err)
	}
	refusals["load"] = "load_serials_mismatch"
	mustBalance(t, "refused load", d, b)

	// A load typed wrong is reversed, never edited, then loaded right.
	wrong, err := d.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 80, Actor: "sari"})
	if err != nil {
		t.Fatal(err)
	}
	b.loaded += 80
	mustBalance(t, "wrong load", d, b)
	if err := d.EditLoad(ctx, wrong.Seq, "sari"); !errors.Is(err, printerd.ErrLoadImmutable) {
		t.Errorf("edit a load: %v, want load_immutable", err)
	}
	refusals["edit-load"] = "load_immutable"
	if _, err := d.ReverseLoad(ctx, printerd.LoadReversal{Load: wrong.Seq, Reason: "80 typed for 8", Actor: "sari"}); err != nil {
		t.Fatal(err)
	}
	b.loaded -= 80
	mustBalance(t, "reversed load", d, b)
	if _, err := d.ReverseLoad(ctx, printerd.LoadReversal{Load: wrong.Seq, Reason: "again", Actor: "sari"}); !errors.Is(err, printerd.ErrLoadReversed) {
		t.Errorf("reverse twice: %v, want load_already_reversed", err)
	}
	refusals["reverse-load"] = "load_already_reversed"
	if _, err := d.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 8, FirstSerial: "KTP0001", LastSerial: "KTP0008", Actor: "sari"}); err != nil {
		t.Fatal(err)
	}
	b.loaded += 8
	mustBalance(t, "load", d, b)
	if ls, err := d.Loads(ctx, "card-1"); err != nil || len(ls) != 2 || !ls[0].Reversed || ls[0].Count != 80 || ls[1].Reversed {
		t.Errorf("Loads = %+v, %v; want the wrong load kept and marked reversed, then the right one", ls, err)
	}

	base, err := d.Reconcile(ctx, "card-1", "sari")
	if err != nil || !base.Baseline || base.Counter != 0 || base.Fed != 0 {
		t.Fatalf("first reconciliation = %+v, %v; want the baseline at 0", base, err)
	}

	// Prints of two document types.
	doc := MustRead(t, "card.pdf")
	submit := func(key, title string) printerd.Job {
		t.Helper()
		job, _, err := d.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: key, Media: printerd.MediaCard, Title: title, Document: doc})
		if err != nil {
			t.Fatal(err)
		}
		return job
	}
	for _, p := range []struct{ key, title string }{{"a", "KTP-el"}, {"b", "KTP-el"}, {"c", "KIA"}} {
		MustReach(t, d, submit(p.key, p.title).ID, inState(printerd.JobPrinted))
		b.printed++
		mustBalance(t, "print "+p.key, d, b)
	}

	// The printer fails to encode a card and rejects it: spoiled,
	// gagal encode, in the reject box; the retry prints.
	if err := d.InjectFault(ctx, "card-1", printerd.Fault{Kind: printerd.FaultEncodeFailure, At: printerd.FaultDuringPrint}); err != nil {
		t.Fatal(err)
	}
	MustReach(t, d, submit("d", "KTP-el").ID, inState(printerd.JobPrinted))
	b.printed++
	b.awaiting++
	mustBalance(t, "reject", d, b)

	// The other causes, on cards taken out of stock.
	for _, c := range []printerd.SpoilCause{printerd.CausePrint, printerd.CauseDamaged, printerd.CauseDataChange} {
		if _, err := d.SpoilCard(ctx, printerd.Spoil{Printer: "card-1", Cause: c, Actor: "sari"}); err != nil {
			t.Fatal(err)
		}
		b.awaiting++
		mustBalance(t, "spoil "+string(c), d, b)
	}
	spoiled, err := d.SpoiledCards(ctx, "card-1", true)
	if err != nil || len(spoiled) != 4 || spoiled[0].Cause != printerd.CauseEncode || spoiled[0].Use != printerd.CardRejected || spoiled[0].CardSerial == "" {
		t.Fatalf("spoiled = %+v, %v; want the rejected card (gagal-encode, with its serial) and three more", spoiled, err)
	}

	// Stock is 0: a print past it is held, a spoil past it refused.
	if b.stock() != 0 {
		t.Fatalf("books: %d in stock, want 0", b.stock())
	}
	held := MustReach(t, d, submit("e", "KTP-el").ID, inState(printerd.JobHeld))
	if held.Reason != printerd.ReasonNoBlanks {
		t.Errorf("a print past the stock: %s (%s), want held no-blanks", held.State, held.Reason)
	}
	if _, err := d.SpoilCard(ctx, printerd.Spoil{Printer: "card-1", Cause: printerd.CauseDamaged, Actor: "sari"}); !errors.Is(err, printerd.ErrOutOfStock) {
		t.Errorf("a spoil past the stock: %v, want blanks_out_of_stock", err)
	}
	refusals["spoil"] = "blanks_out_of_stock"
	mustBalance(t, "past the stock", d, b)
	if _, err := d.Cancel(ctx, held.ID); err != nil {
		t.Fatal(err)
	}

	// The counter advanced by the five cards fed (four printed, one
	// rejected): the ledger agrees.
	rec, err := d.Reconcile(ctx, "card-1", "sari")
	if err != nil || rec.Baseline || !rec.Balanced() || rec.Counter != 5 || rec.Fed != 5 || rec.Awaiting != 4 ||
		rec.RejectBox == nil || *rec.RejectBox != 1 || !rec.RejectLocked {
		t.Errorf("reconciliation = %+v, %v; want 5 fed by both counts, 4 awaiting, 1 in the locked reject box", rec, err)
	}
	// A card printed behind printerd's back moves the counter only.
	if _, err := dev.Print(ctx, printerd.PrintJob{ID: "JBACKDOOR", Media: printerd.MediaCard, Document: doc, Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	if rec, err = d.Reconcile(ctx, "card-1", "sari"); err != nil || rec.Balanced() || rec.Difference != 1 {
		t.Errorf("after an unrecorded card, reconciliation = %+v, %v; want a difference of 1", rec, err)
	}

	// Destruction: one supervisor cannot sign twice, even in other case.
	prop, err := d.ProposeDestruction(ctx, printerd.DestructionRequest{Printer: "card-1", Actor: "sari"})
	if err != nil || len(prop.Cards) != 4 || prop.State != printerd.DestructionProposed {
		t.Fatalf("proposal = %+v, %v", prop, err)
	}
	for _, same := range []string{"sari", " SARI"} {
		if _, err := d.ConfirmDestruction(ctx, prop.ID, same); !errors.Is(err, printerd.ErrSameSupervisor) {
			t.Errorf("confirmed by %q: %v, want destruction_same_supervisor", same, err)
		}
	}
	refusals["confirm-destruction"] = "destruction_same_supervisor"
	mustBalance(t, "one supervisor", d, b)
	clk.Add(9 * time.Minute)
	done, err := d.ConfirmDestruction(ctx, prop.ID, "budi")
	if err != nil || done.State != printerd.DestructionConfirmed || done.ProposedBy != "sari" || done.ConfirmedBy != "budi" {
		t.Fatalf("confirmation = %+v, %v", done, err)
	}
	b.destroyed, b.awaiting = b.destroyed+4, b.awaiting-4
	mustBalance(t, "destroyed", d, b)
	if _, err := d.ConfirmDestruction(ctx, prop.ID, "wati"); !errors.Is(err, printerd.ErrDestructionState) {
		t.Errorf("confirm twice: %v, want destruction_state_conflict", err)
	}
	cards := []int64{done.Cards[0].Seq}
	if _, err := d.ProposeDestruction(ctx, printerd.DestructionRequest{Printer: "card-1", Cards: cards, Actor: "wati"}); !errors.Is(err, printerd.ErrAlreadyDestroyed) {
		t.Errorf("destroy a destroyed card again: %v, want card_already_destroyed", err)
	}
	refusals["propose-destruction"] = "card_already_destroyed"
	mustBalance(t, "destroy twice", d, b)

	// A second supervisor who comes too late.
	if _, err := d.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 2, Actor: "sari"}); err != nil {
		t.Fatal(err)
	}
	b.loaded += 2
	if _, err := d.SpoilCard(ctx, printerd.Spoil{Printer: "card-1", CardSerial: "KTP0100", Cause: printerd.CauseDamaged, Actor: "sari"}); err != nil {
		t.Fatal(err)
	}
	b.awaiting++
	late, err := d.ProposeDestruction(ctx, printerd.DestructionRequest{Printer: "card-1", Actor: "sari"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(10 * time.Minute)
	if _, err := d.ConfirmDestruction(ctx, late.ID, "budi"); !errors.Is(err, printerd.ErrDestructionExpired) {
		t.Errorf("a late confirmation: %v, want destruction_expired", err)
	}
	mustBalance(t, "late", d, b)

	// The month.
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	m, err := d.Month(ctx, "card-1", from, from.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if m.Loaded != 10 || m.Reversed != 80 || m.Printed["KTP-el"] != 3 || m.Printed["KIA"] != 1 || m.Destroyed != 4 ||
		m.InStock != 1 || m.Awaiting != 1 || m.Spoiled[printerd.CauseEncode] != 1 || m.Spoiled[printerd.CausePrint] != 1 ||
		m.Spoiled[printerd.CauseDamaged] != 2 || m.Spoiled[printerd.CauseDataChange] != 1 ||
		m.Reconciliation == nil || m.Reconciliation.Difference != 1 {
		t.Errorf("month = %+v (reconciliation %+v)", m, m.Reconciliation)
	}
	if m.Loaded != m.InStock+m.Printed["KTP-el"]+m.Printed["KIA"]+m.Awaiting+m.Destroyed {
		t.Errorf("the month does not balance: %+v", m)
	}

	// Every refusal is in the audit log, with its actor and code.
	seen := map[string]string{}
	var heldNoBlanks bool
	for _, e := range auditEntries(t, dir) {
		switch e.Kind {
		case "cards.refused":
			if e.Actor == "" {
				t.Errorf("refusal without actor: %+v", e)
			}
			if _, ok := seen[e.Fields["action"]]; !ok {
				seen[e.Fields["action"]] = e.Fields["code"]
			}
		case "job.held":
			heldNoBlanks = heldNoBlanks || e.Fields["reason"] == printerd.ReasonNoBlanks
		}
	}
	for action, code := range refusals {
		if seen[action] != code {
			t.Errorf("audit log: refusal of %s has code %q, want %q", action, seen[action], code)
		}
	}
	if !heldNoBlanks {
		t.Error("audit log: no job.held no-blanks for the print past the stock")
	}
	if _, err := os.Stat(filepath.Join(out, "JBACKDOOR.pdf")); err != nil {
		t.Errorf("the back-door card was not printed: %v", err)
	}
}

func TestSerialCount(t *testing.T) {
	for _, c := range []struct {
		first, last string
		n           int
		ok          bool
	}{
		{"KTP0001", "KTP0050", 50, true},
		{"A001", "A001", 1, true},
		{"0009", "0010", 2, true},
		{"KTP0050", "KTP0001", 0, false},       // backwards
		{"KTP001", "KTP0050", 0, false},        // widths differ
		{"KTP0001", "KIA0050", 0, false},       // prefixes differ
		{"KTP-A", "KTP-B", 0, false},           // no number
		{"1234567890", "1234567899", 0, false}, // more digits than counted
	} {
		if n, ok := printerd.SerialCount(c.first, c.last); n != c.n || ok != c.ok {
			t.Errorf("SerialCount(%q, %q) = %d, %v; want %d, %v", c.first, c.last, n, ok, c.n, c.ok)
		}
	}
}

// FuzzLoadValidate: a load's serial check never panics, and a load it
// accepts with serials holds exactly count of them.
func FuzzLoadValidate(f *testing.F) {
	f.Add(10, "KTP0001", "KTP0050")
	f.Add(50, "KTP0001", "KTP0050")
	f.Fuzz(func(t *testing.T, count int, first, last string) {
		err := printerd.Load{Printer: "card-1", Count: count, FirstSerial: first, LastSerial: last, Actor: "sari"}.Validate()
		if err != nil {
			var fe *printerd.Error
			if !errors.As(err, &fe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if first != "" {
			if n, ok := printerd.SerialCount(first, last); !ok || n != count {
				t.Fatalf("accepted %d cards for %q..%q (%d, %v)", count, first, last, n, ok)
			}
		}
	})
}
