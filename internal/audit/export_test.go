package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"testing"

	"github.com/anjungan/anjungan/internal/audit"
)

func TestExportCarriesCheckableProofs(t *testing.T) {
	db, vkey, exported := mustLog(t)
	ctx := context.Background()
	var out bytes.Buffer
	if err := audit.Export(ctx, db, vkey, exported, "jsonl", &out); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out)
	sc.Scan()
	var head map[string]string
	if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
		t.Fatal(err)
	}
	c, err := audit.OpenCheckpoint([]byte(head["checkpoint"]), vkey)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for sc.Scan() {
		var x audit.Exported
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatal(err)
		}
		if err := audit.CheckExported(c, x); err != nil {
			t.Errorf("entry %d: %v", x.Index, err)
		}
		// A changed entry no longer checks.
		x.Entry.Kind = "job.voided"
		if err := audit.CheckExported(c, x); err == nil {
			t.Errorf("entry %d: a changed entry passed its proof", x.Index)
		}
		n++
	}
	if n != 7 {
		t.Errorf("exported %d entries, want 7", n)
	}

	out.Reset()
	if err := audit.Export(ctx, db, vkey, exported, "csv", &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(recs) != 8 || recs[0][0] != "index" {
		t.Errorf("csv: %d records, %v", len(recs), err)
	}
	if err := audit.Export(ctx, db, vkey, exported, "xml", &out); err == nil {
		t.Error("unknown format accepted")
	}
}
