package http_test

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/fleet"
	fleethttp "github.com/anjungan/anjungan/fleet/http"
)

// section returns the table rows between <!-- name --> and <!-- end name -->, split into cells.
func section(t *testing.T, doc, name string) [][]string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<!-- ` + name + ` -->\n(.*?)<!-- end ` + name + ` -->`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatalf("docs/fleet.md has no %s section", name)
	}
	var rows [][]string
	for i, line := range strings.Split(strings.TrimSpace(m[1]), "\n") {
		if i < 2 {
			continue // header and rule
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for j := range cells {
			cells[j] = strings.Trim(strings.TrimSpace(cells[j]), "`")
		}
		rows = append(rows, cells)
	}
	return rows
}

// docs/fleet.md is the contract kiosks are written from: its kinds and
// their fields, its error codes and statuses and its alert kinds are the
// code's.
func TestDocMatchesCode(t *testing.T) {
	b, err := os.ReadFile("../../docs/fleet.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)

	var docFields, codeFields []string
	var docKinds []fleet.Kind
	for _, r := range section(t, doc, "fields") {
		docFields = append(docFields, r[0]+"."+r[1])
		if len(docKinds) == 0 || docKinds[len(docKinds)-1] != fleet.Kind(r[0]) {
			docKinds = append(docKinds, fleet.Kind(r[0]))
		}
	}
	if !reflect.DeepEqual(docKinds, fleet.Kinds) {
		t.Errorf("kinds: doc %v, code %v", docKinds, fleet.Kinds)
	}
	for _, k := range fleet.Kinds {
		v, err := fleet.Event{Kind: k, Data: []byte("{}")}.Decode()
		if err != nil {
			t.Fatal(err)
		}
		typ := reflect.TypeOf(v).Elem()
		for i := 0; i < typ.NumField(); i++ {
			codeFields = append(codeFields, string(k)+"."+strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
		}
	}
	sort.Strings(docFields)
	sort.Strings(codeFields)
	if !reflect.DeepEqual(docFields, codeFields) {
		t.Errorf("fields:\ndoc  %v\ncode %v", docFields, codeFields)
	}

	var docCodes, codeCodes []string
	for _, r := range section(t, doc, "errors") {
		docCodes = append(docCodes, r[0]+" "+r[1])
	}
	for _, e := range fleet.Errors {
		codeCodes = append(codeCodes, string(e.Code)+" "+strconv.Itoa(fleethttp.Status[string(e.Code)]))
	}
	if len(fleethttp.Status) != len(fleet.Errors) {
		t.Errorf("%d statuses for %d errors", len(fleethttp.Status), len(fleet.Errors))
	}
	if !reflect.DeepEqual(docCodes, codeCodes) {
		t.Errorf("errors:\ndoc  %v\ncode %v", docCodes, codeCodes)
	}

	var docAlerts []fleet.AlertKind
	for _, r := range section(t, doc, "alerts") {
		docAlerts = append(docAlerts, fleet.AlertKind(r[0]))
	}
	if !reflect.DeepEqual(docAlerts, fleet.AlertKinds) {
		t.Errorf("alerts: doc %v, code %v", docAlerts, fleet.AlertKinds)
	}
}
