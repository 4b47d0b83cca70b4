package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/cmd/internal/ctl"
	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/station/sqlite"
)

// TestFleetCanary: after prints with registry-sim's citizens (their NIKs,
// names, birth dates and keyed subject hashes known to the test), and a
// refused login, none of them is in any text or jsonb column of any hub
// table, in the hub's log (debug level), or in any request body the hub
// received. Controls prove each scan sees its data: the kiosk's name is
// found in the kiosks table, "print_outcome" in the bodies, "listening"
// in the log.
func TestFleetCanary(t *testing.T) {
	hubLogs := &logBuffer{}
	rig := mustFleet(t, hubLogs)
	sys := MustStartWith(t, Options{Fleet: rig.Kiosk})
	key, err := sqlite.LoadSubjectKey(filepath.Join(sys.Keys, "keys", "subject.key"))
	mustOK(t, err)
	var cs canaries
	approve := func(docs ...string) ctl.Approval {
		a := sys.MustApprove(t, docs...)
		for _, d := range sys.mustDocuments(t, a) {
			cs.addDocument(d)
		}
		cs.add(canary{What: "keyed subject hash of " + a.ApprovalID, Value: audit.SubjectOf(key, a.NIK), How: folded})
		return a
	}
	printed := 0
	for i := 0; i < 2; i++ {
		a := approve("ktp-el", "kia", "kk")
		v := printAll(t, sys.NewCitizen(t), "/api/login/ticket", map[string]string{"ticket": a.Ticket})
		mustAllPrinted(t, v, 3)
		printed += 3
	}
	a := approve("ktp-el")
	var refused sessionView
	if st := sys.NewCitizen(t).call("POST", "/api/login/pin", map[string]string{"nik": a.NIK, "pin": wrongPIN(a.PIN)}, &refused); st != http.StatusUnauthorized {
		t.Fatalf("wrong PIN: %d %+v", st, refused.Error)
	}
	rig.mustDelivered(t, sys)
	rig.mustCountsMatch(t, sys, printed)
	rig.hub.stop() // its last log lines too

	controls := []canary{
		{What: "control: the kiosk's name", Value: "MPP Kota Bandung 1", How: folded},
		{What: "control: an event kind", Value: "print_outcome", How: folded},
		{What: "control: the hub's start", Value: "listening", How: folded},
	}
	all := append(append(canaries(nil), cs...), controls...)
	var hits []hit
	found := map[string]bool{}
	check := func(where string, data []byte) {
		for _, h := range all.scan(where, data) {
			if strings.HasPrefix(h.Canary.What, "control: ") {
				found[h.Canary.What+" in "+strings.Fields(where)[0]] = true
				continue
			}
			hits = append(hits, h)
		}
	}

	// Every text, varchar and jsonb column of every hub table.
	ctx := context.Background()
	rows, err := rig.db.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY')`)
	mustOK(t, err)
	type col struct{ table, column string }
	var cols []col
	for rows.Next() {
		var c col
		mustOK(t, rows.Scan(&c.table, &c.column))
		cols = append(cols, c)
	}
	rows.Close()
	mustOK(t, rows.Err())
	if len(cols) < 10 {
		t.Fatalf("only %d text columns in the hub's schema: %v", len(cols), cols)
	}
	values := 0
	for _, c := range cols {
		rows, err := rig.db.Query(ctx, fmt.Sprintf(`SELECT %q::text FROM %q WHERE %q IS NOT NULL`, c.column, c.table, c.column))
		mustOK(t, err)
		for rows.Next() {
			var v string
			mustOK(t, rows.Scan(&v))
			check("tables "+c.table+"."+c.column, []byte(v))
			values++
		}
		rows.Close()
		mustOK(t, rows.Err())
	}
	bodies := rig.proxy.received()
	for i, b := range bodies {
		check(fmt.Sprintf("bodies request %d", i), b)
	}
	check("log of the hub", hubLogs.Bytes())

	for _, want := range []string{"control: the kiosk's name in tables", "control: an event kind in bodies", "control: the hub's start in log"} {
		if !found[want] {
			t.Errorf("%s: not found; the scan does not see its data", want)
		}
	}
	if len(cs) < 20 || len(bodies) < 2 || values < 50 {
		t.Errorf("a thin canary: %d canaries, %d bodies, %d values scanned", len(cs), len(bodies), values)
	}
	for _, h := range hits {
		t.Errorf("personal data at the hub: %s", h)
	}
	t.Logf("%d canaries; %d hub values in %d columns, %d request bodies and %d bytes of hub log scanned",
		len(cs), values, len(cols), len(bodies), len(hubLogs.Bytes()))
}
