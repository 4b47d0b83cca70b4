package http_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/fleet"
	fleethttp "github.com/anjungan/anjungan/fleet/http"
)

// docs/fleet.md's Witness section is the code's: each status and code of
// the witness table, its content types, its limits, and every witness
// error listed.
func TestWitnessDocMatchesCode(t *testing.T) {
	b, err := os.ReadFile("../../docs/fleet.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	listed := map[string]bool{}
	for _, r := range section(t, doc, "witness-statuses") {
		status, err := strconv.Atoi(r[0])
		if err != nil {
			t.Fatalf("row %v", r)
		}
		code, ctype := r[1], r[2]
		listed[code] = true
		switch {
		case code == "—":
			if status != 200 || ctype != fleethttp.ContentTypeCosignature {
				t.Errorf("success row %v: want 200 %s", r, fleethttp.ContentTypeCosignature)
			}
		case fleethttp.Status[code] != status:
			t.Errorf("%s: doc %d, code %d", code, status, fleethttp.Status[code])
		case code == string(fleet.ErrWitnessConflict.Code) && ctype != fleethttp.ContentTypeTlogSize:
			t.Errorf("%s: doc %s, code %s", code, ctype, fleethttp.ContentTypeTlogSize)
		case code != string(fleet.ErrWitnessConflict.Code) && ctype != "application/json":
			t.Errorf("%s: doc %s, code application/json", code, ctype)
		}
	}
	for _, e := range []*fleet.Error{fleet.ErrWitnessRequestInvalid, fleet.ErrCheckpointSignature, fleet.ErrWitnessConflict,
		fleet.ErrAuditInconsistent, fleet.ErrKioskUnknown, fleet.ErrKioskRevoked, fleet.ErrStoreUnavailable} {
		if !listed[string(e.Code)] {
			t.Errorf("%s is not in the witness table", e.Code)
		}
	}
	for _, want := range []string{
		"`POST " + fleethttp.WitnessPath + "`",
		"at most " + strings.ReplaceAll(strconv.Itoa(fleet.MaxWitnessBody), "8192", "8,192") + " bytes",
		"0 to " + strconv.Itoa(fleet.MaxProofHashes) + " lines",
		"\n" + fleet.WitnessOldToken + "<size>\\n\n<proof hash 1>\\n\n",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/fleet.md does not say %q", want)
		}
	}
}
