package journal_test

import (
	"encoding/hex"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

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
		journal.KindPrinterResumed, journal.KindPrinterFaultInject, journal.KindPrinterFaultCleared} {
		if !strings.Contains(doc, "| `"+kind+"` |") {
			t.Errorf("docs/audit.md has no row for %s", kind)
		}
	}
}
